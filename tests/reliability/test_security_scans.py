"""Scenario 8: security scanners, each with no unexplained finding.

Scanners that need a vulnerability service skip when it does not answer, naming that
service (an outage of a third party is not a dependency CI could install); the scoreboard
shows them as skipped. The GitHub workflow, where the services answer, runs them for real.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from desktop_django_testing.ci import require_in_ci, unavailable_here
from desktop_django_tools.integrations import uv
from desktop_django_tools.stage.config import BUILD_ONLY_DISTRIBUTIONS

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ["backend/src", "desktop-django/src", "stage", "shells/positron/src", "tooling"]

pytestmark = pytest.mark.slow


def reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310  # nosec B310
            return reply.status == 200
    except OSError:
        return False


def scanner(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        require_in_ci(f"{name} is not installed (dependency group `reliability`)")
    return found


def test_bandit_finds_nothing_of_medium_severity_or_more(scoreboard):
    done = subprocess.run(
        [scanner("bandit"), "-q", "-r", "-ll", "-f", "json", *SCANNED],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    findings = json.loads(done.stdout)["results"]
    described = [f"{f['test_id']} {f['filename']}:{f['line_number']}" for f in findings]
    scoreboard("8 scan: bandit", len(SCANNED), len(findings), ", ".join(described)[:80])
    assert not findings, described


def test_django_deploy_check_with_packaged_settings(tmp_path, scoreboard):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "flying_stable.settings.packaged",
        "DESKTOP_DJANGO_APP_DATA_DIR": str(tmp_path),
        "DESKTOP_DJANGO_AUTH_TOKEN": "a" * 64,
    }
    done = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    scoreboard("8 scan: check --deploy", 1, int(done.returncode != 0), done.stdout.strip()[:80])
    assert done.returncode == 0, done.stdout + done.stderr


PIP_AUDIT_SERVICE = (
    "PyPI's JSON API with vulnerability data (https://pypi.org/pypi/NAME/VERSION/json)"
)


# How requests/urllib3 say that a host did not answer, and which host it was.
NO_ANSWER = re.compile(r"ConnectionError|Timeout|Max retries|Temporary failure")
HOST = re.compile(r"host='([^']+)'")


def pip_audit_report(done: subprocess.CompletedProcess, service: str = PIP_AUDIT_SERVICE) -> dict:
    """pip-audit's JSON report; when a lookup failed mid-run it prints none, only the error:
    then the host that did not answer is named (and skipped, as above)."""
    try:
        return json.loads(done.stdout)
    except ValueError:
        pass
    said = (done.stderr.strip().splitlines() or ["no output at all"])[-1][:200]
    if NO_ANSWER.search(done.stderr):
        host = HOST.search(done.stderr)
        unavailable_here(
            "vulnerability-services",
            f"{service}: {host.group(1) if host else 'its host'} did not answer pip-audit ({said})",
        )
    pytest.fail(f"pip-audit exited {done.returncode} without a JSON report: {said}")


def test_pip_audit_on_locked_runtime_dependencies(tmp_path, scoreboard):
    row = scoreboard("8 scan: pip-audit", 0, 0)
    if not reachable("https://pypi.org/pypi/django/json"):
        unavailable_here("vulnerability-services", f"{PIP_AUDIT_SERVICE} did not answer")
    requirements = tmp_path / "requirements.txt"
    # What a stage ships: the demo's locked dependencies without the build tools.
    uv.export_locked_requirements(
        ROOT, requirements, package="flying-stable", exclude=BUILD_ONLY_DISTRIBUTIONS
    )
    done = subprocess.run(
        [scanner("pip-audit"), "-r", str(requirements), "--disable-pip", "--require-hashes",
         "--progress-spinner", "off", "-f", "json"],
        capture_output=True, text=True,
    )  # fmt: skip
    report = pip_audit_report(done)
    audited = [d for d in report["dependencies"] if not d.get("skip_reason")]
    if not audited:
        # The index answered, but its vulnerability data did not (a registry mirror).
        reasons = {d.get("skip_reason", "") for d in report["dependencies"]}
        unavailable_here(
            "vulnerability-services",
            f"{PIP_AUDIT_SERVICE} answered no lookup: {sorted(reasons)[0][:80]}",
        )
    not_audited = [d["name"] for d in report["dependencies"] if d.get("skip_reason")]
    vulnerable = [d["name"] for d in audited if d.get("vulns")]
    note = f"vulnerable: {vulnerable}; not audited: {not_audited}"
    row.trials, row.failures, row.note = len(audited), len(vulnerable) + len(not_audited), note
    assert not vulnerable
    assert not not_audited


def test_a_vulnerability_service_that_does_not_answer_is_named(tmp_path):
    # OSV, pip-audit's other service: where it does not answer (no route to api.osv.dev),
    # pip-audit prints a traceback and no report, and the skip must name the host.
    requirements = tmp_path / "requirements.txt"
    uv.export_locked_requirements(
        ROOT, requirements, package="flying-stable", exclude=BUILD_ONLY_DISTRIBUTIONS
    )
    done = subprocess.run(
        [scanner("pip-audit"), "-r", str(requirements), "--disable-pip", "--require-hashes",
         "--progress-spinner", "off", "-f", "json", "--vulnerability-service", "osv"],
        capture_output=True, text=True,
    )  # fmt: skip
    osv = "OSV (https://api.osv.dev)"
    if done.stdout.strip():
        assert pip_audit_report(done, osv)["dependencies"]  # OSV answered: a real report
        return
    with pytest.raises(pytest.skip.Exception, match=r"api\.osv\.dev did not answer pip-audit"):
        pip_audit_report(done, osv)


def test_npm_audit_of_the_electron_shell(scoreboard):
    shell = ROOT / "shells" / "electron"
    row = scoreboard("8 scan: npm audit (prod deps)", 0, 0)
    npm = shutil.which("npm")
    if not npm:
        require_in_ci("npm is not installed")
    done = subprocess.run(
        [npm, "audit", "--omit=dev", "--json"], cwd=shell, capture_output=True, text=True
    )
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = {}
    if "error" in report or "message" in report or not report:
        # npm reports a failed audit request as the HTTP error: method, URL and status.
        service = report.get("uri", "the npm registry's audit service (/-/npm/v1/security/)")
        status = report.get("statusCode") or report.get("error", {}).get("code", "no answer")
        unavailable_here("vulnerability-services", f"{service} did not answer (HTTP {status})")
    counts = report.get("metadata", {}).get("vulnerabilities", {})
    serious = sum(counts.get(level, 0) for level in ("moderate", "high", "critical"))
    total = report.get("metadata", {}).get("dependencies", {}).get("prod", 0)
    row.trials, row.failures, row.note = total, serious, json.dumps(counts)
    assert serious == 0, counts
