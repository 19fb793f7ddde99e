from django.db import models


class Routine(models.Model):
    class Kind(models.TextChoices):
        GROOMING = "grooming", "Wing grooming"
        FEEDING = "feeding", "Feeding round"
        FLIGHT = "flight", "Flight practice"
        HOOF = "hoof", "Hoof polish"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.PENDING, Status.RUNNING)

    kind = models.CharField(max_length=20, choices=Kind)
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    result = models.CharField(max_length=200, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 1)
        return None

    def as_status(self) -> dict:
        return {
            "id": self.pk,
            "kind": self.get_kind_display(),
            "status": self.status,
            "status_label": self.get_status_display(),
            "result": self.result,
            "duration_seconds": self.duration_seconds,
        }
