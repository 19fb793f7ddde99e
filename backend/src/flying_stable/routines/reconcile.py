"""Startup hook: routines a previous app run left unfinished can never finish now."""

from django.utils import timezone

from .models import Routine

ABANDONED = "abandoned: app restarted"


def reconcile_abandoned_routines() -> int:
    return Routine.objects.filter(status__in=Routine.ACTIVE).update(
        status=Routine.Status.FAILED, result=ABANDONED, finished_at=timezone.now()
    )
