"""Helpers for noxfile.py: one module per external tool or concern, so sessions read as verbs."""
