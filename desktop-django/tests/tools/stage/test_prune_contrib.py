"""The django.contrib apps a stage leaves out: those no INSTALLED_APPS entry and no file
outside the app itself names, on a small site-packages tree of real files."""

from __future__ import annotations

from pathlib import Path

from desktop_django_tools.stage.prune import remove_unused_contrib_apps, unused_contrib_apps

APPS = ("admin", "auth", "gis", "humanize", "postgres", "sitemaps", "sites")


def write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def fake_site(root: Path) -> Path:
    site = root / "lib/python3.13/site-packages"
    write(site / "django/__init__.py")
    write(site / "django/contrib/__init__.py")
    for name in APPS:
        write(site / f"django/contrib/{name}/__init__.py")
        write(site / f"django/contrib/{name}/apps.py", f"name = 'django.contrib.{name}'\n")
    # Names only itself: does not keep it.
    write(site / "django/contrib/gis/db/models.py", "from django.contrib.gis import gdal\n")
    # Named only by gis, which goes: does not keep it either.
    write(site / "django/contrib/gis/db/backends.py", "from django.contrib.postgres import x\n")
    # Another package's import keeps an app, in either form, and so does a template.
    write(site / "stubs/patch.py", "from django.contrib import (\n    admin,\n    sitemaps,\n)\n")
    write(site / "blog/templates/blog/page.html", "{# django.contrib.sites #}\n")
    # A file type the scan does not read names nothing.
    write(site / "blog/data.json", '{"app": "django.contrib.humanize"}\n')
    return site


def test_the_unused_apps_are_found(tmp_path):
    site = fake_site(tmp_path)
    # An AppConfig path counts as its app.
    unused = unused_contrib_apps(site, ["django.contrib.auth.apps.AuthConfig", "blog"])
    assert [path.name for path in unused] == ["gis", "humanize", "postgres"]


def test_a_kept_app_keeps_what_it_names(tmp_path):
    site = fake_site(tmp_path)
    unused = unused_contrib_apps(site, ["django.contrib.auth", "django.contrib.gis"])
    assert [path.name for path in unused] == ["humanize"]


def test_the_wrapped_project_code_counts(tmp_path):
    site = fake_site(tmp_path)
    write(tmp_path / "app/views.py", "import django.contrib.humanize.templatetags.humanize\n")
    unused = unused_contrib_apps(site, ["django.contrib.auth"], [tmp_path / "app"])
    assert [path.name for path in unused] == ["gis", "postgres"]


def test_removal_reports_each_app_and_its_bytes(tmp_path):
    site = fake_site(tmp_path)
    gis = site / "django/contrib/gis"
    size = sum(path.stat().st_size for path in gis.rglob("*") if path.is_file())
    removed = dict(remove_unused_contrib_apps(tmp_path, ["django.contrib.auth"]))
    assert sorted(removed) == ["gis", "humanize", "postgres"]
    assert removed["gis"] == size
    assert not gis.exists()
    assert (site / "django/contrib/admin/apps.py").is_file()
    assert (site / "django/contrib/auth/apps.py").is_file()
    assert (site / "django/contrib/sites/apps.py").is_file()


def test_no_django_no_removal(tmp_path):
    assert unused_contrib_apps(tmp_path, []) == []
