"""The starter roster, created once on a brand-new database (the launcher's first-run hook)."""

from .models import Pony

STARTER_ROSTER = [
    ("Clover Skydancer", Pony.Status.GRAZING, "Naps in the clover patch; wakes for apples."),
    ("Marble Gale", Pony.Status.GALLOPING, "Fastest wings in the valley and knows it."),
    ("Pip Featherhoof", Pony.Status.SHOW_READY, "Braided mane, polished hooves, camera-ready."),
]


def seed_starter_roster() -> None:
    Pony.objects.bulk_create(
        Pony(name=name, status=status, personality_notes=notes)
        for name, status, notes in STARTER_ROSTER
    )
