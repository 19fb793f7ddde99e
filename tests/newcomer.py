"""`nox -s newcomer`: the README followed literally on a fresh Debian 13, as a new user would.

A fresh Debian 13 (trixie) root file system made with debootstrap from this machine's Debian
mirror (the minimal variant plus sudo, git and CA certificates: a machine someone has just
installed), a user with sudo, a fresh clone of this checkout's HEAD, then inside the root, in a
login shell of that user: the README's Debian install lines, `nox -s doctor`, and `nox -s dev`
under Xvfb in smoke mode (the shell exits once the main page has loaded). It passes when the
page-loaded line comes. Two more proofs follow in the same root: the stage `nox -s dev` built
from Debian's own Python serves after it was moved with that Python's stdlib hidden, and
Debian's own cargo (1.85, older than the lock needs) is refused by doctor and by the shell
chooser with the rustup fix.

Behind a TLS-intercepting proxy (a site CA, as on many company networks) a real user's machine
has that CA in its system store: the administrator put it there. So the root gets this
machine's locally added CAs the same way (every .crt of /usr/local/share/ca-certificates copied
into the root's, then update-ca-certificates run inside it), and when there were any, the new
user follows the README's "Behind a TLS-intercepting proxy" lines (uv and npm bring their own
roots), and doctor must then call no host CERT. Without the CAs `pipx install nox` fails on
the first download. Nothing else of this machine's trust settings (its SSL_CERT_FILE, npm's
cafile) reaches the root.

Runs as root (debootstrap, systemd-nspawn). The debootstrapped base is kept in the work folder
and copied for every run (`--fresh-base` makes it again); the root is removed after a pass and
kept after a failure. Figures and the log go to test-artifacts/newcomer/.

It is hand-written rather than a container recipe: no container registry is reachable from the
machines this runs on, and the point is Debian's own packages from Debian's own mirror.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.support.readme import debian_install_lines, proxy_lines, rust_fix

ROOT = Path(__file__).resolve().parents[1]
SUITE = "trixie"
USER = "newcomer"
CLONE = f"/home/{USER}/desktop-django-starter"
# A machine someone has just installed and cloned a repository on.
BASE_PACKAGES = ("sudo", "git", "ca-certificates")
ARTIFACTS = ROOT / "test-artifacts" / "newcomer"
# Where Debian's update-ca-certificates finds the CAs an administrator added to a machine.
SITE_CAS = Path("/usr/local/share/ca-certificates")
DEFAULT_WORKDIR = Path("/var/tmp/desktop-django-newcomer")  # not /tmp: a tmpfs on Debian 13
FALLBACK_MIRROR = "http://deb.debian.org/debian"
SMOKE_ENV = "DESKTOP_DJANGO_SMOKE_TEST=1"
# No accessibility bus in a bare root: GTK would wait for one.
DESKTOP_ENV = "NO_AT_BRIDGE=1"


class NewcomerFailed(RuntimeError):
    pass


def host_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian archive this machine installs from (not its security mirror)."""
    files = [*sorted((sources / "sources.list.d").glob("*.sources")), sources / "sources.list"]
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for stanza in re.split(r"\n\s*\n", text):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.MULTILINE)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.MULTILINE)
            if uris and suites and "security" not in suites.group(1):
                return uris.group(1)
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 3 and words[0] == "deb" and "security" not in line:
                return next(w for w in words[1:] if "://" in w)
    return FALLBACK_MIRROR


class Run:
    """One newcomer run: its steps, their times, and the log."""

    def __init__(self, workdir: Path, log: Path):
        self.workdir = workdir
        self.log_path = log
        self.log = log.open("w", encoding="utf-8")
        self.steps: list[dict] = []
        self.began = time.monotonic()

    def say(self, line: str) -> None:
        print(f"newcomer: {line}", flush=True)
        self.log.write(f"newcomer: {line}\n")
        self.log.flush()

    def step(self, name: str, command: list[str], watch=None, check: bool = True) -> list[str]:
        """Run one command, its output to the log (and `watch(line, seconds)`); timed."""
        self.say(f"[{name}] {shlex.join(command)[:300]}")
        started = time.monotonic()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
        lines = []
        for line in process.stdout:
            lines.append(line)
            self.log.write(line)
            if watch:
                watch(line, time.monotonic() - started)
        status = process.wait()
        self.log.flush()
        seconds = round(time.monotonic() - started, 1)
        self.steps.append({"step": name, "seconds": seconds, "status": status})
        self.say(f"[{name}] exit {status} after {seconds} s")
        if check and status != 0:
            tail = "".join(lines[-25:])
            raise NewcomerFailed(f"step {name!r} exited {status}; its last lines:\n{tail}")
        return lines


