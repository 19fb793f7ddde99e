from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "flying_stable.pages"
    verbose_name = "Pages"
