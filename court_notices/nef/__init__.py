"""Notices of Electronic Filing: models and the pure parser."""
