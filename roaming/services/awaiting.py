"""Requests that wait for an asynchronous result at a response_url: commands and charging profiles.

Both keep one row per request sent or received, with its synchronous answer, a deadline for the
result, a step-by-step history and a status whose WAITING states still expect the charge point's
answer. What they share is here; each module keeps what its chapter says differently.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

#: Ends that keep the reason as the row's error.
_ENDS_WITH_ERROR = ("FAILED", "NOT_SUPPORTED")


def result_deadline(seconds: int | None) -> datetime:
    """When a result is overdue: after the CPO's timeout, or ours when it named none."""
    return timezone.now() + timedelta(seconds=settings.COMMAND_RESULT_TIMEOUT_SECONDS if seconds is None else seconds)


def step(record, event: str, detail: str = "") -> None:
    """A step on the request's history (saved with the row), and in the log."""
    record.log(event, detail)
    logger.info("%s %s #%s: %s %s", record.direction, record.action, record.pk or "new", event, detail)


def end(record, status: str, event: str, detail: str = ""):
    """Give the request its final (or answered) status, with the step that says why, and save it."""
    record.status = status
    if status in _ENDS_WITH_ERROR:
        record.error = detail
    step(record, event, detail)
    record.save()
    return record


@transaction.atomic
def fail_sent(model, pk: int, error: str):
    """Sending the request failed: FAILED, unless a result has already settled it."""
    record = model.objects.select_for_update().get(pk=pk)
    if not record.is_waiting:
        return record
    return end(record, "FAILED", "sending failed", error)


@transaction.atomic
def record_response(model, pk: int, response: dict):
    """The partner's synchronous answer (result, timeout and, where the chapter has one, a message). An
    accepted request now waits until the timeout the partner named; a result that came back before the
    answer has settled the request already and keeps its status."""
    record = model.objects.select_for_update().get(pk=pk)
    record.response_result, record.response_timeout = response["result"], response["timeout"]
    if "message" in response:
        record.response_message = response["message"]
    record.responded_at = timezone.now()
    step(record, "answered", response["result"])
    if record.is_waiting:
        record.status = response["result"]
        if response["result"] == "ACCEPTED":
            record.deadline = result_deadline(response["timeout"])
    record.save()
    return record


def overdue(model, waiting, *, limit: int = 500) -> Iterator:
    """Requests still waiting past their deadline, each locked in a transaction of its own while the caller
    ends it (rows another worker holds are skipped)."""
    now = timezone.now()
    due = list(model.objects.filter(status__in=waiting, deadline__lt=now).values_list("pk", flat=True)[:limit])
    for pk in due:
        with transaction.atomic():
            record = (
                model.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status__in=waiting, deadline__lt=timezone.now())
                .first()
            )
            if record is not None:
                yield record


@transaction.atomic
def note_result(model, pk: int, error) -> None:
    """An attempt to deliver a received request's result (an outbox delivery), on the record's history."""
    record = model.objects.select_for_update().filter(pk=pk).first()
    if record is None:
        return
    if error is None:
        step(record, "result delivered", record.result)
    else:
        step(record, "result not delivered", str(error)[:500])
    record.save(update_fields=["history", "updated"])
