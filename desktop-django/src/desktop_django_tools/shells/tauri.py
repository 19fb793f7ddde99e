"""Tauri: dev runs on the stage, the shell's own tests (cargo, then the real window over
WebDriver), and this OS's packages. cargo's and the Tauri CLI's quirks live in
`integrations/cargo.py` and `integrations/tauri_cli.py`; this module only orders the verbs.

The Cargo workspace in `shells/tauri` has one target folder, so the release build the tests
make is the one `package` bundles again (cargo finds nothing to recompile).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from desktop_django_tools import devdata, locations
from desktop_django_tools.errors import ToolError
from desktop_django_tools.integrations import cargo, tauri_cli

APP_BINARY = "flying-stable-tauri"
# The WebDriver server the end-to-end tests drive the real window through (crates.io).
TAURI_DRIVER = ("tauri-driver", "2.1.0")
SMOKE_TEST_ENV = "DESKTOP_DJANGO_SMOKE_TEST"
# bundle.resources in tauri.conf.json: the default stage, for a plain `tauri build`.
DEFAULT_STAGE_RESOURCE = "../../../.stage/backend/"
# frontendDist in tauri.conf.json (relative to the shell folder), written by src-tauri/build.rs.
GENERATED_UI = Path("generated") / "ui"


def shell_dir() -> Path:
    return locations.require_workspace("The Tauri shell") / "shells" / "tauri"


# How long a first build of the app takes (a cold target folder), said before one starts:
# about 6 minutes on 2 idle cores, 15 or more on a busy laptop.
FIRST_BUILD_TIME = "5 to 15 minutes"


def unavailable(shell: Path) -> str | None:
    """Why the app cannot be built here, with the fix, or None: a cargo at least as new as
    the workspace's rust-version, and (Linux) the WebKitGTK headers the crates link."""
    installed = cargo.installed_version()
    if installed is None:
        return f"no Rust toolchain (cargo): {cargo.RUSTUP_HINT}"
    old = cargo.too_old(installed, cargo.required_version(shell))
    if old:
        return old
    if sys.platform.startswith("linux"):
        found = subprocess.run(
            ["pkg-config", "--exists", "webkit2gtk-4.1"], check=False, capture_output=True
        ) if shutil.which("pkg-config") else None  # fmt: skip
        if found is None or found.returncode != 0:
            return "no WebKitGTK 4.1 headers (sudo apt-get install libwebkit2gtk-4.1-dev)"
    return None


def built(shell: Path) -> bool:
    """Whether a dev build exists (a later `cargo build` only recompiles what changed)."""
    return cargo.binary(shell, APP_BINARY, release=False).is_file()


def tools_root(shell: Path) -> Path:
    """Tools the tests need, built into the (ignored, cached) target folder."""
    return cargo.target_dir(shell) / "tools"


