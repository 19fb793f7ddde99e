import pytest
from django_tasks_db.models import DBTaskResult
from flying_stable.routines.models import Routine
from flying_stable.routines.reconcile import ABANDONED, reconcile_abandoned_routines
from flying_stable.routines.tasks import run_routine

pytestmark = pytest.mark.django_db


def test_start_enqueues_a_real_task_after_commit(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/routines/start/", {"kind": "grooming"})
    assert response.status_code == 302
    routine = Routine.objects.get()
    assert routine.status == Routine.Status.PENDING
    queued = DBTaskResult.objects.get()
    assert str(queued.id) == routine.task_id
    assert queued.task_path == "flying_stable.routines.tasks.run_routine"


def test_unknown_routine_kind_is_refused(client):
    response = client.post("/routines/start/", {"kind": "nap"}, follow=True)
    assert b"Pick a routine from the list" in response.content
    assert not Routine.objects.exists()


def test_task_runs_routine_to_done():
    routine = Routine.objects.create(kind=Routine.Kind.FEEDING)
    assert run_routine.call(routine.pk) == "all done, happy pony"
    routine.refresh_from_db()
    assert routine.status == Routine.Status.DONE
    assert routine.duration_seconds is not None


def test_task_skips_a_routine_that_is_no_longer_pending():
    routine = Routine.objects.create(kind=Routine.Kind.FEEDING, status=Routine.Status.FAILED)
    assert run_routine.call(routine.pk).startswith("skipped")
    routine.refresh_from_db()
    assert routine.status == Routine.Status.FAILED


def test_failures_are_recorded(settings):
    settings.ROUTINE_FAILURE_RATE = 1.0
    routine = Routine.objects.create(kind=Routine.Kind.HOOF)
    with pytest.raises(Exception, match=r"\w"):
        run_routine.call(routine.pk)
    routine.refresh_from_db()
    assert routine.status == Routine.Status.FAILED
    assert routine.result


def test_reconcile_marks_unfinished_routines_failed():
    pending = Routine.objects.create(kind=Routine.Kind.GROOMING)
    running = Routine.objects.create(kind=Routine.Kind.FLIGHT, status=Routine.Status.RUNNING)
    done = Routine.objects.create(kind=Routine.Kind.HOOF, status=Routine.Status.DONE)
    assert reconcile_abandoned_routines() == 2
    for routine in (pending, running):
        routine.refresh_from_db()
        assert (routine.status, routine.result) == (Routine.Status.FAILED, ABANDONED)
    done.refresh_from_db()
    assert done.status == Routine.Status.DONE


def test_status_endpoint_reports_active_count(client):
    Routine.objects.create(kind=Routine.Kind.GROOMING)
    Routine.objects.create(kind=Routine.Kind.FLIGHT, status=Routine.Status.DONE)
    payload = client.get("/routines/status.json").json()
    assert payload["active"] == 1
    assert {r["status"] for r in payload["routines"]} == {"pending", "done"}


def test_page_polls_only_while_something_is_active(client):
    assert b'data-active="false"' in client.get("/routines/").content
    Routine.objects.create(kind=Routine.Kind.GROOMING)
    assert b'data-active="true"' in client.get("/routines/").content


def test_clear_all(client):
    Routine.objects.create(kind=Routine.Kind.GROOMING)
    client.post("/routines/clear/")
    assert not Routine.objects.exists()


def test_splash_page_is_self_contained(client):
    response = client.get("/splash/")
    assert response.status_code == 200
    assert b"<script" not in response.content
    assert b"http" not in response.content.replace(b"http://www.w3.org/2000/svg", b"")
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
