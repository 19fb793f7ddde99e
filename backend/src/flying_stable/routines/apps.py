from django.apps import AppConfig


class RoutinesConfig(AppConfig):
    name = "flying_stable.routines"
    verbose_name = "Stable Routines"

    def ready(self) -> None:
        from django.tasks.signals import task_finished

        from .signals import fail_routine_of_failed_task

        task_finished.connect(fail_routine_of_failed_task, dispatch_uid="routines-task-finished")
