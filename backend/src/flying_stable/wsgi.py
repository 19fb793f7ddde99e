"""WSGI application for servers other than the desktop launcher."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flying_stable.settings.packaged")
application = get_wsgi_application()
