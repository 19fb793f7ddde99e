from django.urls import path

from . import views

app_name = "routines"
urlpatterns = [
    path("", views.routine_list, name="list"),
    path("start/", views.start_routine, name="start"),
    path("clear/", views.clear_routines, name="clear"),
    path("status.json", views.routine_status, name="status"),
]
