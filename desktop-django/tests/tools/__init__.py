"""Tests of desktop_django_tools, the build tools behind the desktop-django CLI."""
