from django.db import models
from django.db.models.functions import Lower


class Pony(models.Model):
    class Status(models.TextChoices):
        GRAZING = "grazing", "Grazing"
        GALLOPING = "galloping", "Galloping"
        SHOW_READY = "show_ready", "Show Ready"

    name = models.CharField(max_length=60)
    personality_notes = models.TextField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.GRAZING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "ponies"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="pony_name_unique_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.name
