"""Organiser accounts and the audit log."""
