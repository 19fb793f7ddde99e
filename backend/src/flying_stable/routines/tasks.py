"""The background work behind a routine: a real django.tasks task run by the worker process."""

import random
import time

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from .models import Routine

FAILURE_REASONS = [
    "a gust of wind scattered the hay",
    "the pony wandered off to chase a butterfly",
    "the brushes were left out in the rain",
]


class RoutineFailedError(Exception):
    pass


@task()
def run_routine(routine_id: int) -> str:
    # Claim the row atomically: a routine reconciled to Failed after a restart must not run.
    claimed = Routine.objects.filter(pk=routine_id, status=Routine.Status.PENDING).update(
        status=Routine.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "skipped: routine is no longer pending"
    low, high = settings.ROUTINE_DURATION_SECONDS
    time.sleep(random.uniform(low, high))  # noqa: S311 - demo pacing, not security
    failed = random.random() < settings.ROUTINE_FAILURE_RATE  # noqa: S311
    status = Routine.Status.FAILED if failed else Routine.Status.DONE
    result = random.choice(FAILURE_REASONS) if failed else "all done, happy pony"  # noqa: S311
    Routine.objects.filter(pk=routine_id).update(
        status=status, result=result, finished_at=timezone.now()
    )
    if failed:
        raise RoutineFailedError(result)
    return result
