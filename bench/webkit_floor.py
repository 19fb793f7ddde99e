"""`python webkit_floor.py [URL]`: the web view's own floor, what no shell on WebKitGTK can beat.

A bare GTK window with one WebKit web view and nothing of ours (no Toga, no Tauri, no
backend start-up): it loads an empty page, then URL if given (the bootstrap URL of a `serve`
that is already serving), and quits. Each milestone is one JSON line on stdout with the
system-wide monotonic clock, which the timeline bench turns into ms since its spawn.

Run by an interpreter that has PyGObject (Positron's): the same GTK 3 and WebKitGTK 4.1 that
Positron and Tauri load on Linux.
"""

from __future__ import annotations

import json
import sys
import time


def mark(milestone: str) -> None:
    print(json.dumps({"milestone": milestone, "t": time.monotonic()}), flush=True)


def main(argv: list[str]) -> int:
    mark("interpreter-up")
    import gi

    gi.require_version("Gtk", "3.0")
    gi.require_version("WebKit2", "4.1")
    from gi.repository import Gtk, WebKit2

    mark("toolkit-imported")
    then = argv[1:2]  # the page to load once the empty one has, if any
    window = Gtk.Window(title="webkit floor")
    window.set_default_size(1100, 760)
    view = WebKit2.WebView()
    window.add(view)
    window.show_all()
    mark("window-created")

    def on_load_changed(_view, event) -> None:
        if event != WebKit2.LoadEvent.FINISHED:
            return
        if view.get_uri().startswith("http://127.0.0.1/"):
            mark("empty-page-loaded")
            if then:
                mark("navigation-started")
                view.load_uri(then.pop())
                return
        elif "/desktop-auth/bootstrap/" in view.get_uri():
            return  # the redirect to the page, not the page
        else:
            mark("page-loaded")
        Gtk.main_quit()

    view.connect("load-changed", on_load_changed)
    view.load_html("<!doctype html><title>floor</title>", "http://127.0.0.1/")
    Gtk.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
