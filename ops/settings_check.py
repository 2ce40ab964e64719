"""Production settings are checked at start: a missing or unsafe one stops the process, naming it."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured


def check_production_settings(settings: dict, env) -> None:
    problems = []
    if settings["DEBUG"]:
        problems.append("DEBUG must be off in production")
    if "SECRET_KEY" not in os.environ or settings["SECRET_KEY"] == settings["_DEVELOPMENT_SECRET_KEY"]:
        problems.append("SECRET_KEY must be set")
    elif len(settings["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY must be at least 32 characters")
    if "ALLOWED_HOSTS" not in os.environ:
        problems.append("ALLOWED_HOSTS must be set")
    if "DATABASE_URL" not in os.environ:
        problems.append("DATABASE_URL must be set")
    if "REDIS_URL" not in os.environ and "CELERY_BROKER_URL" not in os.environ:
        problems.append("REDIS_URL or CELERY_BROKER_URL must be set")
    if "OCPI_BASE_URL" not in os.environ:
        problems.append("OCPI_BASE_URL must be set (the address partners reach this deployment at)")
    if problems:
        raise ImproperlyConfigured("Production settings: " + "; ".join(problems))
