from django.apps import AppConfig


class RoutinesConfig(AppConfig):
    name = "flying_stable.routines"
    verbose_name = "Stable Routines"