def nspawn(root: Path, *command: str) -> list[str]:
    """A command inside the root, as root, with this machine's network and DNS."""
    return [
        "systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--resolv-conf=copy-host",
        "--directory", str(root), *command,
    ]  # fmt: skip


def as_newcomer(root: Path, script: str) -> list[str]:
    """A login shell of the new user (so ~/.profile puts pipx's ~/.local/bin on PATH, as the
    new terminal the README asks for does), in the clone."""
    return nspawn(root, "runuser", "--login", USER, "--command", f"cd {CLONE} && {script}")


def make_base(run: Run, base: Path, mirror: str) -> None:
    building = base.with_name(base.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    run.step("debootstrap", [
        "debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
        SUITE, str(building), mirror,
    ])  # fmt: skip
    shutil.rmtree(base, ignore_errors=True)
    building.rename(base)


def prepare_root(run: Run, root: Path) -> None:
    """The new user with sudo, and apt answering yes (the README's lines are typed by a person
    who answers the prompt); nothing else of the project."""
    (root / "etc/apt/apt.conf.d/90newcomer-yes").write_text('APT::Get::Assume-Yes "true";\n')
    (root / f"etc/sudoers.d/{USER}").write_text(f"{USER} ALL=(ALL) NOPASSWD:ALL\n")
    (root / "etc/hostname").write_text("newcomer\n")
    run.step("user", nspawn(root, "sh", "-c",
             f"echo 'debconf debconf/frontend select Noninteractive' | debconf-set-selections"
             f" && useradd --create-home --shell /bin/bash {USER}"))  # fmt: skip
    run.step("apt-get update", nspawn(root, "apt-get", "update", "-q"))


def site_certificates(run: Run, root: Path, site: Path = SITE_CAS) -> list[str]:
    """This machine's locally added CAs into the root's system store, as an administrator
    installs a proxy's CA on each machine behind it; their names (none: nothing done)."""
    found = sorted(path for path in site.rglob("*.crt") if path.is_file()) if site.is_dir() else []
    if not found:
        return []
    target = root / site.relative_to("/")
    for cert in found:
        copy = target / cert.relative_to(site)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cert, copy)
    run.step("site CA certificates", nspawn(root, "update-ca-certificates"))
    return [str(cert.relative_to(site)) for cert in found]


def clone_into(run: Run, root: Path) -> str:
    """A fresh clone of this checkout's HEAD, owned by the new user."""
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "-uno"],
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    if dirty:
        run.say("NOTE: uncommitted changes in this checkout are not in the clone (HEAD only)")
    target = root / CLONE.lstrip("/")
    run.step("clone", ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(target)])
    run.step("checkout", ["git", "-C", str(target), "checkout", "--quiet", "--detach", head])
    run.step("chown", nspawn(root, "chown", "-R", f"{USER}:{USER}", f"/home/{USER}"))
    return head


def readme_lines(run: Run, root: Path, behind_proxy: bool) -> None:
    if behind_proxy:
        for number, line in enumerate(proxy_lines(), start=1):
            run.step(f"README proxy line {number}", as_newcomer(root, line))
    for number, line in enumerate(debian_install_lines(), start=1):
        run.step(f"README line {number}: {line.split()[0:3]}", as_newcomer(root, line))


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    """Output without nox's colours, for the figures."""
    return ANSI.sub("", text)


def host_states(doctor: str) -> list[str]:
    """doctor's download-host lines (ok / NO / CERT and the host)."""
    lines = plain(doctor).splitlines()
    if "Download hosts" not in lines:
        return []
    hosts = lines[lines.index("Download hosts") + 1 :]
    return [line.split(":")[0].strip() for line in hosts if line.startswith("  ") and
            not line.startswith("   ")]  # fmt: skip


