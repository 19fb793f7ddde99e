from django.urls import path

from . import views

app_name = "ponies"
urlpatterns = [
    path("", views.pony_list, name="list"),
    path("ponies/new/", views.pony_create, name="create"),
    path("ponies/<int:pk>/edit/", views.pony_edit, name="edit"),
    path("ponies/<int:pk>/delete/", views.pony_delete, name="delete"),
    path("ponies/release-all/", views.release_all, name="release_all"),
]
