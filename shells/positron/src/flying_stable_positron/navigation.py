"""Keep the WebView on the backend's own origin.

Cookies ignore ports: the token cookie set for 127.0.0.1:PORT also goes to every other port
on 127.0.0.1, and SameSite counts them all as one site. A page that sent the WebView to
another local server would hand that server the token; so only the backend's exact origin
(scheme, host and port) may load, and every other navigation is refused before a request.
"""

from __future__ import annotations

from collections.abc import Callable


def lock_navigation(webview, allowed: Callable[[str], bool]) -> None:
    """Refuse every navigation (links, scripts, redirects, new windows) `allowed` rejects.

    Toga's on_navigation_starting does the job on macOS and Windows but is not implemented
    for GTK, so there WebKitGTK's own decide-policy signal is used directly.
    """
    native = getattr(webview._impl, "native", None)
    if native is not None and type(native).__module__.startswith("gi.repository"):
        _lock_webkitgtk(native, allowed)
    else:
        webview.on_navigation_starting = lambda _widget, url, **_kwargs: allowed(url)


def _lock_webkitgtk(native, allowed: Callable[[str], bool]) -> None:
    from gi.repository import WebKit2

    guarded = (
        WebKit2.PolicyDecisionType.NAVIGATION_ACTION,
        WebKit2.PolicyDecisionType.NEW_WINDOW_ACTION,
    )

    def decide(_view, decision, decision_type) -> bool:
        if decision_type not in guarded:
            return False  # responses: WebKit's default handling
        url = decision.get_navigation_action().get_request().get_uri()
        if allowed(url):
            return False
        decision.ignore()
        return True

    native.connect("decide-policy", decide)