class PageWatch:
    """Follows `nox -s dev`'s output for the shell's milestone lines."""

    def __init__(self):
        self.events: dict[str, float] = {}
        self.shell: str | None = None

    def __call__(self, line: str, seconds: float) -> None:
        found = re.search(r"Shell: (\w+)", line)
        if found and self.shell is None:
            self.shell = found.group(1)
        if line.startswith("{"):
            try:
                event = json.loads(line)
            except ValueError:
                return
            name = event.get("event", "")
            if name == "smoke-test":
                name = f"smoke-test passed={event.get('passed')}"
            self.events.setdefault(name, round(seconds, 1))


MOVED_STAGE_CHECK = r"""
import json, os, subprocess, sys, urllib.request, secrets
stage = sys.argv[1]
manifest = json.load(open(os.path.join(stage, "runtime-manifest.json")))
python = os.path.join(stage, manifest["python"]["executable"])
token = secrets.token_hex(32)
env = {"DESKTOP_DJANGO_APP_DATA_DIR": "/var/tmp/moved-app-data", "DESKTOP_DJANGO_AUTH_TOKEN": token,
       "DESKTOP_DJANGO_STAGE_DIR": stage, "PATH": "/usr/bin:/bin"}
serve = subprocess.Popen([python, *manifest["launcher"]["serve"]], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, env=env, cwd="/")
ready = json.loads(serve.stdout.readline())
print(json.dumps(ready))
headers = {"X-Desktop-Django-Token": token}
request = urllib.request.Request(ready["url"] + "/health/", headers=headers)
with urllib.request.urlopen(request, timeout=30) as reply:
    print(json.dumps({"event": "health", "status": reply.status}))
serve.stdin.close()
serve.wait(timeout=30)
"""


def moved_stage(run: Run, root: Path) -> dict:
    """The stage `dev` built (from Debian's /usr/bin/python3.13 here) moved elsewhere, run by
    its own interpreter with /usr/lib/python3.* hidden under a tmpfs: it must still serve."""
    moved = "/opt/moved stage/backend"
    hide = 'for d in /usr/lib/python3.*; do mount -t tmpfs tmpfs "$d"; done'
    script = (
        f"mkdir -p '/opt/moved stage' && cp -a {CLONE}/.stage/backend '{moved}' && "
        f'unshare --mount sh -c \'{hide} && exec "$0" "$@"\' '
        f"'{moved}/python/bin/python3' -I -c {shlex.quote(MOVED_STAGE_CHECK)} '{moved}'"
    )
    lines = run.step("moved stage serves", nspawn(root, "sh", "-c", script))
    events = [json.loads(line) for line in lines if line.startswith("{")]
    if not any(e.get("event") == "health" and e.get("status") == 200 for e in events):
        raise NewcomerFailed(f"the moved stage did not answer /health/: {events}")
    source = json.loads((root / CLONE.lstrip("/") / ".stage/backend/runtime-manifest.json")
                        .read_text())["python"]  # fmt: skip
    return {"python": source, "events": events}


def debian_cargo(run: Run, root: Path) -> dict:
    """Debian's own cargo (too old for the lock): doctor says so, and dev falls back."""
    run.step("apt-get install cargo", as_newcomer(root, "sudo apt-get install cargo"))
    doctor = "".join(run.step("doctor with Debian's cargo", as_newcomer(root, "nox -s doctor"),
                              check=False))  # fmt: skip
    if "TOO OLD  cargo" not in doctor:
        raise NewcomerFailed("doctor did not call Debian's cargo too old")
    watch = PageWatch()
    dev = as_newcomer(root, f"{SMOKE_ENV} {DESKTOP_ENV} xvfb-run -a nox -s dev")
    lines = "".join(run.step("dev with Debian's cargo", dev, watch=watch))
    reason = next((line for line in lines.splitlines() if "Shell:" in line), "")
    if watch.shell != "positron" or "older than the Rust" not in reason:
        raise NewcomerFailed(f"the chooser did not fall back from Debian's cargo: {reason}")
    return {"doctor": [line for line in doctor.splitlines() if "cargo" in line][:3],
            "chooser": plain(reason).strip()}  # fmt: skip


