"""The launcher contract (docs/architecture.md): `serve`, `worker`, `prepare`, `diagnostics`
and `backend-update apply FILE | status | confirm` (docs/backend-updates.md).

A project exposes it as `python -m <package>.desktop`, with a module that calls
`main(settings_module="<package>.settings.packaged")`. Shells depend only on this CLI,
its environment variables and its one-line JSON protocol on stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import NoReturn

from desktop_django import env, protocol, stage_integrity, timeline
from desktop_django.app_data import AppData, AppDataError
from desktop_django.lifecycle import StopRequest
from desktop_django.logs import log_to_file
from desktop_django.subprocess_path import put_interpreter_first_on_path

logger = logging.getLogger("desktop_django.launcher")

# A worker in the middle of a task gets this long to finish after the shell went away; then
# it exits anyway, and the next start reconciles the interrupted task.
WORKER_STOP_GRACE_SECONDS = 1.5
# The worker runs below the server's priority, from its first line: its start-up (a second
# Django set-up, right after the ready line) and its tasks then take the CPU the window and the
# server's first pages do not need. On two cores that start-up overlapped the first page
# (`nox -s bench -- --only timeline`). 10 is `nice`'s own default step.
WORKER_NICENESS = 10


def main(argv: list[str] | None = None, *, settings_module: str) -> int:
    args = _parser().parse_args(argv)
    timeline.begin(args.command)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    if args.command == "serve":
        return serve(args)
    if args.command == "worker":
        return worker(args)
    if args.command == "diagnostics":
        return diagnostics(args)
    if args.command == "backend-update":
        return backend_update(args)
    return prepare(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Desktop launcher for a Django project.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the web server; one JSON line on stdout")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    serve_cmd.add_argument("--port", type=int, default=0, help="0 lets the OS choose")
    serve_cmd.add_argument(
        "--no-stdin-guard",
        dest="stdin_guard",
        action="store_false",
        help="do not exit on stdin EOF (for running by hand from a terminal)",
    )
    worker_cmd = commands.add_parser("worker", help="run the background task worker")
    worker_cmd.add_argument("--interval", type=float, default=None, help="poll seconds")
    worker_cmd.add_argument("--no-stdin-guard", dest="stdin_guard", action="store_false")
    commands.add_parser("prepare", help="migrate, seed and reconcile, then exit")
    diagnostics_cmd = commands.add_parser(
        "diagnostics", help="write one zip for a support request (no token, no secret key)"
    )
    diagnostics_cmd.add_argument("path", type=Path, help="the zip file, or a folder for it")
    update_cmd = commands.add_parser(
        "backend-update", help="install a signed backend layer, show the slots, confirm a trial"
    )
    actions = update_cmd.add_subparsers(dest="action", required=True)
    apply_cmd = actions.add_parser("apply", help="install a layer as a new slot on trial")
    apply_cmd.add_argument("file", type=Path, help="the .layer file")
    actions.add_parser("status", help="the slot rule's answer, the state and the slots")
    actions.add_parser("confirm", help="the trial serving now passed its health check")
    return parser


def serve(args: argparse.Namespace) -> int:
    protocol.claim_stdout()
    gc.disable()  # until the end of start-up: see _end_of_startup_gc
    log_path: Path | None = None
    backend = None
    stop = _guard_from_the_start(args.stdin_guard)
    rolled_back = None
    try:
        app_data = AppData.from_environment().prepare()
        log_path = log_to_file(app_data.logs, "serve")
        _log_notes(app_data)
        put_interpreter_first_on_path()
        from desktop_django import trial
        from desktop_django.instance_lock import InstanceLock

        # The lock first: a backend trial is counted, or a failed one rolled back, before the
        # new version's code is imported (an import error must not hide a trial) and under
        # the lock, so that two starts never both do it.
        lock = InstanceLock(app_data.lock_file, shell_child=True).acquire()
        start = trial.begin(app_data, log_path)
        rolled_back = start.rolled_back
        # After the trial is counted: a damaged slot on trial then fails as a trial does
        # (the next start rolls it back), instead of being tried again at every start.
        _check_stage(app_data)
        from desktop_django.service import WebBackend, setup_django

        setup_django(os.environ["DJANGO_SETTINGS_MODULE"])
        backend = WebBackend(
            app_data, host=args.host, port=args.port, lock=lock, backed_up=start.backup
        )
        url = backend.start()
    except Exception as exc:  # every failure before `ready` must become one error line
        # From here the exit status is ours to report: a shell closing stdin after reading the
        # error line must not turn this failure into the start-up guard's quiet exit 0.
        stop.mark_ready()
        if isinstance(exc, stage_integrity.StageDamaged):  # the message says it all: no traceback
            logger.error("serve failed to start: %s", exc)
        else:
            logger.exception("serve failed to start")
        if backend is not None:
            backend.stop()
        protocol.error(_describe(exc), str(log_path) if log_path else None)
        return 1
    _end_of_startup_gc()
    # Ready for a graceful stop before the shell can know we are: a shell that closes stdin
    # right after reading the line must get a clean exit, not the start-up abort.
    stop.mark_ready()
    timeline.mark("ready-line")  # first: the line tells a reader the timeline is complete
    protocol.ready(url, rolled_back)
    stop.wait_forever()
    backend.stop()
    logger.info("serve exited cleanly (%s)", stop.reason)
    _exit_now(0)


def _check_stage(app_data: AppData) -> None:
    """Refuse to start from a damaged stage (before Django imports any of it), rather than
    print ready and answer 500 to every page."""
    from desktop_django.settings import stage_dir

    stage = stage_dir()
    if stage is not None and stage_integrity.runs_from(stage):
        report = stage_integrity.check(stage, app_data.stage_check_file)
        logger.info(report.describe())


def _log_notes(app_data: AppData) -> None:
    for note in app_data.notes:
        logger.warning(note)


def _guard_from_the_start(stdin_guard: bool) -> StopRequest:
    """Watch for the shell going away from the first instruction: a shell killed while we
    migrate must not leave us running until start-up completes. Before `ready` there is
    nothing to hand over, so a stop then exits at once (SQLite rolls back any migration in
    progress; backups are written under a temporary name and renamed when complete)."""
    stop = StopRequest()
    if stdin_guard:
        stop.watch_stdin()
    stop.handle_signals()
    threading.Thread(target=_exit_if_stopped_before_ready, args=(stop,), daemon=True).start()
    return stop


def _exit_if_stopped_before_ready(stop: StopRequest) -> None:
    stop.wait_forever()
    if not stop.ready:
        logger.warning("stopped during start-up (%s); exiting", stop.reason)
        _exit_now(0)  # asked to stop: not a failure, just early


def worker(args: argparse.Namespace) -> int:
    gc.disable()  # until the end of start-up: see _end_of_startup_gc
    _below_the_server()
    stop = _guard_from_the_start(args.stdin_guard)
    try:
        app_data = AppData.from_environment().prepare()
        log_to_file(app_data.logs, "worker")
        _log_notes(app_data)
        put_interpreter_first_on_path()
        from desktop_django.service import setup_django
        from desktop_django.worker import TaskWorker

        setup_django(os.environ["DJANGO_SETTINGS_MODULE"])
        interval = {} if args.interval is None else {"interval": args.interval}
        task_worker = TaskWorker(shell_child=True, **interval)
        task_worker.claim()
        timeline.mark("worker-ready")
    except Exception as exc:
        stop.mark_ready()  # report this failure with its own exit status (see serve)
        logger.exception("worker failed to start")
        print(f"worker: {_describe(exc)}", file=sys.stderr)
        return 1
    _end_of_startup_gc()
    stop.mark_ready()
    finished = threading.Event()
    threading.Thread(
        target=_stop_worker_when_asked,
        args=(stop, task_worker, finished),
        name="worker-stop",
        daemon=True,
    ).start()
    task_worker.run()
    finished.set()
    from django.db import connections

    connections.close_all()
    _exit_now(0)


def _below_the_server() -> None:
    """Lower this process's priority (WORKER_NICENESS; Windows: below normal). Where the OS
    refuses, the worker runs at the server's priority, as before: nothing depends on it."""
    try:
        if sys.platform == "win32":
            import psutil

            psutil.Process().nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)
        else:
            os.nice(WORKER_NICENESS)
    except (OSError, ImportError) as exc:
        logger.debug("the worker keeps the server's priority: %s", exc)


