"""Building the tenant's own CDR from an ended session: priced by the engine under the connector's tariff, a
valid 2.2.1 CDR, stored and owed to the driver's eMSP once, and refused for sessions that are not billable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partners.models import PartnerEndpoint
from roaming.models import Cdr, Delivery, Session
from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.types import validate
from roaming.ocpi.v2_1_1.cdrs import CdrWire as CdrWire211
from roaming.ocpi.v2_2_1.cdrs import CdrWire
from roaming.ocpi.v2_3_0.cdrs import CdrWire as CdrWire230
from roaming.services.cdrs import SessionNotBillable, build_cdr_from_session
from tests.factories import CHARGING_START, DRIVER_TOKEN, make_session, make_tariff


def vat(percentage, amount) -> dict:
    return {"name": "VAT", "percentage": percentage, "amount": amount}


@pytest.mark.django_db
def test_builds_a_priced_valid_221_cdr_of_an_ended_session(cpo_tenant, connector, tariffs):
    built = build_cdr_from_session(
        tenant=cpo_tenant, session=make_session(cpo_tenant), now=CHARGING_START + timedelta(hours=4)
    )
    cdr = Cdr.objects.get(pk=built.cdr.pk)
    assert built.created
    assert (cdr.cdr_id, cdr.session_id, cdr.country_code, cdr.party_id) == ("S1", "S1", "NL", "CPO")
    assert cdr.cdr_token == DRIVER_TOKEN
    # The complex example's Monday: 2.50 start fee, 165 minutes at 1.00, 42 minutes parking billed as 45 at 5.00.
    # Its elements carry three VAT rates (15% start fee, 20% time, 10% parking): the price keeps each.
    assert cdr.total_cost == {
        "excl_vat": 9.0,
        "incl_vat": 10.3,
        "taxes": [vat(10, 0.375), vat(15, 0.375), vat(20, 0.55)],
    }
    assert cdr.total_fixed_cost == {"excl_vat": 2.5, "incl_vat": 2.875, "taxes": [vat(15, 0.375)]}
    assert cdr.total_time_cost == {"excl_vat": 2.75, "incl_vat": 3.3, "taxes": [vat(20, 0.55)]}
    assert cdr.total_parking_cost == {"excl_vat": 3.75, "incl_vat": 4.125, "taxes": [vat(10, 0.375)]}
    assert cdr.total_energy_cost is None and cdr.total_reservation_cost is None
    assert (float(cdr.total_energy), float(cdr.total_time), float(cdr.total_parking_time)) == (7.5, 3.45, 0.7)
    assert cdr.cdr_location == {
        "id": "LOC1",
        "name": "Station",
        "address": "Street 1",
        "city": "City",
        "postal_code": "1234AB",
        "country": "NLD",
        "coordinates": {"latitude": "52.000000", "longitude": "5.000000"},
        "evse_uid": "E1",
        "evse_id": "NL*CPO*E1",
        "connector_id": "1",
        "connector_standard": "IEC_62196_T2",
        "connector_format": "SOCKET",
        "connector_power_type": "AC_3_PHASE",
    }
    assert [t["tariff_id"] for t in cdr.tariffs] == ["T14"], "the ended tariff does not apply"
    assert cdr.charging_periods[0] == {
        "start_date_time": "2024-01-15T08:30:00Z",
        "dimensions": [
            {"type": "ENERGY", "volume": 7.5},
            {"type": "TIME", "volume": 2.75},
            {"type": "MAX_CURRENT", "volume": 16},
        ],
        "tariff_id": "T14",
    }, "Session-only dimensions are left out"
    wire = get_dialect("2.2.1").module("cdrs").to_wire(cdr)
    assert validate(CdrWire, wire).total_cost.excl_vat == 9.0
    assert wire["total_cost"] == {"excl_vat": 9.0, "incl_vat": 10.3}
    # 2.3.0: one TaxAmount per rate, with its percentage.
    new = get_dialect("2.3.0").module("cdrs").to_wire(cdr)
    assert validate(CdrWire230, new).total_cost.before_taxes == 9.0
    assert new["total_cost"] == {"before_taxes": 9.0, "taxes": [vat(10, 0.375), vat(15, 0.375), vat(20, 0.55)]}
    assert wire["tariffs"][0]["id"] == "T14"
    # The same CDR sent to a 2.1.1 partner: its own schema, with the Location it embeds and a number cost.
    old = get_dialect("2.1.1").module("cdrs").to_wire(cdr)
    assert validate(CdrWire211, old).total_cost == 9.0
    assert old["location"]["id"] == "LOC1" and old["tariffs"][0]["id"] == "T14"


@pytest.mark.django_db
def test_built_once_and_owed_to_the_drivers_emsp_once(cpo_tenant, connector, tariffs, emsp_partner):
    partner, _ = emsp_partner
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant, partner=partner, identifier="cdrs", role="RECEIVER", url="http://emsp.test/cdrs"
    )
    session = make_session(cpo_tenant)
    first = build_cdr_from_session(tenant=cpo_tenant, session=session)
    again = build_cdr_from_session(tenant=cpo_tenant, session=session)
    assert (first.created, again.created) == (True, False)
    assert again.cdr.pk == first.cdr.pk
    assert Cdr.objects.for_tenant(cpo_tenant).count() == 1
    deliveries = Delivery.objects.for_tenant(cpo_tenant).filter(module="cdrs")
    assert [(d.partner_id, d.object_path, d.method) for d in deliveries] == [(partner.pk, "NL/CPO/S1", "POST")]


@pytest.mark.django_db
def test_tariff_chosen_by_charging_preference_and_validity(cpo_tenant, connector, tariffs):
    make_tariff(cpo_tenant, "T-GREEN", "tariff_9_025kwh_start.json", type="PROFILE_GREEN")
    connector.tariff_ids = ["T14", "T-GREEN"]
    connector.save()
    session = make_session(cpo_tenant, charging_preferences={"profile_type": "GREEN"})
    cdr = build_cdr_from_session(tenant=cpo_tenant, session=session).cdr
    assert [t["tariff_id"] for t in cdr.tariffs] == ["T-GREEN"]
    assert cdr.total_cost == {
        "excl_vat": 2.375,
        "incl_vat": 2.6625,
        "taxes": [vat(10, 0.1875), vat(20, 0.1)],
    }, "0.50 start fee (20% VAT) + 7.5 kWh at 0.25 (10%)"


@pytest.mark.django_db
def test_connector_without_tariff_gives_an_unpriced_cdr(cpo_tenant, connector):
    connector.tariff_ids = []
    connector.save()
    cdr = build_cdr_from_session(tenant=cpo_tenant, session=make_session(cpo_tenant)).cdr
    assert cdr.tariffs == []
    assert cdr.total_cost == {"excl_vat": 0.0, "incl_vat": 0.0}
    assert "tariff_id" not in cdr.charging_periods[0]


@pytest.mark.django_db
def test_session_without_periods_is_priced_as_one_period(cpo_tenant, connector, tariffs):
    connector.tariff_ids = ["T9"]
    connector.save()
    make_tariff(cpo_tenant, "T9", "tariff_9_025kwh_start.json")
    session = make_session(cpo_tenant, charging_periods=[], kwh=20, end_date_time=CHARGING_START + timedelta(hours=2))
    cdr = build_cdr_from_session(tenant=cpo_tenant, session=session).cdr
    assert cdr.total_cost == {"excl_vat": 5.5, "incl_vat": 6.1, "taxes": [vat(10, 0.5), vat(20, 0.1)]}
    assert cdr.charging_periods[0]["dimensions"] == [
        {"type": "ENERGY", "volume": 20.0},
        {"type": "TIME", "volume": 2.0},
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": "ACTIVE", "end_date_time": None}, "has not ended"),
        ({"country_code": "BE", "party_id": "XYZ"}, "not of one of the tenant's CPO parties"),
        ({"evse_uid": "E9"}, "no connector"),
        ({"currency": "USD"}, "is in USD"),
    ],
)
def test_refuses_sessions_that_cannot_be_billed(cpo_tenant, connector, tariffs, fields, reason):
    with pytest.raises(SessionNotBillable, match=reason):
        build_cdr_from_session(tenant=cpo_tenant, session=make_session(cpo_tenant, **fields))
    assert not Cdr.objects.for_tenant(cpo_tenant).exists()


@pytest.mark.django_db
def test_refuses_partner_sessions_and_unknown_tariffs(cpo_tenant, connector, tariffs, emsp_partner):
    partner, _ = emsp_partner
    with pytest.raises(SessionNotBillable, match="received from a partner"):
        build_cdr_from_session(tenant=cpo_tenant, session=make_session(cpo_tenant, partner=partner))
    connector.tariff_ids = ["T14", "NOPE"]
    connector.save()
    with pytest.raises(SessionNotBillable, match=r"unknown tariffs \['NOPE'\]"):
        build_cdr_from_session(tenant=cpo_tenant, session=make_session(cpo_tenant, session_id="S2"))


@pytest.mark.django_db
def test_an_own_session_that_ends_becomes_its_cdr_once(cpo_tenant, connector, tariffs):
    from roaming.services import sessions

    session = make_session(cpo_tenant, status="ACTIVE", end_date_time=None)
    assert not Cdr.objects.exists()
    end = CHARGING_START + timedelta(minutes=207)
    ended = {"status": "COMPLETED", "end_date_time": end, "last_updated": end}
    for _ in range(2):  # a repeated end (a retried call) bills once
        sessions.patch_session(
            tenant=cpo_tenant,
            partner=None,
            country_code="NL",
            party_id="CPO",
            session_id=session.session_id,
            fields=ended,
            append_periods=True,
        )
    cdr = Cdr.objects.get()
    assert (cdr.cdr_id, cdr.total_cost["excl_vat"], cdr.total_cost["incl_vat"]) == ("S1", 9.0, 10.3)


@pytest.mark.django_db
def test_a_session_received_from_a_partner_is_not_billed_here(cpo_tenant, connector, tariffs):
    from roaming.services import sessions
    from tests.factories import make_partner

    partner, _ = make_partner(cpo_tenant, "NL:CPO:CPO", name="their-cpo")
    data = {k: v for k, v in make_session(cpo_tenant).__dict__.items() if k in sessions._FIELDS}
    Session.objects.all().delete()
    sessions.put_session(
        tenant=cpo_tenant, partner=partner, country_code="NL", party_id="CPO", session_id="S1", data=data
    )
    assert Session.objects.count() == 1 and not Cdr.objects.exists()


@pytest.mark.django_db
def test_an_ended_session_without_a_known_connector_is_stored_unbilled(cpo_tenant, tariffs, caplog):
    from roaming.services import sessions

    data = {k: v for k, v in make_session(cpo_tenant).__dict__.items() if k in sessions._FIELDS}
    Session.objects.all().delete()
    sessions.put_session(tenant=cpo_tenant, partner=None, country_code="NL", party_id="CPO", session_id="S1", data=data)
    assert Session.objects.count() == 1 and not Cdr.objects.exists()
    assert "No CDR for session NL/CPO/S1" in caplog.text
