"""The single front door: every developer, CI and release action is a nox session.

`nox -l` lists them. Dependencies come from the dependency groups in pyproject.toml, pinned
by the committed uv.lock; `uv` is the venv backend, with virtualenv + pip as the fallback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "desktop-django" / "src"))

from desktop_django_tools import doctor as doctor_checks  # noqa: E402
from desktop_django_tools import gtk, pythons  # noqa: E402
from desktop_django_tools.integrations import briefcase  # noqa: E402

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]
nox.options.error_on_missing_interpreters = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
INTERPRETER = pythons.find()
# An absolute path when discovery found one (uv may not be able to download), else a
# version for nox to report as missing with its own clear error.
PYTHON = INTERPRETER.path if INTERPRETER else "3.13"
DEV_DATA = ROOT / ".devdata"
# Run after `tests` (without pytest arguments), so the README's one test command runs them all.
SHELL_TEST_SESSIONS = ["tests-positron", "tests-tauri", "tests-electron"]


def announce_python(session: nox.Session) -> None:
    if INTERPRETER:
        session.log(f"Python {INTERPRETER.version} from {INTERPRETER.source}: {INTERPRETER.path}")


def install_groups(session: nox.Session, *groups: str) -> None:
    """Install the workspace (editable) and dependency groups exactly as uv.lock pins them."""
    announce_python(session)
    if session.venv_backend == "uv":
        group_args = [f"--group={group}" for group in groups]
        session.run_install(
            "uv",
            "sync",
            "--locked",
            "--no-default-groups",
            *group_args,
            env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
            silent=True,
        )
        return
    # Without uv there is no lock-aware installer: install the same names, unpinned.
    requirements = []
    for group in groups:
        requirements += nox.project.dependency_groups(PYPROJECT, group)
    session.install("-e", "desktop-django", "-e", "backend", *requirements)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff (check and format) on all Python; node --check on every shell and page script."""
    install_groups(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    scripts = [
        str(path)
        for path in sorted(ROOT.glob("**/*.js"))
        if "node_modules" not in path.parts
        and ".stage" not in path.parts
        and ".nox" not in path.parts
        and "dist" not in path.parts
    ]
    for script in scripts:
        session.run("node", "--check", script, external=True, silent=True)
    session.log(f"node --check passed for {len(scripts)} scripts")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (real processes, real browser); pass pytest options after --."""
    install_groups(session, "test")
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    session.run("pytest", *(session.posargs or []), env={"TEST_ARTIFACTS_DIR": str(artifacts)})
    # Each shell's suite runs in its own environment (GUI toolkits, node, cargo).
    if not session.posargs:
        for shell_tests in SHELL_TEST_SESSIONS:
            session.notify(shell_tests)


@nox.session(python=PYTHON, default=False)
def reliability(session: nox.Session) -> None:
    """Reliability suite, full profile (faults, crashes, load, bad input, scans); `-- --quick`."""
    install_groups(session, "test")
    args = [arg for arg in session.posargs if arg != "--quick"]
    profile = "quick" if "--quick" in session.posargs else "full"
    session.run(
        "pytest", "tests/reliability", *args,
        env={"RELIABILITY_PROFILE": profile},
    )  # fmt: skip


@nox.session(python=PYTHON, default=False)
def stage(session: nox.Session) -> None:
    """Build .stage/backend: relocatable CPython + backend + static files + manifest."""
    install_groups(session, "stage")
    session.run("desktop-django", "stage", *session.posargs)


@nox.session(name="verify-stage", python=PYTHON, default=False)
def verify_stage(session: nox.Session) -> None:
    """Re-hash .stage/backend against its manifest; names every missing, extra or changed file."""
    install_groups(session, "stage")
    session.run("desktop-django", "verify-stage", *session.posargs)


@nox.session(python=PYTHON, default=False)
def dev(session: nox.Session) -> None:
    """Run the backend alone in a browser (runserver, DEBUG, worker alongside, no token)."""
    install_groups(session, "dev")
    env = {
        "DJANGO_SETTINGS_MODULE": "flying_stable.settings.dev",
        "DESKTOP_DJANGO_APP_DATA_DIR": str(DEV_DATA),
    }
    session.run("python", "-m", "flying_stable.desktop", "prepare", env=env)
    python = Path(session.bin) / ("python.exe" if os.name == "nt" else "python")
    # The worker exits when its stdin closes, so it can never outlive this session.
    worker = subprocess.Popen(
        [str(python), "-m", "flying_stable.desktop", "worker"],
        stdin=subprocess.PIPE,
        env={**os.environ, **env},
    )
    port = session.posargs[0] if session.posargs else "8000"
    session.log(f"Open http://127.0.0.1:{port}/ (Ctrl+C stops the server and the worker)")
    try:
        session.run("python", "backend/manage.py", "runserver", f"127.0.0.1:{port}", env=env)
    finally:
        worker.stdin.close()
        worker.wait(timeout=10)


POSITRON = ROOT / "shells" / "positron"


def install_positron(session: nox.Session) -> None:
    """The test group from uv.lock, then Positron and its GUI toolkit (outside the lock: the
    right PyGObject depends on the system's GLib, see shells/positron/constraints-debian12.txt)."""
    install_groups(session, "test")
    constraints = []
    if gtk.needs_debian12_pins():
        session.log("girepository-2.0 is missing: pinning PyGObject 3.50.2 / toga-gtk 0.5.4")
        constraints = ["-c", str(POSITRON / "constraints-debian12.txt")]
    session.install(*constraints, "-e", str(POSITRON), "toga-dummy", "pillow")


@nox.session(name="dev-positron", python=PYTHON, default=False)
def dev_positron(session: nox.Session) -> None:
    """Run the Positron shell (Toga WebView, Django in-process); `-- --staged` uses .stage."""
    install_positron(session)
    args = ["--stage", str(ROOT / ".stage" / "backend")] if "--staged" in session.posargs else []
    env = {} if args else {"DJANGO_SETTINGS_MODULE": "flying_stable.settings.dev"}
    if "--project" in session.posargs:  # a wrapped project: see "Wrap an existing project"
        args, env = positron_project_args(session)
    session.run("python", "-m", "flying_stable_positron", *args, env=env)


@nox.session(name="tests-positron", python=PYTHON, default=False)
def tests_positron(session: nox.Session) -> None:
    """Positron tests: dummy-backend unit tests and a real window on Xvfb."""
    install_positron(session)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    session.run(
        "pytest", "-p", "no:django", "-W", "ignore::pytest.PytestConfigWarning",
        str(POSITRON / "tests"), *session.posargs,
        env={"TEST_ARTIFACTS_DIR": str(artifacts)},
    )  # fmt: skip


def package_positron(session: nox.Session) -> None:
    """Build and package the Briefcase app for this OS into dist/positron/<version>/."""
    blocker = briefcase.offline_blocker()
    if blocker:
        session.error(blocker)
    session.install("briefcase>=0.3.20")
    platform, output_format = briefcase.host_target()
    overrides = briefcase.override_args()
    with session.chdir(POSITRON):
        session.run("briefcase", "create", platform, output_format, "--no-input", *overrides)
        session.run("briefcase", "build", platform, output_format, "--no-input")
        session.run("briefcase", "package", platform, output_format, "--no-input", "--adhoc-sign")
    version = PYPROJECT["project"]["version"]
    target = ROOT / "dist" / "positron" / version
    target.mkdir(parents=True, exist_ok=True)
    for artifact in (POSITRON / "dist").iterdir():
        artifact.replace(target / artifact.name)
        session.log(f"artifact: {target / artifact.name}")


PACKAGERS = {
    "positron": "package_positron",
    "electron": "package_electron",
    "tauri": "package_tauri",
}


@nox.session(python=PYTHON, default=False)
def package(session: nox.Session) -> None:
    """Package one shell for this OS: `nox -s package -- electron|tauri|positron`."""
    if not session.posargs or session.posargs[0] not in PACKAGERS:
        session.error(f"usage: nox -s package -- {{{'|'.join(PACKAGERS)}}} [options]")
    shell = session.posargs.pop(0)  # the packagers read only their own options
    packager = globals().get(PACKAGERS[shell])
    if packager is None:
        session.error(f"the {shell} packager is not available in this checkout")
    install_groups(session, "stage")
    _release_preflight(session, shell)  # defined with the release sessions, below
    packager(session)


@nox.session(python=False)
def doctor(session: nox.Session) -> None:
    """Report the toolchains and system packages present, with install commands for the rest."""
    lines, _missing = doctor_checks.report()
    for line in lines:
        print(line)


# --- Tauri shell ---
# The supervisor crate (manifest reader, process supervision) builds and tests anywhere, from
# Debian's packaged crates when crates.io is out of reach; the Tauri app crate needs crates.io
# and says so instead of pretending. Tool quirks live in tooling/cargo.py and
# tooling/tauri_cli.py.

from desktop_django_tools.integrations import cargo, tauri_cli  # noqa: E402

TAURI_SHELL = ROOT / "shells" / "tauri"
TAURI_SUPERVISOR = TAURI_SHELL / "supervisor" / "Cargo.toml"
TAURI_APP = TAURI_SHELL / "src-tauri" / "Cargo.toml"
TAURI_STAGE = ROOT / ".stage" / "backend"
TAURI_NEEDS_CRATES = (
    "The Tauri app cannot be built on this machine because cargo could not fetch its crates "
    "(tauri and its plugins) from crates.io ({detail}): run this session on a connected "
    "machine, or let .github/workflows/tauri.yml build it"
)


def _tauri_cli(session: nox.Session) -> None:
    """Install the Tauri CLI exactly as package-lock.json pins it (npm registry only)."""
    try:
        command = tauri_cli.install_command()
    except tauri_cli.TauriCliError as err:
        session.error(str(err))
    with session.chdir(TAURI_SHELL):
        session.run(*command, external=True, silent=True)


def _tauri_app_ready(session: nox.Session) -> None:
    """Stop early, in one sentence, when the Tauri app cannot be built here."""
    try:
        cargo.executable()
    except cargo.CargoError as err:
        session.error(str(err))
    if not (TAURI_STAGE / "runtime-manifest.json").is_file():
        session.error("There is no staged backend in .stage/backend: run `nox -s stage` first")
    fetched, detail = cargo.fetch(TAURI_APP)
    if not fetched:
        session.error(TAURI_NEEDS_CRATES.format(detail=detail or "no reason given"))
    _tauri_cli(session)


@nox.session(name="tests-tauri", python=PYTHON, default=False)
def tests_tauri(session: nox.Session) -> None:
    """Tauri shell: supervisor crate tests (offline-capable) and the config schema tests."""
    try:
        source = cargo.source_for(TAURI_SUPERVISOR)
    except cargo.CargoError as err:
        session.error(str(err))
    session.log(f"Supervisor crate dependencies from {source.name}")
    session.run(*source.command("test", TAURI_SUPERVISOR, *session.posargs), external=True)
    _tauri_cli(session)
    install_groups(session, "test")
    session.run("pytest", str(TAURI_SHELL / "tests"))


@nox.session(name="dev-tauri", python=False, default=False)
def dev_tauri(session: nox.Session) -> None:
    """Run the Tauri shell on .stage/backend with `tauri dev` (needs crates.io)."""
    _tauri_app_ready(session)
    env = {
        "DESKTOP_DJANGO_STAGE_DIR": str(TAURI_STAGE),
        "DESKTOP_DJANGO_APP_DATA_DIR": str(DEV_DATA / "tauri"),
    }
    with session.chdir(TAURI_SHELL):
        session.run(*tauri_cli.dev_command(TAURI_SHELL, *session.posargs), env=env, external=True)


def package_tauri(session: nox.Session) -> None:
    """Build the Tauri app and this OS's bundles (deb + AppImage, app + dmg, or NSIS)."""
    _tauri_app_ready(session)
    try:
        command = tauri_cli.build_command(TAURI_SHELL, *session.posargs)
    except tauri_cli.TauriCliError as err:
        session.error(str(err))
    with session.chdir(TAURI_SHELL):
        session.run(*command, external=True)
    session.log(f"Bundles are in {tauri_cli.bundle_dir(TAURI_SHELL).relative_to(ROOT)}")


@nox.session(name="package-tauri", python=False, default=False)
def package_tauri_session(session: nox.Session) -> None:
    """Package the Tauri shell for this OS (needs crates.io); `tauri build` options after --."""
    package_tauri(session)


# --- Electron shell ---
# The release lane. The shell reads only the stage manifest (shells/electron/src/main/
# launch-plan.js); npm and electron-builder quirks live in tooling/npm.py and
# tooling/electron_builder.py.

import json  # noqa: E402

from desktop_django_tools.integrations import electron_builder, npm  # noqa: E402

ELECTRON_SHELL = ROOT / "shells" / "electron"
ELECTRON_TEST_DIRS = ("unit", "integration", "packaging", "e2e")
ELECTRON_UNAVAILABLE = (
    "{reason}: set ELECTRON_MIRROR to a reachable mirror (or ELECTRON_OVERRIDE_DIST_PATH to an "
    "unpacked Electron), or use `nox -s dev-positron`"
)


def _electron_stage(session: nox.Session) -> Path:
    stage = Path(os.environ.get("DESKTOP_DJANGO_STAGE_DIR") or ROOT / ".stage" / "backend")
    if not (stage / "runtime-manifest.json").is_file():
        session.error(f"There is no staged backend in {stage}: run `nox -s stage` first")
    return stage.resolve()


def _electron_npm(session: nox.Session) -> str:
    """npm ci as package-lock.json pins it (no Electron binary), then the generated assets."""
    try:
        command = npm.ci_command()
        node = npm.node()
    except npm.NpmError as err:
        session.error(str(err))
    with session.chdir(ELECTRON_SHELL):
        session.run(*command, env=npm.CI_ENV, external=True, silent=True)
        session.run(node, "scripts/prepare-assets.js", external=True)
    return node


@nox.session(name="dev-electron", python=PYTHON, default=False)
def dev_electron(session: nox.Session) -> None:
    """Run the Electron shell on the backend source, or on .stage/backend with `-- --staged`."""
    staged = "--staged" in session.posargs
    electron_args = [arg for arg in session.posargs if arg != "--staged"]
    mode = "staged" if staged else "dev"
    env = {
        "DESKTOP_DJANGO_ELECTRON_MODE": mode,
        # Never the installed app's data: a dev database may be migrated ahead of the release.
        "DESKTOP_DJANGO_USER_DATA_DIR": str(DEV_DATA / f"electron-{mode}"),
    }
    if staged:
        env["DESKTOP_DJANGO_STAGE_DIR"] = str(_electron_stage(session))
    else:
        install_groups(session, "dev")
        python = Path(session.bin) / ("python.exe" if os.name == "nt" else "python")
        env["DESKTOP_DJANGO_DEV_PYTHON"] = str(python)
    _electron_npm(session)
    binary, reason = npm.electron_binary(ELECTRON_SHELL)
    if binary is None:
        session.error(ELECTRON_UNAVAILABLE.format(reason=reason))
    with session.chdir(ELECTRON_SHELL):
        session.run(str(binary), ".", *electron_args, env=env, external=True)


@nox.session(name="tests-electron", python=False, default=False)
def tests_electron(session: nox.Session) -> None:
    """Electron shell: node unit, integration, packaging and e2e tests, then electronegativity."""
    node = _electron_npm(session)
    tests = session.posargs or [
        str(path.relative_to(ELECTRON_SHELL))
        for folder in ELECTRON_TEST_DIRS
        for path in sorted((ELECTRON_SHELL / "test" / folder).glob("*.test.js"))
    ]
    # The packaging test runs electron-builder itself; give it the same quirk settings.
    env = electron_builder.build_env(os.environ, stage_dir=ROOT / ".stage" / "backend")
    env.pop("DESKTOP_DJANGO_STAGE_DIR")  # the tests read it (or the default) themselves
    with session.chdir(ELECTRON_SHELL):
        session.run(node, "--test", *tests, env=env, external=True)
        if not session.posargs:
            session.run(node, "scripts/electronegativity.js", external=True)


def package_electron(session: nox.Session, args: list[str] | None = None) -> None:
    """Build the Electron app for this OS into dist/electron/<version>/ (targets in `args`)."""
    if args is None:
        args = list(session.posargs)
        if args[:1] == ["electron"]:  # dispatched by `nox -s package -- electron [targets]`
            args = args[1:]
    layout_only = "--layout-only" in args
    targets = [arg for arg in args if arg != "--layout-only"]
    stage = _electron_stage(session)
    node = _electron_npm(session)
    env = electron_builder.build_env(os.environ, stage_dir=stage)
    if layout_only:
        # No Electron can be had: check the packaging pipeline with the stand-in, into a folder
        # whose name says it is not an app.
        if not sys.platform.startswith("linux"):
            session.error("--layout-only builds the Linux layout only")
        version = json.loads((stage / "runtime-manifest.json").read_text())["app"]["version"]
        scratch = ROOT / "dist" / "electron-layout-only"
        standin = subprocess.run(
            [node, "packaging/electron-dist-standin.js", str(scratch)],
            cwd=ELECTRON_SHELL, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        env["DESKTOP_DJANGO_ELECTRON_DIST"] = standin
        env["DESKTOP_DJANGO_ELECTRON_OUT"] = str(scratch / version)
        targets = targets or list(electron_builder.OFFLINE_TARGETS)
        session.warn("Layout-only build: the executable is a stand-in, nothing built can run")
    elif not os.environ.get("DESKTOP_DJANGO_ELECTRON_DIST"):
        binary, reason = npm.electron_binary(ELECTRON_SHELL)
        if binary is None:
            session.error(
                f"{reason}: electron-builder needs an Electron distribution to package. Set "
                "ELECTRON_MIRROR, or DESKTOP_DJANGO_ELECTRON_DIST to an unpacked Electron for "
                "this OS; `nox -s package-electron -- --layout-only` checks the packaging "
                "layout with a non-runnable stand-in instead"
            )
    try:
        command = electron_builder.build_command(node, targets)
    except electron_builder.ElectronBuilderError as err:
        session.error(str(err))
    with session.chdir(ELECTRON_SHELL):
        session.run(*command, env=env, external=True)


@nox.session(name="package-electron", python=False, default=False)
def package_electron_session(session: nox.Session) -> None:
    """Package the Electron shell for this OS; targets (e.g. `dir tar.gz`) after --."""
    package_electron(session)


# --- Benchmarks ---
# Start-up, requests, tasks, shutdown, size and memory of the staged backend; each comparison
# interleaved in one run. The code and the committed results are in bench/.

BENCH_STAGE = ROOT / ".stage" / "backend"


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Benchmark the staged backend (`-- --quick` for CI, `--runs N`); results in bench/results."""
    install_groups(session, "bench")
    stage_dir = Path(os.environ.get("DESKTOP_DJANGO_STAGE_DIR") or BENCH_STAGE)
    if not (stage_dir / "runtime-manifest.json").is_file():
        session.log(f"No stage in {stage_dir}: building it first")
        session.run("desktop-django", "stage", "--allow-local-python", "--output", str(stage_dir))
    # bench reads DESKTOP_DJANGO_STAGE_DIR itself: no path in the command it records.
    session.run("python", "-m", "bench", *session.posargs)


# --- Release engineering ---
# Icons from the one SVG, release manifests with checksums and signatures, and offline
# bundles, all through `python -m release` (release/). The steps that sign refuse a dirty git
# tree unless given --allow-dirty. See docs/release.md.

from desktop_django_tools.release import credentials as release_credentials  # noqa: E402

RELEASE_SHELLS = ("electron", "tauri", "positron")
RELEASE_USAGE = (
    "usage: nox -s {session} -- {{{shells}}} [--allow-dirty] [--require-signature] "
    "[--dir FOLDER] [--version VERSION]"
)


def _release_preflight(session: nox.Session, shell: str) -> None:
    """Before packaging: restage a missing or stale backend; say when it will be unsigned."""
    session.run("desktop-django", "ensure-stage")
    notice = release_credentials.signing_notice(shell, sys.platform, os.environ)
    if notice:
        session.log(notice)


def _release_args(session: nox.Session, name: str) -> list[str]:
    if not session.posargs or session.posargs[0] not in RELEASE_SHELLS:
        session.error(RELEASE_USAGE.format(session=name, shells="|".join(RELEASE_SHELLS)))
    return list(session.posargs)


@nox.session(python=PYTHON, default=False)
def icons(session: nox.Session) -> None:
    """Generate every shell's icons from assets/brand/ (`-- --check` only compares)."""
    install_groups(session, "release")
    session.run("desktop-django", "icons", *session.posargs)


@nox.session(python=PYTHON, default=False)
def release(session: nox.Session) -> None:
    """Manifest, SHA256SUMS and signature for dist/SHELL/VERSION: `nox -s release -- SHELL`."""
    args = _release_args(session, "release")
    install_groups(session, "release")
    session.run("desktop-django", "release", *args)


@nox.session(name="offline-bundle", python=PYTHON, default=False)
def offline_bundle(session: nox.Session) -> None:
    """Folder + .zip + .tar.gz to carry into an air-gapped site: `-- SHELL`."""
    args = _release_args(session, "offline-bundle")
    install_groups(session, "release")
    session.run("desktop-django", "offline-bundle", *args)


# --- Wrap an existing project ---
# `desktop-django wrap` (desktop-django/src/desktop_django/wrap/) checks an existing Django
# project and, with --apply, writes its desktop entry folder; `nox -s stage -- --project PATH`
# stages it (stage/wrapped.py) and `nox -s dev-positron -- --project PATH` runs it.
# Guide: docs/wrapping.md.

WRAP_USAGE = (
    'usage: nox -s wrap -- PATH/TO/DJANGO/PROJECT [--settings MODULE] [--name "App Name"] '
    "[--python PATH] [--apply [--force]] [--json]"
)


def _project_path(session: nox.Session, raw: str) -> str:
    """Paths after `--` are the user's: relative to where nox was run, not to this file."""
    return str((Path(session.invoked_from) / raw).resolve())


@nox.session(python=PYTHON, default=False)
def wrap(session: nox.Session) -> None:
    """Check an existing Django project for a desktop build; `-- PATH --apply` wraps it."""
    if not session.posargs or session.posargs[0].startswith("-"):
        session.error(WRAP_USAGE)
    install_groups(session, "dev")
    path, *options = session.posargs
    session.run("desktop-django", "wrap", _project_path(session, path), *options)


def positron_project_args(session: nox.Session) -> tuple[list[str], dict]:
    """Stage the wrapped project named by `--project PATH` for dev-positron; its shell args."""
    from desktop_django_tools.stage.wrapped import WrappedProjectError, load_project

    args = list(session.posargs)
    at = args.index("--project")
    if at + 1 >= len(args):
        session.error("usage: nox -s dev-positron -- --project PATH [stage options]")
    project_path = _project_path(session, args[at + 1])
    stage_options = args[:at] + args[at + 2 :]
    try:
        project, app_id = load_project(Path(project_path))
    except WrappedProjectError as err:
        session.error(str(err))
    output = ROOT / ".stage" / app_id / "backend"
    # A dev run: no bytecode, and the local CPython when uv cannot download one.
    session.run(
        "desktop-django", "stage", "--project", project_path, "--output", str(output),
        "--no-bytecode", "--allow-local-python", *stage_options,
    )  # fmt: skip
    env = {
        "DJANGO_SETTINGS_MODULE": project.settings_module,
        "DESKTOP_DJANGO_APP_DATA_DIR": str(DEV_DATA / f"positron-{app_id}"),
        # Positron imports from the stage in-process: keep the stage as built (verify-stage).
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return ["--stage", str(output)], env
