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
