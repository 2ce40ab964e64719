"""The Celery application: workers carry out deliveries and handshakes, beat runs the sync jobs."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("roaming")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
