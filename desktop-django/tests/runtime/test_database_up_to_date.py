"""The everyday start's migration check: a directory listing and one query must say exactly
what Django's migration loader would, and anything unusual must take the full path."""

import pytest
from desktop_django.database import _migration_files, _up_to_date
from django.db import connection
from django.db.migrations.loader import MigrationLoader

pytestmark = pytest.mark.django_db


def test_the_files_on_disk_are_the_ones_djangos_loader_finds():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    migrated_apps, names = _migration_files()
    assert names == set(loader.disk_migrations)
    assert migrated_apps == loader.migrated_apps


def test_a_migrated_database_is_up_to_date():
    assert _up_to_date(connection)


@pytest.mark.parametrize(
    "statement",
    [
        # A migration this version ships but the database has not applied.
        "DELETE FROM django_migrations WHERE id = (SELECT MAX(id) FROM django_migrations)",
        # A migration from a newer version: the full path must refuse the database.
        "INSERT INTO django_migrations (app, name, applied) "
        "SELECT app, '9999_from_a_newer_version', applied FROM django_migrations LIMIT 1",
    ],
)
def test_any_difference_takes_the_full_path(statement):
    with connection.cursor() as cursor:
        cursor.execute(statement)
    assert not _up_to_date(connection)


def test_a_database_without_the_migrations_table_takes_the_full_path():
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE django_migrations RENAME TO django_migrations_aside")
    try:
        assert not _up_to_date(connection)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE django_migrations_aside RENAME TO django_migrations")
