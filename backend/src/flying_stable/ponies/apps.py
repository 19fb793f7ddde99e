from django.apps import AppConfig


class PoniesConfig(AppConfig):
    name = "flying_stable.ponies"
    verbose_name = "My Ponies"
