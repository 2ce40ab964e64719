"""Health endpoints: liveness (the process answers) and readiness (database and broker reachable)."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse

from config.celery import app as celery_app


def live(request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; the message says which
        return f"{exc.__class__.__name__}: {exc}"


def _broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{exc.__class__.__name__}: {exc}"


def ready(request) -> JsonResponse:
    checks = {"database": _database(), "broker": _broker()}
    body = {name: ("ok" if error is None else error) for name, error in checks.items()}
    ready_now = all(error is None for error in checks.values())
    body["status"] = "ready" if ready_now else "not ready"
    return JsonResponse(body, status=200 if ready_now else 503)
