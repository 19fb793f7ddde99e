from django.http import HttpResponse

from .splash import SPLASH_PATH, splash_csp


def splash(request):
    """The same self-contained file that shells show before the backend is up, for preview."""
    response = HttpResponse(SPLASH_PATH.read_bytes(), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = splash_csp()
    return response
