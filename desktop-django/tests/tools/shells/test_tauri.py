"""The Tauri orchestration's own decisions: which bundles, what the build overrides, and how
a caller's overrides combine with them (the Tauri CLI merges `--config` as RFC 7396)."""

from __future__ import annotations

from pathlib import Path

import pytest
from desktop_django_tools.release.manifest import product
from desktop_django_tools.shells import tauri


def test_bundles_come_from_the_options_or_the_host(monkeypatch):
    monkeypatch.setattr(tauri.tauri_cli.platform, "system", lambda: "Linux")

    def bundles(options: list[str]) -> tuple[str, ...]:
        return tauri.split_options(options)[0].bundles

    assert bundles([]) == ("deb", "rpm")
    assert bundles(["--bundles", "deb,appimage"]) == ("deb", "appimage")
    assert bundles(["--bundles=rpm", "--verbose"]) == ("rpm",)


def test_the_bundles_option_is_not_passed_twice():
    options = ["--bundles", "deb", "--verbose", "--bundles=rpm", "--no-sign"]
    assert tauri.split_options(options)[1] == ["--verbose", "--no-sign"]


def test_the_webview2_option_is_read_here_and_not_passed_on():
    known, rest = tauri.split_options(["--webview2", "offline", "--verbose"])
    assert (known.webview2, rest) == ("offline", ["--verbose"])


def test_the_build_takes_name_version_and_stage_from_the_tools(tmp_path):
    app = product()
    overrides = tauri.build_overrides(tmp_path / "stage")
    assert (overrides["productName"], overrides["version"]) == (app.name, app.version)
    resources = overrides["bundle"]["resources"]
    # The committed entry is dropped (null), the chosen stage bundled as `backend/`.
    assert resources == {
        tauri.DEFAULT_STAGE_RESOURCE: None,
        f"{(tmp_path / 'stage').as_posix()}/": "backend/",
    }


def test_overrides_merge_into_nested_sections_instead_of_replacing_them():
    base = tauri.build_overrides(Path("/stage"))
    merged = tauri.merge_patch(
        base, {"version": "0.1.1", "bundle": {"createUpdaterArtifacts": True}}
    )
    assert merged["version"] == "0.1.1"
    assert merged["bundle"]["createUpdaterArtifacts"] is True
    assert merged["bundle"]["resources"] == base["bundle"]["resources"]


def test_webview2_modes_for_air_gapped_windows_installs():
    assert tauri.webview2_override("offline") == {
        "bundle": {"windows": {"webviewInstallMode": {"type": "offlineInstaller"}}}
    }
    fixed = tauri.webview2_override("fixed:./webview2/runtime")
    assert fixed["bundle"]["windows"]["webviewInstallMode"] == {
        "type": "fixedRuntime",
        "path": "./webview2/runtime",
    }
    # It patches only the Windows section of what the build already overrides.
    merged = tauri.merge_patch(tauri.build_overrides(Path("/stage")), fixed)
    assert merged["bundle"]["resources"][f"{Path('/stage').as_posix()}/"] == "backend/"


def test_an_unknown_webview2_mode_is_refused_with_the_choices():
    for bad in ("online", "fixed:", ""):
        with pytest.raises(tauri.tauri_cli.TauriCliError, match="download, offline or fixed"):
            tauri.webview2_override(bad)
