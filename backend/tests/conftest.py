import pytest
from desktop_django.middleware import TOKEN_HEADER
from django.test import Client


@pytest.fixture
def client(settings):
    """A test client that authenticates like the Electron shell: the token header."""
    return Client(headers={TOKEN_HEADER: settings.DESKTOP_DJANGO_AUTH_TOKEN})
