"""Jobs are queued by name (roaming.services.jobs): every name must be a task Celery knows."""

import pytest
from kombu.exceptions import OperationalError

from config.celery import app as celery_app
from roaming.services import jobs


@pytest.mark.parametrize("name", jobs.ALL)
def test_every_job_name_is_a_registered_task(name):
    assert name in celery_app.tasks


def test_a_broker_outage_is_logged_not_raised(monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(celery_app.tasks[jobs.DRAIN], "apply_async", refuse)
    assert jobs.enqueue(jobs.DRAIN, 7) is False
    assert "broker unavailable, drain_task(7,) left to the sweep or schedule" in caplog.text


def test_a_partner_gets_one_waiting_drain_however_many_changes_wake_it(monkeypatch, settings):
    from roaming.services import outbox

    if not settings.REDIS_URL:
        pytest.skip("the drain flags live in Redis")
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args, **options: queued.append((name, *args)) or True)
    partners = [10_000_001, 10_000_002]
    outbox.drain_started(partners[0]), outbox.drain_started(partners[1])  # no flag left by an earlier run

    outbox.wake_drains(partners)
    outbox.wake_drains(partners)  # the drains are queued, not started: the second wake needs none
    outbox.drain_started(partners[0])  # claiming from now on: the next change wakes another
    outbox.wake_drains(partners)

    assert queued == [(jobs.DRAIN, partners[0]), (jobs.DRAIN, partners[1]), (jobs.DRAIN, partners[0])]
    outbox.drain_started(partners[1])
