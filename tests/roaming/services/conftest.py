"""Fixtures of the services tests."""

import pytest

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
