"""Runs inside the staged interpreter (`python -I bench/in_stage.py COMMAND`), with the
launcher environment, so the benchmarks touch the database exactly as the app does.

Standard library and the staged packages only: nothing from the repository is importable here.

    seed-ponies N    replace the roster with N ponies; prints their ids and names
    task-defaults    the polling interval django-tasks-db's own `db_worker` uses by default
    tasks            JSON lines on stdin: {"op": "probe"} or {"op": "burst", "count": N};
                     enqueues trivial tasks and answers with their enqueue/start/finish times
"""

import json
import os
import sys
import time

# The trivial task: an existing routine task for a routine that does not exist does one
# UPDATE that matches no row and returns, so the worker's own overhead is what gets measured.
MISSING_ROUTINE_ID = -1
POLL_SECONDS = 0.002


def main(argv):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flying_stable.settings.packaged")
    import django

    django.setup()
    command = argv[0]
    if command == "seed-ponies":
        answer(seed_ponies(int(argv[1])))
    elif command == "task-defaults":
        answer(task_defaults())
    elif command == "tasks":
        for line in sys.stdin:
            request = json.loads(line)
            if request["op"] == "probe":
                answer(run_tasks(1, timeout=float(request.get("timeout", 30)))[0])
            elif request["op"] == "burst":
                answer(run_tasks(int(request["count"]), float(request.get("timeout", 120))))
            else:
                answer({"error": f"unknown op {request['op']!r}"})
    else:
        raise SystemExit(f"unknown command {command!r}")
    return 0


def answer(payload):
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def seed_ponies(count):
    from django.db import transaction
    from flying_stable.ponies.models import Pony

    statuses = [choice for choice, _label in Pony.Status.choices]
    with transaction.atomic():
        Pony.objects.all().delete()
        Pony.objects.bulk_create(
            Pony(
                name=f"Bench Pony {number:04d}",
                status=statuses[number % len(statuses)],
                personality_notes=f"Pony number {number}, here to be rendered quickly.",
            )
            for number in range(count)
        )
    return {"ponies": list(Pony.objects.order_by("pk").values_list("pk", "name", "status"))}


def task_defaults():
    from django_tasks_db.management.commands.db_worker import Command

    parser = Command().create_parser("manage.py", "db_worker")
    return {"interval": float(parser.get_default("interval"))}


def run_tasks(count, timeout):
    from django_tasks_db.models import DBTaskResult
    from flying_stable.routines.tasks import run_routine

    ids = [str(run_routine.enqueue(MISSING_ROUTINE_ID).id) for _ in range(count)]
    deadline = time.monotonic() + timeout
    while True:
        rows = list(
            DBTaskResult.objects.filter(id__in=ids, finished_at__isnull=False).values(
                "enqueued_at", "started_at", "finished_at", "status"
            )
        )
        if len(rows) == count or time.monotonic() > deadline:
            break
        time.sleep(POLL_SECONDS)
    return [
        {
            "enqueued": row["enqueued_at"].timestamp(),
            "started": row["started_at"].timestamp() if row["started_at"] else None,
            "finished": row["finished_at"].timestamp(),
            "status": row["status"],
        }
        for row in rows
    ] + [{"status": "TIMEOUT"}] * (count - len(rows))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