def readme_tests(run: Run, root: Path) -> dict:
    """The README's test command, as the new user typed it: the whole suite, every shell's too.

    CI=true as on CI, so a missing tool fails rather than skips: the point is that the README's
    lines installed everything the suite needs.
    """
    # The suite builds the Tauri app: the README's OS table says how to get a Rust new enough
    # for its lock on Debian 13 (Debian's own cargo, installed by the proof above, is not).
    run.step("README's Rust for Debian 13", as_newcomer(root, rust_fix("Debian 13")))
    began = time.monotonic()
    output = run.step("nox -s tests (fresh clone)", as_newcomer(root, "CI=true nox -s tests"),
                      check=False)  # fmt: skip
    text = plain("".join(output))
    sessions = re.findall(r"nox > \* ?(\S+): (success|failed|skipped)", text)
    totals = [line for line in text.splitlines() if "==" in line and re.search(r"\d+ passed", line)]
    figures = {
        "seconds": round(time.monotonic() - began, 1),
        "sessions": dict(sessions),
        "pytest": totals[-1].strip("= ") if totals else "",
        "exit": run.steps[-1]["status"],
    }
    if figures["exit"] != 0 or not sessions:
        raise NewcomerFailed(f"`nox -s tests` did not pass in the fresh root: {figures}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s newcomer --")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--mirror", default=None, help="default: this machine's Debian mirror")
    parser.add_argument("--fresh-base", action="store_true", help="debootstrap again")
    parser.add_argument("--keep", action="store_true", help="keep the root after a pass")
    parser.add_argument("--skip-debian-cargo", action="store_true")
    parser.add_argument(
        "--tests",
        action="store_true",
        help="then the README's `nox -s tests` in the same root (30+ minutes on 2 cores)",
    )
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print(
            "newcomer: needs root (debootstrap, systemd-nspawn): sudo nox -s newcomer",
            file=sys.stderr,
        )
        return 2
    for tool, package in (("debootstrap", "debootstrap"), ("systemd-nspawn", "systemd-container")):
        if not shutil.which(tool):
            print(f"newcomer: {tool} is missing: apt-get install {package}", file=sys.stderr)
            return 2
    args.workdir.mkdir(parents=True, exist_ok=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    run = Run(args.workdir, ARTIFACTS / f"newcomer-{stamp}.log")
    mirror = args.mirror or host_mirror()
    base = args.workdir / f"base-{SUITE}"
    root = args.workdir / f"root-{stamp}"
    summary: dict = {"suite": SUITE, "mirror": mirror, "started": stamp}
    passed = False
    try:
        if args.fresh_base or not base.is_dir():
            make_base(run, base, mirror)
        else:
            run.say(f"reusing the debootstrapped base {base} (--fresh-base makes it again)")
        run.step("fresh root (copy of the base)", ["cp", "-a", str(base), str(root)])
        prepare_root(run, root)
        summary["site CAs"] = site_certificates(run, root)
        summary["commit"] = clone_into(run, root)
        readme_lines(run, root, behind_proxy=bool(summary["site CAs"]))
        doctor = "".join(run.step("doctor", as_newcomer(root, "nox -s doctor"), check=False))
        summary["doctor hosts"] = host_states(doctor)
        if summary["site CAs"] and any(line.startswith("CERT") for line in summary["doctor hosts"]):
            # The README's proxy lines are what makes uv and npm trust the site CA.
            raise NewcomerFailed(f"doctor: a tool refuses the site CA: {summary['doctor hosts']}")
        watch = PageWatch()
        dev = as_newcomer(root, f"{SMOKE_ENV} {DESKTOP_ENV} xvfb-run -a nox -s dev")
        run.step("nox -s dev (fresh clone)", dev, watch=watch)
        summary["dev"] = {"shell": watch.shell, "events": watch.events}
        if "page-loaded" not in watch.events:
            raise NewcomerFailed(f"`nox -s dev` never printed the page-loaded line: {watch.events}")
        summary["moved stage"] = moved_stage(run, root)
        if not args.skip_debian_cargo:
            summary["debian cargo"] = debian_cargo(run, root)
        if args.tests:
            summary["tests"] = readme_tests(run, root)
        passed = True
    except NewcomerFailed as exc:
        run.say(f"FAILED: {exc}")
    finally:
        summary["passed"] = passed
        summary["steps"] = run.steps
        summary["total seconds"] = round(time.monotonic() - run.began, 1)
        figures = ARTIFACTS / f"newcomer-{stamp}.json"
        figures.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        run.say(f"figures in {figures}, log in {run.log_path}")
        if passed and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        elif root.exists():
            run.say(f"the root is kept for a look: {root}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
