"""What a session PATCH sends a partner: the changed fields under the names of the partner's version."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from roaming.models import DeliveryMethod
from roaming.ocpi.dialects import get_dialect
from roaming.services import sessions
from tests.factories import own_location

pytestmark = pytest.mark.django_db

START, END = datetime(2026, 1, 5, 10, tzinfo=UTC), datetime(2026, 1, 5, 11, tzinfo=UTC)


def _ended_session(tenant):
    own_location(tenant)
    sessions.put_session(
        tenant=tenant,
        partner=None,
        country_code="NL",
        party_id="CPO",
        session_id="S1",
        data={
            "start_date_time": START,
            "end_date_time": END,
            "kwh": 7,
            "cdr_token": {"country_code": "DE", "party_id": "EMS", "uid": "U1", "type": "RFID", "contract_id": "C1"},
            "auth_method": "COMMAND",
            "location_id": "LOC1",
            "evse_uid": "3256",
            "connector_id": "1",
            "currency": "EUR",
            "status": "COMPLETED",
            "last_updated": END,
        },
    )


@pytest.mark.parametrize(("version", "end_name"), [("2.1.1", "end_datetime"), ("2.2.1", "end_date_time")])
def test_a_stopped_session_patch_carries_its_end_time_in_both_versions(cpo_tenant, version, end_name):
    _ended_session(cpo_tenant)
    delivery = SimpleNamespace(
        tenant_id=cpo_tenant.pk,
        object_path="NL/CPO/S1",
        method=DeliveryMethod.PATCH,
        fields=["status", "end_date_time", "last_updated"],
    )
    request = sessions.build_push(delivery, get_dialect(version))
    assert request.body == {
        "status": "COMPLETED",
        end_name: "2026-01-05T11:00:00Z",
        "last_updated": "2026-01-05T11:00:00Z",
    }
