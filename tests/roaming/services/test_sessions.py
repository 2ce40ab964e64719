"""The sessions services called directly: PUT and PATCH of a session, finding one, and which a partner may list."""

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from roaming.errors import Invalid, StaleWrite, UnknownObject
from roaming.models import Session
from roaming.ocpi.dialects import get_dialect
from roaming.services import sessions
from tests.bodies import SESSION
from tests.factories import make_partner, own_session

V221 = get_dialect("2.2.1")
OWNER = {"country_code": "NL", "party_id": "CPO"}


def internal(session_id: str = "S1", **changes) -> dict:
    return V221.module("sessions").from_wire({**copy.deepcopy(SESSION), "id": session_id, **changes})


def test_a_put_creates_then_replaces_a_session(cpo_tenant):
    first = sessions.put_session(tenant=cpo_tenant, partner=None, **OWNER, session_id="S1", data=internal())
    second = sessions.put_session(
        tenant=cpo_tenant, partner=None, **OWNER, session_id="s1", data=internal("s1", kwh=42.5)
    )

    assert (first.created, first.object_path) == (True, "NL/CPO/S1")
    assert (second.created, second.object_path) == (False, "NL/CPO/S1")
    stored = Session.objects.get()
    assert (stored.session_id, stored.kwh, len(stored.charging_periods)) == ("S1", 42.5, 3)


def test_a_put_whose_body_names_another_session_is_invalid_and_stores_nothing(cpo_tenant):
    with pytest.raises(Invalid) as raised:
        sessions.put_session(tenant=cpo_tenant, partner=None, **OWNER, session_id="S2", data=internal("S1"))
    assert raised.value.field == "id"
    assert not Session.objects.exists()


@pytest.mark.parametrize(("append_periods", "periods"), [(True, 4), (False, 1)])
def test_a_patch_adds_charging_periods_in_2_2_1_and_replaces_them_in_2_1_1(cpo_tenant, append_periods, periods):
    own_session(cpo_tenant)
    period = {"start_date_time": "2030-01-01T00:00:00Z", "dimensions": [{"type": "ENERGY", "volume": 1}]}

    change = sessions.patch_session(
        tenant=cpo_tenant,
        partner=None,
        **OWNER,
        session_id="S1",
        fields={"charging_periods": [period], "kwh": 16.0, "last_updated": datetime(2030, 1, 1, tzinfo=UTC)},
        append_periods=append_periods,
    )

    assert (change.created, change.object_path) == (False, "NL/CPO/S1")
    stored = Session.objects.get()
    assert (len(stored.charging_periods), stored.kwh) == (periods, 16.0)


def test_a_patch_older_than_the_stored_session_is_stale_and_changes_nothing(cpo_tenant):
    own_session(cpo_tenant)
    with pytest.raises(StaleWrite):
        sessions.patch_session(
            tenant=cpo_tenant,
            partner=None,
            **OWNER,
            session_id="S1",
            fields={"kwh": 99.0, "last_updated": datetime(2001, 1, 1, tzinfo=UTC)},
            append_periods=True,
        )
    assert Session.objects.get().kwh == Decimal(str(SESSION["kwh"]))


def test_find_of_an_unknown_session_names_it(cpo_tenant):
    own_session(cpo_tenant)
    owned = sessions.owned_by(tenant=cpo_tenant, **OWNER)

    assert sessions.find(owned, session_id="s1").session_id == "S1"
    with pytest.raises(UnknownObject) as raised:
        sessions.find(owned, session_id="NOPE")
    assert raised.value.message == "Unknown session 'NOPE'"


def test_an_emsp_lists_only_the_sessions_of_its_own_drivers(cpo_tenant):
    own_session(cpo_tenant)  # a DE*EMS driver
    drivers_emsp, _ = make_partner(cpo_tenant, "DE:EMS:EMSP")
    other_emsp, _ = make_partner(cpo_tenant, "FR:XYZ:EMSP")

    def listed(partner):
        queryset = sessions.visible_to(tenant=cpo_tenant, partner=partner, dialect=V221)
        return list(queryset.values_list("session_id", flat=True))

    assert (listed(drivers_emsp), listed(other_emsp)) == (["S1"], [])