def _end_of_startup_gc() -> None:
    """Start-up creates hundreds of thousands of objects that live as long as the process
    (modules, classes, settings, URL patterns). The cyclic collector, triggered again and again
    by those allocations, finds no garbage among them and costs about a tenth of the start, so
    it is off until here; then they are frozen out of every later collection."""
    gc.freeze()
    gc.enable()


def _exit_now(code: int) -> NoReturn:
    """Leave without the interpreter's finalization, which tears down every module and object
    one by one (100-300 ms once Django is loaded) while the shell waits for us to be gone.
    Everything that matters is done by now: server stopped, database closed, lock released."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _stop_worker_when_asked(stop: StopRequest, task_worker, finished: threading.Event) -> None:
    stop.wait_forever()
    task_worker.stop()
    if finished.wait(WORKER_STOP_GRACE_SECONDS):
        return
    logger.warning("worker still busy after %.1f s; exiting anyway", WORKER_STOP_GRACE_SECONDS)
    _exit_now(3)


def prepare(_args: argparse.Namespace) -> int:
    try:
        app_data = AppData.from_environment().prepare()
        from desktop_django.instance_lock import InstanceLock
        from desktop_django.service import bring_database_up_to_date, setup_django

        setup_django(os.environ["DJANGO_SETTINGS_MODULE"])
        # Migrating under a running server's feet is what the lock exists to prevent.
        lock = InstanceLock(app_data.lock_file).acquire()
        try:
            report = bring_database_up_to_date(app_data)
        finally:
            lock.release()
    except Exception as exc:
        print(f"prepare: {_describe(exc)}", file=sys.stderr)
        return 1
    state = "created" if report.brand_new else "ready"
    print(f"app data {state} at {app_data.root} ({len(report.applied)} migrations applied)")
    return 0


def diagnostics(args: argparse.Namespace) -> int:
    from desktop_django.diagnostics import write
    from desktop_django.settings import stage_dir

    try:
        written = write(args.path, AppData.from_environment(), stage_dir())
    except (OSError, AppDataError) as exc:
        print(f"diagnostics: {_describe(exc)}", file=sys.stderr)
        return 1
    print(json.dumps({"event": "diagnostics", "path": str(written)}), flush=True)
    return 0


def backend_update(args: argparse.Namespace) -> int:
    """One JSON line on stdout: the command's event, or `error` (exit 1) with the reason."""
    from desktop_django import backend_update as update

    try:
        app_data = AppData.from_environment().root
        serving_raw = os.environ.get(env.STAGE_DIR, "").strip()
        if not serving_raw:
            raise update.UpdateError(f"{env.STAGE_DIR} is not set: the shell must pass it")
        serving = Path(serving_raw)
        factory_raw = os.environ.get(env.FACTORY_STAGE_DIR, "").strip()
        factory = Path(factory_raw) if factory_raw else serving
        if args.action == "apply":
            result = update.apply(args.file, app_data, factory, serving).as_json()
        elif args.action == "status":
            result = update.status(app_data, factory)
        else:
            result = update.confirm(app_data, serving)
    except (update.UpdateError, AppDataError, OSError) as exc:
        print(json.dumps({"event": "error", "message": _describe(exc)}), flush=True)
        return 1
    print(json.dumps(result), flush=True)
    return 0


def _describe(exc: BaseException) -> str:
    if isinstance(exc, AppDataError):
        return str(exc)
    text = str(exc) or exc.__class__.__name__
    return text if isinstance(exc, RuntimeError) else f"{exc.__class__.__name__}: {text}"
