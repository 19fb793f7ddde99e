"""Settings shared by every mode. Nothing here reads the environment."""

from pathlib import Path

from desktop_django.settings import AUTH_MIDDLEWARE, content_security_policy

import flying_stable

PACKAGE_DIR = Path(__file__).resolve().parent.parent

DESKTOP_DJANGO_APP_ID = flying_stable.APP_ID
DESKTOP_DJANGO_APP_VERSION = flying_stable.__version__
DESKTOP_DJANGO_FIRST_RUN = ["flying_stable.ponies.seed.seed_starter_roster"]
DESKTOP_DJANGO_ON_STARTUP = ["flying_stable.routines.reconcile.reconcile_abandoned_routines"]

# Only what the app uses: every extra app costs start-up time in a desktop launch.
INSTALLED_APPS = [
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "flying_stable.ponies",
    "flying_stable.routines",
    "flying_stable.pages",
]

MIDDLEWARE = [
    AUTH_MIDDLEWARE,
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "flying_stable.urls"
WSGI_APPLICATION = "flying_stable.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
                "flying_stable.pages.context.app_identity",
            ],
        },
    },
]

# No sessions app: flash messages live in a signed cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SECURE_CSP = content_security_policy()
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# How long a stable routine takes and how often it fails: the demo's "real work".
ROUTINE_DURATION_SECONDS = (3.0, 10.0)
ROUTINE_FAILURE_RATE = 0.2
