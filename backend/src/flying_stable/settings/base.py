"""Settings shared by every mode. Nothing here reads the environment."""

from pathlib import Path

from desktop_django import settings as desktop

import flying_stable

PACKAGE_DIR = Path(__file__).resolve().parent.parent

DESKTOP_DJANGO_APP_ID = flying_stable.APP_ID
DESKTOP_DJANGO_APP_VERSION = flying_stable.__version__
DESKTOP_DJANGO_FIRST_RUN = ["flying_stable.ponies.seed.seed_starter_roster"]
DESKTOP_DJANGO_ON_STARTUP = ["flying_stable.routines.reconcile.reconcile_abandoned_routines"]

# Composed with the same desktop-django helpers a wrapped project's settings use, so the demo
# proves them. Only what the app uses: every extra app costs start-up time in a desktop launch;
# installed_apps() adds static files and the task database the worker reads.
INSTALLED_APPS = desktop.installed_apps(
    [
        "django.contrib.messages",
        "flying_stable.ponies",
        "flying_stable.routines",
        "flying_stable.pages",
    ]
)

# middleware() puts the token check first, WhiteNoise after SecurityMiddleware, CSP last.
MIDDLEWARE = desktop.middleware(
    [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
)

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

TASKS = desktop.tasks()

SECURE_CSP = desktop.content_security_policy()
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
