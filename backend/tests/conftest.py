import pytest
from django.test import Client

from desktop_django.middleware import TOKEN_HEADER


@pytest.fixture
def client(settings):
    """A test client that authenticates like the Electron shell: the token header."""
    return Client(headers={TOKEN_HEADER: settings.DESKTOP_DJANGO_AUTH_TOKEN})
