"""--apply in the project's own style: line endings kept, pyproject.toml edited in place (one
added line), generated Python clean under ruff's default rules plus import sorting, relative
folder settings anchored, src/ layout staged from src/, and a dependency line that resolves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib

import pytest
from desktop_django_testing.ci import require_in_ci
from desktop_django_tools.stage.config import PYTHON_VERSION
from desktop_django_tools.stage.wrapped import load_project

from tools.wrap.conftest import git, wrap_cli
from tools.wrap.fixtures_preflight import FIXTURES, build, user_env

pytestmark = pytest.mark.slow

# ruff's default rule set, plus its isort rules (which many projects' CI runs).
RUFF_RULES = "E4,E7,E9,F,I"


@pytest.fixture(scope="module")
def applied(tmp_path_factory, preflight_envs):
    """`applied(name)`: a project of that class, wrapped with --apply once for this module."""
    made = {}

    def get(name: str):
        if name not in made:
            folder = tmp_path_factory.mktemp(f"applied-{name}")
            project = build(folder, name, preflight_envs(FIXTURES[name].django))
            done = wrap_cli(project.root, "--apply", env=user_env(project.env))
            assert done.returncode == 0, done.stdout + done.stderr
            assert "Traceback" not in done.stderr
            made[name] = project
        return made[name]

    return get


def committed(root, path: str) -> bytes:
    """The file as the project committed it, byte for byte."""
    return subprocess.run(
        ["git", "show", f"HEAD:{path}"], cwd=root, capture_output=True, check=True
    ).stdout


def ruff() -> list[str]:
    if shutil.which("ruff"):
        return ["ruff"]
    if shutil.which("uvx"):
        return ["uvx", "ruff"]
    require_in_ci("ruff (or uvx) is needed to lint the generated files")
    return []


def added_lines(root, path: str) -> list[str]:
    diff = git(root, "diff", "--unified=0", "--", path).splitlines()
    assert not [line for line in diff if line.startswith("-") and not line.startswith("---")]
    return [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")]


def import_desktop_settings(made, *expressions: str) -> list[str]:
    """Evaluate expressions on the packaged settings from another folder, as the stage does
    (this test run's interpreter has desktop-django's runtime; the project is on sys.path)."""
    paths = [str(made.root / entry) for entry in (".", "src") if (made.root / entry).is_dir()]
    code = (
        "import sys, django; sys.path[:0] = " + repr(paths) + "; django.setup()\n"
        "from django.conf import settings\n"
        + "".join(f"print({expression})\n" for expression in expressions)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DESKTOP_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "mysite_desktop.settings",
        "DESKTOP_DJANGO_APP_DATA_DIR": str(made.root.parent / "app-data"),
        "DESKTOP_DJANGO_AUTH_TOKEN": "0" * 64,
    }
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=made.root.parent, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_crlf_requirements_stay_crlf_with_a_two_line_diff(applied):
    made = applied("crlf-requirements")
    before = committed(made.root, "requirements.txt")
    after = (made.root / "requirements.txt").read_bytes()
    assert after.startswith(before)
    added = after[len(before) :]
    assert added.count(b"\r\n") == 2, added
    assert added.count(b"\n") == 2, added
    assert len(added_lines(made.root, "requirements.txt")) == 2


def test_pyproject_gains_one_line_in_its_own_layout(applied):
    made = applied("pyproject-style")
    before = committed(made.root, "pyproject.toml")
    after = (made.root / "pyproject.toml").read_bytes()
    assert after.count(b"\n") == after.count(b"\r\n") == before.count(b"\r\n") + 1
    (line,) = added_lines(made.root, "pyproject.toml")
    assert line.startswith('  "desktop-django @ file:///')
    assert line.endswith('",')
    assert b'"django>=6.0,<7",  # the web framework' in after
    data = tomllib.loads(after.decode())
    assert data["project"]["dependencies"][:2] == ["django>=6.0,<7", "requests[socks]>=2.31"]


def test_an_undeclared_app_is_pinned_in_the_pyproject_at_its_installed_version(applied):
    made = applied("undeclared-pyproject")
    code = "import importlib.metadata as m; print(m.version('django-filter'))"
    version = subprocess.run([made.env.python, "-c", code], capture_output=True, text=True,
                             check=True).stdout.strip()  # fmt: skip
    pin, desktop = added_lines(made.root, "pyproject.toml")
    assert pin == f'  "django-filter=={version}",'
    assert desktop.startswith('  "desktop-django @ file:///')
    dependencies = tomllib.loads((made.root / "pyproject.toml").read_text())["project"]
    assert f"django-filter=={version}" in dependencies["dependencies"]


def test_the_added_dependency_line_resolves(applied):
    made = applied("crlf-requirements")
    done = subprocess.run(
        ["uv", "pip", "compile", "--quiet", "--no-header", "--python-version", PYTHON_VERSION,
         "requirements.txt"],
        cwd=made.root, capture_output=True, text=True, timeout=300,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "desktop-django @ file:///" in done.stdout
    assert "whitenoise==" in done.stdout  # desktop-django's own requirements came along


@pytest.mark.parametrize("name", ["relative-dirs", "src-layout", "server-only", "fresh"])
def test_generated_python_passes_ruff_and_the_stage_config_loads(applied, name):
    made = applied(name)
    lint = subprocess.run(
        [*ruff(), "check", "--isolated", "--select", RUFF_RULES, "mysite_desktop"],
        cwd=made.root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr
    project, app_id = load_project(made.root)  # the stage's own reader validates every key
    assert app_id == name
    assert "mysite_desktop" in project.wrapped.include


def test_relative_folder_settings_are_anchored_to_the_project(applied):
    made = applied("relative-dirs")
    dirs, static, template = import_desktop_settings(
        made,
        'settings.TEMPLATES[0]["DIRS"]',
        "settings.STATICFILES_DIRS",
        '__import__("django.template.loader").template.loader.get_template("site.html").render().strip()',
    )
    assert dirs == repr([made.root / "mysite" / "templates"])
    assert static == repr([made.root / "assets"])
    assert template == "<p>site</p>"
    config = tomllib.loads((made.root / "mysite_desktop" / "desktop-stage.toml").read_text())
    assert {"assets", "mysite", "notes", "mysite_desktop"} <= set(config["source"]["include"])


def test_src_layout_stages_src_on_the_path(applied):
    made = applied("src-layout")
    config = tomllib.loads((made.root / "mysite_desktop" / "desktop-stage.toml").read_text())
    assert config["source"]["pythonpath"] == [".", "src"]
    assert set(config["source"]["include"]) == {"src", "mysite_desktop"}
    (root_urlconf,) = import_desktop_settings(made, "settings.ROOT_URLCONF")
    assert root_urlconf == "mysite.urls"


def test_server_only_drivers_django_contrib_postgres_needs_are_kept(applied):
    made = applied("server-only")
    project, _ = load_project(made.root)
    assert project.wrapped.keep == ("psycopg", "psycopg-binary")  # psycopg[binary]
    assert project.wrapped.exclude is None  # the stage's default: every server-only one


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("desktop-django>=0.1", "desktop-django>=0.1"), ("WHEEL", "desktop-django @ file:///")],
    ids=["requirement", "wheel"],
)
def test_desktop_django_option_picks_the_line(make_fixture, tmp_path, spec, expected):
    made = make_fixture("crlf-requirements")
    if spec == "WHEEL":
        spec = tmp_path / "desktop_django-0.1.0-py3-none-any.whl"
        spec.write_bytes(b"")  # only its path is written into the requirement
    done = wrap_cli(made.root, "--apply", "--desktop-django", spec, env=user_env(made.env))
    assert done.returncode == 0, done.stdout + done.stderr
    assert added_lines(made.root, "requirements.txt")[-1].startswith(expected)


def test_desktop_django_option_that_is_neither_is_refused(make_fixture):
    made = make_fixture("crlf-requirements")
    done = wrap_cli(made.root, "--apply", "--desktop-django", "./dist/missing.whl",
                    env=user_env(made.env))  # fmt: skip
    assert done.returncode == 1
    assert "--desktop-django './dist/missing.whl' is neither" in done.stderr
    assert git(made.root, "status", "--porcelain", "--untracked-files=all") == ""
