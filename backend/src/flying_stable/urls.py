from django.urls import include, path

urlpatterns = [
    path("", include("flying_stable.ponies.urls")),
    path("routines/", include("flying_stable.routines.urls")),
    path("", include("flying_stable.pages.urls")),
]
