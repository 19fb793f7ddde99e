"""Tests of desktop_django, the runtime that ships inside every stage."""
