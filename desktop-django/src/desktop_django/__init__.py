"""Desktop runtime for Django projects: launcher, auth middleware and settings helpers."""

__version__ = "0.1.0"
