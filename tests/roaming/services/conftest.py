"""Fixtures of the services tests."""

import psycopg
import pytest
from django.db import connection

from roaming.services import batches
from tests.factories import make_partner


@pytest.fixture(params=["sql", "orm"])
def record_path(request, settings):
    """The test runs on both ways the outbox records: PostgreSQL's statements and the portable ORM."""
    settings.OUTBOX_SQL_UPSERT = request.param == "sql"
    return request.param


@pytest.fixture
def reachable_emsp(cpo_tenant):
    """An eMSP partner (DE*EMS) of the CPO tenant that gave us its token: results can be posted to it."""
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", token_to_them="their-token")
    return partner


@pytest.fixture
def drains_elsewhere(db):
    """Take drain slots of a partner from another database session, as drains running elsewhere hold them:
    `drains_elsewhere(partner, slot, ...)`; `.release(partner, slot)` lets one go."""
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    )

    class Elsewhere:
        def __call__(self, partner, *slots):
            for slot in slots:
                other.execute("SELECT pg_advisory_lock(%s, %s)", [batches._DRAIN_LOCK_CLASS + slot, partner.pk])

        def try_take(self, partner, slot) -> bool:
            return other.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", [batches._DRAIN_LOCK_CLASS + slot, partner.pk]
            ).fetchone()[0]

        def release(self, partner, slot):
            other.execute("SELECT pg_advisory_unlock(%s, %s)", [batches._DRAIN_LOCK_CLASS + slot, partner.pk])

    yield Elsewhere()
    other.close()
