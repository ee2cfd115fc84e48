"""SMTP intake for the noticing domain (aiosmtpd)."""
