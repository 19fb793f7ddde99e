"""`python -m desktop_django_tools` is the `desktop-django` command line."""

import sys

from desktop_django_tools.cli import main

sys.exit(main())
