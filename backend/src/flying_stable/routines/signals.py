"""Keep a routine's status in step with its task when the task ends without the routine's
own code saying so: the worker running it died, and the next worker marked the task failed."""

from django.tasks import TaskResultStatus
from django.utils import timezone

from .models import Routine

ABANDONED_BY_WORKER = "abandoned: the worker stopped before it finished"


def fail_routine_of_failed_task(sender, task_result, **kwargs) -> None:
    from .tasks import run_routine

    if task_result.status != TaskResultStatus.FAILED or task_result.task.func != run_routine.func:
        return
    # A routine that failed in its own code already says why; only an open one is updated.
    Routine.objects.filter(pk=task_result.args[0], status__in=Routine.ACTIVE).update(
        status=Routine.Status.FAILED, result=ABANDONED_BY_WORKER, finished_at=timezone.now()
    )
