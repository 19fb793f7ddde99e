"""Distributions a server deployment needs and a desktop build does not.

One list, read by the preflight (it names the ones a project declares) and by the stage
(it leaves them out of a wrapped project's runtime unless the stage config keeps them).
A desktop build runs waitress on SQLite in app data, keeps files on disk and sends nothing
to monitoring services, so these only add size (a CMS's requirements reached 224 MB with them).
"""

from __future__ import annotations

import re

# Exact names (normalized: lower case, runs of -_. as one -), and what each is for.
SERVER_ONLY = {
    "gunicorn": "WSGI server (the desktop build serves with waitress)",
    "uwsgi": "WSGI server (the desktop build serves with waitress)",
    "uvicorn": "ASGI server (the desktop build serves with waitress)",
    "daphne": "ASGI server (the desktop build serves with waitress)",
    "hypercorn": "ASGI server (the desktop build serves with waitress)",
    "mod-wsgi": "Apache WSGI module",
    "psycopg": "PostgreSQL driver (the desktop build runs on SQLite)",
    "psycopg2": "PostgreSQL driver (the desktop build runs on SQLite)",
    "psycopg2-binary": "PostgreSQL driver (the desktop build runs on SQLite)",
    "psycopg-binary": "PostgreSQL driver (the desktop build runs on SQLite)",
    "psycopg-c": "PostgreSQL driver (the desktop build runs on SQLite)",
    "psycopg-pool": "PostgreSQL connection pool (the desktop build runs on SQLite)",
    "mysqlclient": "MySQL driver (the desktop build runs on SQLite)",
    "pymysql": "MySQL driver (the desktop build runs on SQLite)",
    "dj-database-url": "database URL parsing for servers",
    "boto3": "AWS SDK (files stay on disk in app data)",
    "botocore": "AWS SDK (files stay on disk in app data)",
    "django-storages": "remote file storage (files stay on disk in app data)",
    "elasticsearch": "Elasticsearch client (a search server)",
    "elasticsearch-dsl": "Elasticsearch client (a search server)",
    "opensearch-py": "OpenSearch client (a search server)",
    "django-redis": "Redis cache (the desktop build caches in process)",
    "redis": "Redis client (the desktop build caches in process)",
    "hiredis": "Redis client (the desktop build caches in process)",
    "sentry-sdk": "Sentry error reporting (a desktop app reports to no server)",
    "newrelic": "New Relic agent",
    "ddtrace": "Datadog tracer",
    "django-prometheus": "Prometheus metrics endpoint",
}
# Families named by prefix: every distribution whose normalized name starts with one.
SERVER_ONLY_PREFIXES = {
    "google-cloud-": "Google Cloud client (files stay on disk in app data)",
    "azure-storage-": "Azure Storage client (files stay on disk in app data)",
    "opentelemetry-exporter-": "OpenTelemetry exporter (a desktop app reports to no server)",
}
# The PostgreSQL drivers stay when django.contrib.postgres is installed: its app imports
# the driver when Django starts, SQLite or not.
POSTGRES_DRIVERS = ("psycopg", "psycopg2", "psycopg2-binary", "psycopg-binary", "psycopg-c")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def why_server_only(name: str) -> str | None:
    """What the distribution is for, when a desktop build does not need it; else None."""
    name = normalize(name)
    if name in SERVER_ONLY:
        return SERVER_ONLY[name]
    return next((why for p, why in SERVER_ONLY_PREFIXES.items() if name.startswith(p)), None)


def default_exclusions(names, installed_apps=()) -> list[str]:
    """The declared distributions a stage leaves out by default (sorted, normalized)."""
    keep = set(POSTGRES_DRIVERS) if "django.contrib.postgres" in installed_apps else set()
    return sorted({normalize(n) for n in names if why_server_only(n) and normalize(n) not in keep})
