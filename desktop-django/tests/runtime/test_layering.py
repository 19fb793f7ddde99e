"""The layering rule: the runtime that ships in a stage never imports the build tools."""

import pkgutil
import subprocess
import sys

import desktop_django

PROBE = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] == "desktop_django_tools")
print(",".join(leaked))
"""


def test_importing_every_runtime_module_loads_none_of_the_tools():
    modules = [
        f"desktop_django.{info.name}" for info in pkgutil.iter_modules(desktop_django.__path__)
    ]
    assert len(modules) > 10
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "flying_stable.settings.test", "PATH": ""},
    )
    assert result.stdout.strip() == ""
