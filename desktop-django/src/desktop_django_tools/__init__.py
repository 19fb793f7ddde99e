"""desktop-django's build tools: the `desktop-django` command line and what it drives.

Never shipped inside a stage (the stage builder leaves this package out): the runtime that
ships is `desktop_django`, and nothing there imports from here.
"""
