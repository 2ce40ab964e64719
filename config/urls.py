from django.contrib import admin
from django.urls import include, path

from ops import health
from ops.metrics import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ocpi/", include("roaming.api.urls")),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics_view, name="metrics"),
]
