"""desktop-stage.toml: every key checked; an unknown or mistyped key is an error naming it
and the file, before anything is built."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from desktop_django_tools.stage.wrapped import WrappedProjectError, load_project

VALID = """
    [app]
    package = "mysite_desktop"
    settings = "mysite_desktop.settings"

    [source]
    include = ["src", "mysite_desktop"]
    pythonpath = [".", "src"]

    [dependencies]
    requirements = ["requirements.txt"]
    desktop-django-extras = ["django52"]
    exclude = ["gunicorn"]
    keep = ["psycopg"]
    """


def project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "src" / "mysite").mkdir(parents=True)
    (tmp_path / "mysite_desktop").mkdir()
    (tmp_path / "mysite_desktop" / "__init__.py").write_text('APP_ID = "team-notes"\n')
    (tmp_path / "requirements.txt").write_text("django>=5.2\n")
    path = tmp_path / "mysite_desktop" / "desktop-stage.toml"
    path.write_text(textwrap.dedent(config), encoding="utf-8")
    return path


def test_every_documented_key_is_read(tmp_path):
    loaded, app_id = load_project(project(tmp_path, VALID))
    assert app_id == "team-notes"
    assert loaded.settings_module == "mysite_desktop.settings"
    assert loaded.launcher_module == "mysite_desktop.desktop"
    source = loaded.wrapped
    assert source.pythonpath == (".", "src")
    assert source.requirements == ("requirements.txt",)
    assert source.desktop_django_extras == ("django52",)
    assert source.exclude == ("gunicorn",)
    assert source.keep == ("psycopg",)


def test_without_exclude_the_default_list_applies(tmp_path):
    loaded, _ = load_project(project(tmp_path, VALID.replace('exclude = ["gunicorn"]', "")))
    assert loaded.wrapped.exclude is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("pythonpath", "python-path"), "'python-path' in [source]"),
        (("[dependencies]", "[deps]"), "[deps]"),
        (("keep = [", "keep = 'psycopg' #"), "[dependencies] keep must be a list of strings"),
        (('package = "mysite_desktop"', ""), "[app] package is missing"),
        (('"src", "mysite_desktop"', '"mysite_desktop"'), "pythonpath entry 'src'"),
        (('"requirements.txt"', '"requirements/base.txt"'), "'requirements/base.txt'"),
        (('"src", ', '"lib", '), "include entry 'lib' does not exist"),
    ],
)
def test_a_bad_config_names_the_key_and_the_file(tmp_path, change, named):
    path = project(tmp_path, VALID.replace(*change))
    with pytest.raises(WrappedProjectError) as raised:
        load_project(path)
    message = str(raised.value)
    assert str(path) in message
    assert named in message
