"""Content-Security-Policy for Django 5.2, which has no built-in CSP (Django 6.0 added it).

It reads the same `SECURE_CSP` / `SECURE_CSP_REPORT_ONLY` settings as Django 6's
`django.middleware.csp.ContentSecurityPolicyMiddleware`, so a packaged settings module is the
same on both versions (`desktop_django.settings.csp_middleware()` picks the middleware).
Nonces are not supported: a directive asking for one is an error, not a silently weaker policy.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ENFORCE_HEADER = "Content-Security-Policy"
REPORT_ONLY_HEADER = "Content-Security-Policy-Report-Only"
# What Django 6's `CSP.NONCE` stands for; copied policies may carry it.
NONCE_SENTINEL = "<CSP_NONCE_SENTINEL>"


def build_policy(config: dict) -> str:
    """`{"default-src": ["'self'"], "upgrade-insecure-requests": True}` -> header value."""
    directives = []
    for directive, value in config.items():
        if value is None or value is False:
            continue
        if value is True:
            directives.append(directive)
            continue
        values = [value] if isinstance(value, str) else list(value)
        if any(NONCE_SENTINEL in str(item) for item in values):
            raise ImproperlyConfigured(
                f"SECURE_CSP {directive!r} asks for a nonce; nonces need Django 6.0's CSP"
            )
        directives.append(" ".join([directive, *map(str, values)]).strip())
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        for header, setting in (
            (ENFORCE_HEADER, "SECURE_CSP"),
            (REPORT_ONLY_HEADER, "SECURE_CSP_REPORT_ONLY"),
        ):
            config = getattr(settings, setting, None)
            # A view that set its own policy keeps it, as with Django 6's middleware.
            if config and header not in response:
                response[header] = build_policy(config)
        return response
