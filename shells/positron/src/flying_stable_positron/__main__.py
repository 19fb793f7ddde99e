"""`python -m flying_stable_positron [--stage DIR]`: start Positron, or focus the running one."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from desktop_django import env, timeline
from desktop_django.app_data import AppData
from desktop_django.instance_lock import InstanceLock, InstanceLockedError


def main(argv: list[str] | None = None) -> int:
    timeline.begin("positron")
    from flying_stable_positron.app import AFTER_FAILED_TRIAL, announce, create_app

    parser = argparse.ArgumentParser(prog="flying-stable-positron")
    parser.add_argument("--stage", type=Path, help="run against a staged backend folder")
    parser.add_argument(AFTER_FAILED_TRIAL, metavar="VERSION", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from flying_stable_positron.host import BackendHost, use_stage

    identity = {}
    factory_dir = args.stage.resolve() if args.stage else None
    if factory_dir:
        from desktop_django.manifest import load

        staged = load(factory_dir).data["app"]
        identity = {"name": staged["name"], "app_id": staged["id"]}
    app = create_app(**identity)
    # The launcher contract's variable wins (tests, portable installs); else Toga's folder.
    app_data = AppData(Path(os.environ.get(env.APP_DATA_DIR) or app.paths.data)).prepare()
    lock = InstanceLock(app_data.lock_file)
    try:
        lock.acquire()
    except InstanceLockedError:
        from flying_stable_positron.single_instance import send_command

        handed_off = send_command(lock, "focus")
        announce("already-running", handed_off=handed_off, app_data=str(app_data.root))
        return 0 if handed_off else 1
    if factory_dir:
        # Which stage to import: the factory one or an installed update's slot, decided under
        # the instance lock, before start_backend() below imports it.
        from flying_stable_positron.backend_slots import ROLLBACK_ENV, choose

        choice = choose(
            factory_dir, app_data.root, after_failed_trial=bool(args.after_failed_trial)
        )
        os.environ.pop(ROLLBACK_ENV, None)  # a relaunch after a rollback starts afresh
        os.environ.update(choice.environment)
        use_stage(choice.stage_dir)
        app.slot_choice = choice
        app.failed_trial = args.after_failed_trial
    app.host = BackendHost(app_data, lock)
    app.start_backend()  # before the main loop: Django starts while the window is built
    app.main_loop()
    return app.exit_code


if __name__ == "__main__":
    sys.exit(main())
