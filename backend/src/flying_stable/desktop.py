"""Launcher entry point: `python -m flying_stable.desktop serve|worker|prepare`."""

import sys

from desktop_django.launcher import main

if __name__ == "__main__":
    sys.exit(main(settings_module="flying_stable.settings.packaged"))
