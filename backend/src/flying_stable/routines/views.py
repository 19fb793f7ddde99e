from django.contrib import messages
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .forms import StartRoutineForm
from .models import Routine
from .tasks import run_routine

RECENT_LIMIT = 50


def routine_list(request):
    routines = Routine.objects.all()[:RECENT_LIMIT]
    return render(
        request,
        "routines/routine_list.html",
        {
            "routines": routines,
            "form": StartRoutineForm(),
            "any_active": any(r.is_active for r in routines),
        },
    )


@require_POST
def start_routine(request):
    form = StartRoutineForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a routine from the list to start it.")
        return redirect("routines:list")
    with transaction.atomic():
        routine = Routine.objects.create(kind=form.cleaned_data["kind"])
        # Enqueue after commit so the worker never sees a task for a row it cannot read yet.
        transaction.on_commit(lambda: _enqueue(routine))
    messages.success(request, f"{routine.get_kind_display()} started.")
    return redirect("routines:list")


def _enqueue(routine: Routine) -> None:
    result = run_routine.enqueue(routine.pk)
    Routine.objects.filter(pk=routine.pk).update(task_id=str(result.id))


@require_POST
def clear_routines(request):
    count, _ = Routine.objects.all().delete()
    messages.success(request, f"Cleared {count} routines.")
    return redirect("routines:list")


@require_GET
def routine_status(request):
    routines = list(Routine.objects.all()[:RECENT_LIMIT])
    return JsonResponse(
        {
            "active": sum(1 for r in routines if r.is_active),
            "routines": [r.as_status() for r in routines],
        }
    )
