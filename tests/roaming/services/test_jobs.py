"""Jobs are queued by name (roaming.services.jobs): every name must be a task Celery knows."""

import pytest
from django.db import connection
from kombu.exceptions import OperationalError

from config.celery import app as celery_app
from roaming.services import jobs, outbox


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

    # The two woken together are drained together; the one woken alone gets a drain of its own.
    assert queued == [(jobs.DRAIN_MANY, partners), (jobs.DRAIN, partners[0])]
    outbox.drain_started(partners[1])


def test_partners_woken_together_share_drains_of_at_most_PUSH_DRAIN_PARTNERS_each(monkeypatch, settings):
    if not settings.REDIS_URL:
        pytest.skip("the drain flags live in Redis")
    settings.PUSH_DRAIN_PARTNERS = 50
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args, **options: queued.append((name, *args)) or True)
    partners = list(range(10_000_100, 10_000_220))
    outbox.drain_started(*partners)  # no flag left by an earlier run

    outbox.wake_drains(partners)

    assert [name for name, _ in queued] == [jobs.DRAIN_MANY] * 3
    assert [len(chunk) for _, chunk in queued] == [40, 40, 40]  # as even as can be, not 50, 50 and 20
    assert sorted(p for _, chunk in queued for p in chunk) == partners  # each partner in exactly one
    outbox.drain_started(*partners)


def test_drain_flags_of_two_deployments_sharing_one_redis_stay_apart(monkeypatch, settings):
    """Partner ids repeat across databases: a drain queued by one deployment must not hold back another's."""
    if not settings.REDIS_URL:
        pytest.skip("the drain flags live in Redis")
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args, **options: queued.append((name, *args)) or True)
    partner = 10_000_003
    other_database = connection.settings_dict["NAME"] + "_other"
    for name in (connection.settings_dict["NAME"], other_database):  # no flag left by an earlier run
        with monkeypatch.context() as deployment:
            deployment.setitem(connection.settings_dict, "NAME", name)
            outbox.drain_started(partner)

    outbox.wake_drains([partner])  # this deployment's drain is queued and not started
    with monkeypatch.context() as other:
        other.setitem(connection.settings_dict, "NAME", other_database)
        outbox.wake_drains([partner])  # the other deployment's partner of the same id still gets its drain
        outbox.drain_started(partner)

    assert queued == [(jobs.DRAIN, partner), (jobs.DRAIN, partner)]
    outbox.drain_started(partner)
