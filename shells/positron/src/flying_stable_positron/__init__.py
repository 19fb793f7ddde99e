"""Positron: Flying Stable in a Toga WebView, with Django and its worker in-process."""
