from django.urls import path

from . import views

app_name = "pages"
urlpatterns = [
    path("splash/", views.splash, name="splash"),
]
