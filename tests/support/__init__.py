"""Test helpers that tests/conftest.py imports as fixtures."""