def _step(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> bool:
    print(f"tauri: {' '.join(command)}", flush=True)
    return subprocess.run(command, cwd=cwd, env=env, check=False).returncode == 0


def _cargo_step(command: list[str], shell: Path) -> None:
    if not _step(command, shell):
        raise cargo.CargoError(f"`cargo {command[1]}` failed", "its output above says why")


def ensure_cli(shell: Path) -> None:
    """The Tauri CLI exactly as package-lock.json pins it (npm registry only)."""
    if not tauri_cli.is_installed(shell) and not _step(tauri_cli.install_command(), shell):
        raise tauri_cli.TauriCliError(f"`npm ci` failed in {shell}")


def ensure_tauri_driver(shell: Path) -> Path:
    crate, version = TAURI_DRIVER
    root = tools_root(shell)
    if not _step(cargo.install_command(crate, version, root), shell):
        raise cargo.CargoError(f"`cargo install {crate} --version ={version}` failed")
    return cargo.installed_binary(root, crate)


# The options `package tauri` reads itself; the rest go to `tauri build` as given. No
# abbreviations: `--bundle` or `--web` belong to the rest, not to these.
PACKAGE_OPTIONS = argparse.ArgumentParser(
    prog="desktop-django package tauri", add_help=False, allow_abbrev=False
)
PACKAGE_OPTIONS.add_argument("--bundles", default="")
PACKAGE_OPTIONS.add_argument("--webview2", default=None)


def split_options(options: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """This tool's package options and the rest (for `tauri build`); the last of a repeated
    option wins, and none of ours is passed on. `bundles`: `--bundles a,b`, else what this
    OS makes without downloads."""
    known, rest = PACKAGE_OPTIONS.parse_known_args(options)
    known.bundles = tuple(b for b in known.bundles.split(",") if b) or tauri_cli.host_bundles()
    return known, rest


# Windows installers and WebView2, the runtime Tauri's window needs there. `download` (Tauri's
# default: the installer fetches Microsoft's bootstrapper, so it needs the internet);
# `offline` (embeds the offline installer: nothing is fetched at install time, about +127 MB);
# `fixed:FOLDER` (ships an extracted Fixed Version runtime and always uses it: about +180 MB,
# and Windows never updates it, so the release must). Air-gapped sites want offline or fixed.
WEBVIEW2_MODES = {
    "download": {"type": "downloadBootstrapper"},
    "offline": {"type": "offlineInstaller"},
}


def webview2_override(mode: str) -> dict:
    """The tauri.conf.json patch for `--webview2 MODE` (it only affects Windows bundles)."""
    if mode.startswith("fixed:") and mode.removeprefix("fixed:"):
        install = {"type": "fixedRuntime", "path": mode.removeprefix("fixed:")}
    elif mode in WEBVIEW2_MODES:
        install = WEBVIEW2_MODES[mode]
    else:
        raise tauri_cli.TauriCliError(
            f"--webview2 {mode!r}: use download, offline or fixed:FOLDER (docs/release.md)"
        )
    return {"bundle": {"windows": {"webviewInstallMode": install}}}


def build_overrides(stage: Path) -> dict:
    """What the build takes from the stage and the backend rather than from tauri.conf.json:
    the backend it bundles, and the app's name and version (one source for every shell)."""
    from desktop_django_tools.release.manifest import product

    app = product()
    # A merge patch: null drops the committed entry (the default stage) before adding this one.
    resources = {DEFAULT_STAGE_RESOURCE: None, f"{stage.as_posix()}/": "backend/"}
    return {"productName": app.name, "version": app.version, "bundle": {"resources": resources}}


def merge_patch(target: dict, patch: dict) -> dict:
    """RFC 7396, as the Tauri CLI merges `--config` onto tauri.conf.json: a caller's
    overrides add to these instead of replacing whole sections."""
    merged = dict(target)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


def build(
    shell: Path,
    chosen: tuple[str, ...],
    overrides: dict | None = None,
    env: dict[str, str] | None = None,
    extra: tuple[str, ...] = (),
    stage: Path | None = None,
) -> list[Path]:
    """`tauri build` (release binary + bundles) with `stage` inside (default: the one stage
    location); the artifacts it wrote."""
    stage = stage or locations.stage_dir()
    if not (stage / "runtime-manifest.json").is_file():
        raise tauri_cli.TauriCliError(
            f"there is no stage in {stage}: run `nox -s stage` (or `desktop-django stage`) first"
        )
    ensure_cli(shell)
    # The CLI checks that frontendDist exists before cargo runs; src-tauri/build.rs fills it
    # (the splash made from the backend's page) before the app crate embeds it.
    (shell / GENERATED_UI).mkdir(parents=True, exist_ok=True)
    # The bundler leaves earlier versions' files beside the new ones: clear its output
    # folders so what this build returns (and `package` copies) is this build alone.
    for bundle in chosen:
        shutil.rmtree(tauri_cli.bundle_dir(cargo.target_dir(shell)) / bundle, ignore_errors=True)
    merged = merge_patch(build_overrides(stage), overrides or {})
    command = tauri_cli.build_command(shell, chosen, merged, *extra)
    if not _step(command, shell, env={**os.environ, **(env or {})}):
        raise tauri_cli.TauriCliError("`tauri build` failed (its output above says why)")
    return tauri_cli.bundles_built(cargo.target_dir(shell), chosen)


def release_binary(shell: Path) -> Path:
    return cargo.binary(shell, APP_BINARY, release=True)


def run(options: list[str]) -> int:
    """A dev run: the debug build on the stage, app data in .devdata/tauri.
    `--smoke` exits once the main page has loaded (DESKTOP_DJANGO_SMOKE_TEST=1)."""
    parser = argparse.ArgumentParser(prog="desktop-django run tauri")
    parser.add_argument("--smoke", action="store_true", help="exit 0 once the app has loaded")
    args = parser.parse_args(options)
    shell = shell_dir()
    why_not = unavailable(shell)
    if why_not:
        raise ToolError(f"cannot build the app here: {why_not}",
                        "`nox -s dev -- --shell positron` opens at once")  # fmt: skip
    if not built(shell):
        print(f"tauri: the first build of the app takes {FIRST_BUILD_TIME} (later ones "
              "seconds); `nox -s dev -- --shell positron` opens at once", flush=True)  # fmt: skip
    _cargo_step(cargo.build_command(shell), shell)
    app = cargo.binary(shell, APP_BINARY, release=False)
    env = {
        **os.environ,
        locations.STAGE_DIR_VARIABLE: str(locations.stage_dir()),
        "DESKTOP_DJANGO_APP_DATA_DIR": str(devdata.folder("tauri")),
    }
    if args.smoke:
        env[SMOKE_TEST_ENV] = "1"
    print(f"tauri: app data in {env['DESKTOP_DJANGO_APP_DATA_DIR']}", flush=True)
    try:
        return subprocess.run([str(app)], env=env, check=False).returncode
    except KeyboardInterrupt:
        return 130


def package(options: list[str]) -> int:
    """This OS's bundles (Linux: .deb and .rpm) with the stage inside, copied into
    dist/tauri/<version>/. `--webview2 MODE` picks how Windows installers get WebView2; other
    options go to `tauri build`."""
    from desktop_django_tools.release.manifest import product

    shell = shell_dir()
    known, extra = split_options(options)
    chosen = known.bundles
    if platform.system() == "Linux" and "appimage" not in chosen:
        print(f"package: {tauri_cli.APPIMAGE_NOTICE}")
    overrides = webview2_override(known.webview2) if known.webview2 else None
    artifacts = build(shell, chosen, overrides=overrides, extra=tuple(extra))
    target = shell.parent.parent / "dist" / "tauri" / product().version
    target.mkdir(parents=True, exist_ok=True)
    for artifact in artifacts:
        shutil.copy2(artifact, target / artifact.name)
        print(f"package: artifact {target / artifact.name}")
    return 0 if artifacts else 1


def test(options: list[str]) -> int:
    """The crates' tests and clippy, the release build, then the real-window tests (options
    go to pytest). Building first keeps the long cold compile out of pytest's per-test
    timeout; the tests' own build call then finds nothing to compile."""
    shell = shell_dir()
    for command in (cargo.test_command(shell), cargo.clippy_command(shell)):
        _cargo_step(command, shell)
    build(shell, tauri_cli.host_bundles())
    pytest = [
        sys.executable, "-m", "pytest", "-p", "no:django",
        "-W", "ignore::pytest.PytestConfigWarning", str(shell / "tests"), *options,
    ]  # fmt: skip
    return 0 if _step(pytest, locations.require_workspace("The Tauri tests")) else 1
