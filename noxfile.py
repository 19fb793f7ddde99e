"""The single front door: every developer, CI and release action is a nox session.

`nox -l` lists them in the order of a project's life: check the machine, run the app, test,
stage and wrap, package and release. Sessions are thin: they install a dependency group from
uv.lock and call the `desktop-django` CLI (desktop-django/src/desktop_django_tools), where the
work and each external tool's quirks live.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nox

# The tools are not installed in nox's own environment: the few used here at load time
# (interpreter look-up, shell choice) are read from the checkout; they start no process.
sys.path.insert(0, str(Path(__file__).resolve().parent / "desktop-django" / "src"))
from desktop_django_tools import dev as shell_choice
from desktop_django_tools import gtk, pythons
from desktop_django_tools.shells import catalogue

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml("pyproject.toml")
# A path when a CPython 3.13/3.12 was found on disk, else a version nox reports as missing.
PYTHON = pythons.locate() or "3.13"
POSITRON = ROOT / "shells" / "positron"
ARTIFACTS = ROOT / "test-artifacts"
# Run after `tests` (without pytest arguments), so the README's one test command runs them all.
SHELL_TESTS = tuple(f"tests-{name}" for name in catalogue.TESTABLE)
# `-- SHELL` of the package and release sessions.
PACKAGEABLE = "|".join(catalogue.PACKAGEABLE)


def install(session: nox.Session, *groups: str) -> None:
    """The workspace (editable) and dependency groups, exactly as uv.lock pins them."""
    session.log(f"Python: {PYTHON}")
    if session.venv_backend == "uv":
        session.run_install(
            "uv", "sync", "--locked", "--no-default-groups", *(f"--group={g}" for g in groups),
            env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location}, silent=True,
        )  # fmt: skip
        return
    # Without uv there is no lock-aware installer: the same names, unpinned.
    names = [n for g in groups for n in nox.project.dependency_groups(PYPROJECT, g)]
    session.install("-e", "desktop-django", "-e", "backend", *names)


def desktop_django(session: nox.Session, *args: str, group: str, **kwargs) -> None:
    """Install dependency group `group`, then run `desktop-django ARGS` in the session."""
    install(session, group)
    session.run("desktop-django", *args, **kwargs)


def install_positron(session: nox.Session) -> None:
    """The test group, then Positron and its GUI toolkit (outside the lock: the right PyGObject
    depends on the system's GLib, see shells/positron/constraints-debian12.txt)."""
    install(session, "test")
    pins = ["-c", str(POSITRON / "constraints-debian12.txt")] if gtk.needs_debian12_pins() else []
    session.install(*pins, "-e", str(POSITRON), "toga-dummy", "pillow")


def ensure_stage(session: nox.Session) -> None:
    """Rebuild the stage when missing or stale; the local CPython when uv cannot download one."""
    session.run("desktop-django", "ensure-stage",
                env={"DESKTOP_DJANGO_STAGE_OPTIONS": "--allow-local-python"})  # fmt: skip


def python(session: nox.Session) -> str:
    """The session environment's interpreter."""
    return str(Path(session.bin) / ("python.exe" if sys.platform == "win32" else "python"))


def user_path(session: nox.Session, raw: str) -> str:
    """Paths after `--` are the user's: relative to where nox was run, not to this file."""
    return str((Path(session.invoked_from) / raw).resolve())


def parse(session: nox.Session, parser: argparse.ArgumentParser) -> argparse.Namespace:
    try:
        return parser.parse_args(session.posargs)
    except SystemExit:
        session.error(parser.format_usage().strip())


# --- The machine ---


@nox.session(python=False)
def doctor(session: nox.Session) -> None:
    """Toolchains, system packages and download hosts this machine has, with fixes for the rest."""
    # On nox's own interpreter, from the checkout: the doctor must work before anything else
    # does (no Python 3.12+, no uv, no third-party package: not through the CLI).
    session.run(sys.executable, "-m", "desktop_django_tools.doctor",
                env={"PYTHONPATH": str(ROOT / "desktop-django" / "src")})  # fmt: skip


# --- Run the app ---

DEV_OPTIONS = argparse.ArgumentParser(prog="nox -s dev --")
DEV_OPTIONS.add_argument("--shell", choices=catalogue.WINDOWS)
DEV_OPTIONS.add_argument("--browser", action="store_true", help="the backend in a browser")
DEV_OPTIONS.add_argument("--port", type=int, default=8000, help="with --browser")


@nox.session(python=PYTHON, default=False)
def dev(session: nox.Session) -> None:
    """Run Flying Stable in the best shell here (`-- --shell NAME`, or `--browser`)."""
    options = parse(session, DEV_OPTIONS)
    if options.browser:
        desktop_django(session, "run", "browser", "--port", str(options.port), group="dev")
        return
    choice = shell_choice.choose(options.shell)
    if choice.shell is None:
        session.error(choice.reason)
    session.log(f"Shell: {choice.reason}")
    session.notify(f"dev-{choice.shell}")


@nox.session(name="dev-electron", python=PYTHON, default=False)
def dev_electron(session: nox.Session) -> None:
    """Run the Electron shell on the backend source, or on the stage with `-- --staged`."""
    install(session, "dev")
    ensure_stage(session)
    session.run("desktop-django", "run", "electron", *session.posargs)


@nox.session(name="dev-tauri", python=PYTHON, default=False)
def dev_tauri(session: nox.Session) -> None:
    """Run the Tauri shell on the stage (builds the app the first time: minutes)."""
    install(session, "dev")
    # The app bundles the stage: a fresh clone has none, and the build fails without it.
    ensure_stage(session)
    session.run("desktop-django", "run", "tauri", *session.posargs)


@nox.session(name="dev-positron", python=PYTHON, default=False)
def dev_positron(session: nox.Session) -> None:
    """Run the Positron shell (Django in-process); `-- --staged` or `-- --project PATH`."""
    install_positron(session)
    ensure_stage(session)
    args = list(session.posargs)
    if "--project" in args and args.index("--project") + 1 < len(args):
        at = args.index("--project") + 1
        args[at] = user_path(session, args[at])
    session.run("desktop-django", "run", "positron", *args)


# --- Test ---


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff (check and format), node --check on every script, actionlint on the workflows."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("python", "-m", "desktop_django_tools.lint", str(ROOT))


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite (real processes, real browser, real windows); pytest options after --."""
    # Positron in the same environment: the cross-shell tests open its real window too.
    install_positron(session)
    # Every shell's tests run against the stage, and the cross-shell tests start the shells:
    # build both now (a fresh clone has neither) rather than skip what needs them.
    ensure_stage(session)
    session.run("desktop-django", "prepare-shells")
    ARTIFACTS.mkdir(exist_ok=True)
    env = {"TEST_ARTIFACTS_DIR": str(ARTIFACTS), "DESKTOP_DJANGO_POSITRON_PYTHON": python(session)}
    if not session.posargs:
        # Queued before pytest runs: nox runs them even when pytest fails (and then fails at
        # the end), so one Python failure never hides whether the shells pass.
        for shell_tests in SHELL_TESTS:
            session.notify(shell_tests)
    session.run("pytest", *session.posargs, env=env)


@nox.session(name="tests-positron", python=PYTHON, default=False)
def tests_positron(session: nox.Session) -> None:
    """Positron: unit tests on Toga's dummy backend and the real window on Xvfb."""
    install_positron(session)
    ARTIFACTS.mkdir(exist_ok=True)
    session.run("desktop-django", "test-shell", "positron", *session.posargs,
                env={"TEST_ARTIFACTS_DIR": str(ARTIFACTS)})  # fmt: skip


@nox.session(name="tests-tauri", python=PYTHON, default=False)
def tests_tauri(session: nox.Session) -> None:
    """Tauri: supervisor and app crate tests, then the real window over WebDriver."""
    desktop_django(session, "test-shell", "tauri", *session.posargs, group="tauri")


@nox.session(name="tests-electron", python=PYTHON, default=False)
def tests_electron(session: nox.Session) -> None:
    """Electron: node unit, integration, packaging and e2e tests, then electronegativity."""
    desktop_django(session, "test-shell", "electron", *session.posargs, group="stage")


RELIABILITY_OPTIONS = argparse.ArgumentParser(prog="nox -s reliability --")
RELIABILITY_OPTIONS.add_argument("--quick", action="store_true", help="the profile CI runs")


@nox.session(python=PYTHON, default=False)
def reliability(session: nox.Session) -> None:
    """Reliability suite, full profile (faults, crashes, load, bad input, scans); `-- --quick`."""
    options, pytest_args = RELIABILITY_OPTIONS.parse_known_args(session.posargs)
    install(session, "test")
    env = {"RELIABILITY_PROFILE": "quick" if options.quick else "full"}
    session.run("pytest", "tests/reliability", *pytest_args, env=env)


@nox.session(python=False, default=False)
def newcomer(session: nox.Session) -> None:
    """The README's Debian lines and `nox -s dev` from a fresh clone in a fresh Debian 13 root."""
    # Stdlib only, on nox's own interpreter, as root (debootstrap, systemd-nspawn): see
    # tests/newcomer.py. Slow (a debootstrap, every install, a first stage): release checklist.
    session.run(sys.executable, "-m", "tests.newcomer", *session.posargs,
                env={"PYTHONPATH": str(ROOT)})  # fmt: skip


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Benchmark the staged backend (`-- --quick` for CI, `--runs N`); results in bench/results."""
    install(session, "bench")
    ensure_stage(session)
    session.run("python", "-m", "bench", *session.posargs)


# --- Stage and wrap ---


@nox.session(python=PYTHON, default=False)
def stage(session: nox.Session) -> None:
    """Build the stage: relocatable CPython + backend + static files + manifest (docs/stage.md)."""
    desktop_django(session, "stage", *session.posargs, group="stage")


@nox.session(name="verify-stage", python=PYTHON, default=False)
def verify_stage(session: nox.Session) -> None:
    """Re-hash the stage against its manifest; names every missing, extra or changed file."""
    desktop_django(session, "verify-stage", *session.posargs, group="stage")


@nox.session(python=PYTHON, default=False)
def wrap(session: nox.Session) -> None:
    """Check an existing Django project for a desktop build; `-- PATH --apply` wraps it."""
    if not session.posargs or session.posargs[0].startswith("-"):
        session.error("usage: nox -s wrap -- PATH [--apply] (see `desktop-django wrap --help`)")
    path, *options = session.posargs
    # nox points VIRTUAL_ENV at its own session venv: hand the user's (if any) to the preflight.
    env = {"DESKTOP_DJANGO_USER_VIRTUAL_ENV": os.environ.get("VIRTUAL_ENV", "")}
    desktop_django(session, "wrap", user_path(session, path), *options, group="dev", env=env)


# --- Package and release (docs/release.md) ---


@nox.session(python=PYTHON, default=False)
def package(session: nox.Session) -> None:
    """Package one shell for this OS: `-- electron|tauri|positron [options]`."""
    if not session.posargs or session.posargs[0] not in catalogue.PACKAGEABLE:
        session.error(f"usage: nox -s package -- {PACKAGEABLE} [options]")
    install(session, "release")
    requirements = catalogue.get(session.posargs[0]).package_requirements
    if requirements:
        session.install(*requirements)
    session.run("desktop-django", "package", *session.posargs)


@nox.session(python=PYTHON, default=False)
def icons(session: nox.Session) -> None:
    """Every shell's icons from assets/brand/ (`-- --check` only compares)."""
    desktop_django(session, "icons", *session.posargs, group="release")


@nox.session(python=PYTHON, default=False)
def release(session: nox.Session) -> None:
    """Manifest, SHA256SUMS and signature for dist/SHELL/VERSION: `-- SHELL [--dir FOLDER]`."""
    if not session.posargs:
        session.error(f"usage: nox -s release -- {PACKAGEABLE} [--dir FOLDER]")
    desktop_django(session, "release", *session.posargs, group="release")


@nox.session(name="offline-bundle", python=PYTHON, default=False)
def offline_bundle(session: nox.Session) -> None:
    """Folder + .zip + .tar.gz, verified, to carry into an air-gapped site: `-- SHELL`."""
    if not session.posargs:
        session.error(f"usage: nox -s offline-bundle -- {PACKAGEABLE} [--dir FOLDER]")
    desktop_django(session, "offline-bundle", *session.posargs, group="release")
