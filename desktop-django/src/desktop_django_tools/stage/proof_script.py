"""Run by the stage's own interpreter (never imported by the tools): import every module of
every installed app, run `manage.py check`, and print one JSON report on stdout.

Only the standard library and Django are used, since this runs inside the stage. A module
counts as broken when it fails to import something that the stage holds part of (a pruned
submodule such as `django.test`, a missing file) or when it is the project's own code; a
module of a third-party app that needs a distribution the stage does not hold at all (a test
suite's pytest, an optional search backend's client) is reported as optional. Third-party
apps' test suites are not imported (see is_test_suite).

`--only ENTRY...` is the second use, run by the *project's own* interpreter with its own
settings: import just the modules named on stdin (one a line), after putting each ENTRY on
sys.path, and report which of them fail there too. A module that fails in the project's own
environment as well is not something the stage broke.

stdout is guarded as the launcher guards it: anything an app prints (in `AppConfig.ready()`,
at import time) goes to stderr, and the one JSON report is the only thing on stdout.
"""

import importlib
import importlib.util
import io
import json
import os
import pkgutil
import re
import sys
import traceback

import django


def is_app_package(path):
    return os.path.isfile(os.path.join(path, "apps.py")) or os.path.isfile(
        os.path.join(path, "models.py")
    )


def is_test_suite(name):
    """A third-party app's own test suite: not run-time code, and importing it registers test
    models and settings that break the real modules imported after it."""
    last = name.rpartition(".")[2]
    return last in ("test", "tests", "testing", "conftest") or last.startswith("test_")


def top_level_present(name):
    try:
        return importlib.util.find_spec(name.partition(".")[0]) is not None
    except (ImportError, ValueError):
        return False


def one_line(exc):
    """An exception as one line: its type and message with every run of whitespace (the
    newlines of a multi-line message) made one space."""
    text = traceback.format_exception_only(type(exc), exc)[-1]
    return " ".join(text.split())


def main(report_stream):
    django.setup()
    from django.apps import apps  # after setup: the app registry is ready

    app_dir = os.path.realpath(sys.argv[1]) + os.sep if len(sys.argv) > 1 else None
    installed = {config.name for config in apps.get_app_configs()}
    report = {"imported": 0, "broken": [], "optional": []}
    seen = set()

    def check(name, own):
        if name in seen:
            return None
        seen.add(name)
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # every failure is reported by module name
            missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
            if missing and not top_level_present(missing):
                needs = missing.partition(".")[0]
                report["optional"].append({"module": name, "reason": f"needs {needs}"})
                return None
            if isinstance(exc, ImportError) or own:
                report["broken"].append({"module": name, "error": one_line(exc), "own": own})
            else:
                report["optional"].append({"module": name, "reason": one_line(exc)})
            return None
        report["imported"] += 1
        return module

    for config in apps.get_app_configs():
        own = bool(app_dir) and os.path.realpath(config.path).startswith(app_dir)
        package = check(config.name, own)
        if package is None or not hasattr(package, "__path__"):
            continue
        pending = [(list(package.__path__), config.name)]
        while pending:
            paths, prefix = pending.pop()
            for info in pkgutil.iter_modules(paths, prefix + "."):
                if not own and is_test_suite(info.name):
                    continue
                if info.ispkg:
                    folder = os.path.join(info.module_finder.path, info.name.rpartition(".")[2])
                    # Another app inside this one (a contrib app, a test app): walked when it
                    # is installed, and only then importable.
                    if info.name not in installed and is_app_package(folder):
                        continue
                module = check(info.name, own)
                if info.ispkg and module is not None:
                    pending.append((list(module.__path__), info.name))
    # `manage.py check` in this same process: the modules are imported once, not twice.
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    output = io.StringIO()
    try:
        call_command("check", stdout=output, stderr=output)
    except SystemCheckError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        # The first issue itself ("app.Model: (app.E001) ..."), else the summary line.
        issues = [line for line in lines if re.search(r"\(\w+\.[EC]\d+\)", line)]
        report["check"] = (issues or lines or ["failed"])[0]
        report["check_output"] = f"{output.getvalue()}{exc}"
    json.dump(report, report_stream)


def only(entries, names, report_stream):
    """In the project's own environment: which of `names` fail to import, and how."""
    sys.path[:0] = entries
    failed = {}
    try:
        django.setup()
    except Exception as exc:  # the project's env cannot even set up: nothing can be told
        json.dump({"setup": one_line(exc), "failed": failed}, report_stream)
        return
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # every failure is reported by module name
            failed[name] = one_line(exc)
    json.dump({"failed": failed}, report_stream)


if __name__ == "__main__":
    # Like the launcher: the report owns stdout, whatever the apps print.
    stream, sys.stdout = sys.stdout, sys.stderr
    if sys.argv[1:2] == ["--only"]:
        only(sys.argv[2:], [line.strip() for line in sys.stdin if line.strip()], stream)
    else:
        main(stream)
