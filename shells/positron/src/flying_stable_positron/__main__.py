"""`python -m flying_stable_positron [--stage DIR] [--install-backend-update FILE]`: start
Positron, or hand over to the running one (focus, and the layer to install)."""

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
    from flying_stable_positron.app import (
        AFTER_FAILED_TRIAL,
        INSTALL_BACKEND_UPDATE,
        announce,
        create_app,
    )

    parser = argparse.ArgumentParser(prog="flying-stable-positron")
    parser.add_argument("--stage", type=Path, help="run against a staged backend folder")
    parser.add_argument(AFTER_FAILED_TRIAL, metavar="VERSION", help=argparse.SUPPRESS)
    parser.add_argument(
        INSTALL_BACKEND_UPDATE,
        type=Path,
        metavar="FILE",
        help="install this backend update (a .layer file) once the backend serves, as "
        "Help > Install Backend Update... does; needs --stage",
    )
    args = parser.parse_args(argv)
    # Absolute now: the running instance a later launch hands it to has another cwd.
    layer = args.install_backend_update.absolute() if args.install_backend_update else None
    if layer and not args.stage:
        parser.error(f"{INSTALL_BACKEND_UPDATE} needs --stage: updates apply to a staged backend")

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
        from flying_stable_positron.single_instance import INSTALL_COMMAND, send_command

        if layer:
            handed_off = send_command(lock, INSTALL_COMMAND, file=str(layer))
        else:
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
        app.pending_layer = layer
    app.host = BackendHost(app_data, lock)
    app.start_backend()  # before the main loop: Django starts while the window is built
    app.main_loop()
    return app.exit_code


if __name__ == "__main__":
    sys.exit(main())
