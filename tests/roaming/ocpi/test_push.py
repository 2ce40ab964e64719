"""Pushing to uneven partners (roaming.ocpi.push), both versions, against a scripted partner: a PATCH answered
as an unknown object recovers by GET and a PUT of the whole object; put-only partners get only PUTs; optional
fields a partner requires are filled; routing headers as the profile says; retries as the partner's policy."""

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from partners.models import PartnerEndpoint, Party
from roaming.models import Delivery, DeliveryStatus, Evse, Location
from roaming.ocpi.client import OcpiClient
from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.push import OutgoingRequest, body_for, retry_policy, send
from roaming.services import batches, cdrs, locations, outbox, sessions, tokens
from tariffs import services as tariffs
from tariffs.models import Tariff
from tests.bodies import CDR as CDR_WIRE
from tests.bodies import LOCATION
from tests.bodies import TARIFF as TARIFF_WIRE
from tests.factories import make_partner, own_location, own_token

pytestmark = pytest.mark.django_db

VERSIONS = ["2.1.1", "2.2.1"]
EVSE_PATH = "/locations/NL/CPO/LOC1/3256"
LOCATION_PATH = "/locations/NL/CPO/LOC1"
STAMP = datetime(2026, 3, 1, 12, tzinfo=UTC)


def receiving_partner(tenant, peer, party, version, **profile):
    partner, _ = make_partner(tenant, party, name=f"partner-{version}", version=version, token_to_them="t", **profile)
    for module in ("cdrs", "locations", "sessions", "tokens", "tariffs"):
        PartnerEndpoint.objects.create(
            tenant=tenant, partner=partner, identifier=module, role="RECEIVER", url=f"{peer.url}/{module}"
        )
    return partner


def deliver_pending():
    """Send every pending delivery once; returns them, reloaded."""
    for pk in Delivery.objects.filter(status=DeliveryStatus.PENDING).values_list("pk", flat=True):
        outbox.deliver(delivery_id=pk)
    return list(Delivery.objects.order_by("pk"))


def evse_status_patch(tenant, peer, version, **profile):
    """A CPO's EVSE status change owed to an eMSP partner as a PATCH."""
    own_location(tenant)  # before the partner exists: owed to nobody
    partner = receiving_partner(tenant, peer, "DE:EMS:EMSP", version, **profile)
    locations.set_evse_status(evse=Evse.objects.get(location__tenant=tenant, uid="3256"), status="CHARGING")
    return partner


def body_of(request) -> dict:
    return json.loads(request["body"])


def session_patch(tenant, peer, version, **profile):
    own_location(tenant)
    sessions.put_session(
        tenant=tenant,
        partner=None,
        country_code="NL",
        party_id="CPO",
        session_id="S1",
        data={
            "start_date_time": STAMP,
            "kwh": 1,
            "cdr_token": {"country_code": "DE", "party_id": "EMS", "uid": "U1", "type": "RFID", "contract_id": "C1"},
            "auth_method": "WHITELIST",
            "location_id": "LOC1",
            "evse_uid": "3256",
            "connector_id": "1",
            "currency": "EUR",
            "status": "ACTIVE",
            "last_updated": STAMP,
        },
    )
    partner = receiving_partner(tenant, peer, "DE:EMS:EMSP", version, **profile)
    sessions.patch_session(
        tenant=tenant,
        partner=None,
        country_code="NL",
        party_id="CPO",
        session_id="S1",
        fields={"kwh": 9, "last_updated": STAMP + timedelta(minutes=5)},
        append_periods=False,
    )
    return partner


def token_patch(tenant, peer, version, **profile):
    token = own_token(tenant)
    partner = receiving_partner(tenant, peer, "NL:CPO:CPO", version, **profile)
    tokens.patch_token(
        tenant=tenant,
        partner=None,
        country_code="DE",
        party_id="EMS",
        uid=token.uid,
        token_type=token.type,
        fields={"valid": False, "last_updated": STAMP},
    )
    return partner


# module: (make the PATCH delivery, the tenant fixture it runs in, the PATCH's path, the whole object's path)
PATCHES = {
    "locations": (evse_status_patch, "cpo_tenant", EVSE_PATH, LOCATION_PATH),
    "sessions": (session_patch, "cpo_tenant", "/sessions/NL/CPO/S1", "/sessions/NL/CPO/S1"),
    "tokens": (token_patch, "emsp_tenant", "/tokens/DE/EMS/012345678", "/tokens/DE/EMS/012345678"),
}


@pytest.fixture(params=sorted(PATCHES))
def module(request):
    return request.param


def patch_owed(request, module, peer, version, **profile):
    make, tenant_fixture, patch_path, whole_path = PATCHES[module]
    make(request.getfixturevalue(tenant_fixture), peer, version, **profile)
    return patch_path, whole_path


# -- a PATCH answered as an unknown object ------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_evse_patch_to_a_partner_without_the_location_gets_get_then_the_whole_location_put(cpo_tenant, peer, version):
    evse_status_patch(cpo_tenant, peer, version)
    peer.fail(EVSE_PATH, 2003, "Location LOC1 has no EVSE 3256", method="PATCH")
    peer.fail(EVSE_PATH, 2003, "Unknown location LOC1", method="GET")
    peer.ok(LOCATION_PATH, None, method="PUT")

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.DELIVERED
    assert (delivery.last_http_status, delivery.last_status_code, delivery.last_error) == (200, 1000, "")
    assert peer.seen() == [("PATCH", EVSE_PATH), ("GET", EVSE_PATH), ("PUT", LOCATION_PATH)]
    put = body_of(peer.requests[2])
    assert put["id"] == "LOC1" and put["address"] == LOCATION["address"]
    assert [(e["uid"], e["status"]) for e in put["evses"]] == [("3256", "CHARGING"), ("3257", "RESERVED")]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_patching_module_recovers_by_get_and_put(request, module, peer, version):
    patch_path, whole_path = patch_owed(request, module, peer, version)
    peer.fail(patch_path, 2003, "unknown object", method="PATCH")
    peer.routes[("GET", patch_path)] = (404, {}, "no such object")
    peer.ok(whole_path, None, method="PUT")

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.DELIVERED
    assert peer.seen() == [("PATCH", patch_path), ("GET", patch_path), ("PUT", whole_path)]
    patch, put = body_of(peer.requests[0]), body_of(peer.requests[2])
    assert len(put) > len(patch) and "last_updated" in put  # the whole object the PATCH was part of


@pytest.mark.parametrize("version", VERSIONS)
def test_a_patch_the_partner_has_the_object_for_but_cannot_apply_is_followed_by_the_whole_put(
    cpo_tenant, peer, version
):
    evse_status_patch(cpo_tenant, peer, version)
    peer.routes[("PATCH", EVSE_PATH)] = (404, {}, "not found")
    peer.ok(EVSE_PATH, {"uid": "3256", "status": "AVAILABLE"}, method="GET")
    peer.ok(LOCATION_PATH, None, method="PUT")

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.DELIVERED
    assert peer.seen() == [("PATCH", EVSE_PATH), ("GET", EVSE_PATH), ("PUT", LOCATION_PATH)]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_put_that_fails_again_fails_the_delivery_with_the_partners_answer(cpo_tenant, peer, version):
    evse_status_patch(cpo_tenant, peer, version)
    peer.fail(EVSE_PATH, 2003, "unknown location", method="PATCH")
    peer.fail(EVSE_PATH, 2003, "unknown location", method="GET")
    peer.fail(LOCATION_PATH, 2002, "operator: required here", method="PUT")

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.FAILED
    assert (delivery.last_http_status, delivery.last_status_code) == (None, 2002)
    assert "operator: required here" in delivery.last_error
    assert "after the PATCH was answered OCPI 2003" in delivery.last_error
    assert peer.seen() == [("PATCH", EVSE_PATH), ("GET", EVSE_PATH), ("PUT", LOCATION_PATH)]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_put_that_meets_a_server_error_is_retried_later(cpo_tenant, peer, version):
    evse_status_patch(cpo_tenant, peer, version)
    peer.fail(EVSE_PATH, 2003, "unknown location", method="PATCH")
    peer.fail(EVSE_PATH, 2003, "unknown location", method="GET")
    peer.routes[("PUT", LOCATION_PATH)] = (503, {}, "down")

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_http_status == 503 and delivery.next_attempt_at > timezone.now()


@pytest.mark.parametrize("version", VERSIONS)
def test_a_get_that_gets_no_answer_ends_the_attempt_before_any_put(cpo_tenant, peer, version):
    evse_status_patch(cpo_tenant, peer, version)
    peer.fail(EVSE_PATH, 2003, "unknown location", method="PATCH")
    peer.routes[("GET", EVSE_PATH)] = (502, {}, "bad gateway")
    peer.ok(LOCATION_PATH, None, method="PUT")

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.PENDING and delivery.last_http_status == 502
    assert peer.seen() == [("PATCH", EVSE_PATH), ("GET", EVSE_PATH)]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_patch_refused_for_another_reason_fails_without_get_or_put(cpo_tenant, peer, version):
    evse_status_patch(cpo_tenant, peer, version, unknown_object_answers=[])
    peer.fail(EVSE_PATH, 2001, "status: unknown value", method="PATCH")

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.FAILED and delivery.last_status_code == 2001
    assert peer.seen() == [("PATCH", EVSE_PATH)]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_partners_own_unknown_object_answer_starts_the_recovery(cpo_tenant, peer, version):
    evse_status_patch(cpo_tenant, peer, version, unknown_object_answers=[2001])
    peer.fail(EVSE_PATH, 2001, "no such evse", method="PATCH")
    peer.fail(EVSE_PATH, 2001, "no such evse", method="GET")
    peer.ok(LOCATION_PATH, None, method="PUT")

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.DELIVERED
    assert peer.seen()[-1] == ("PUT", LOCATION_PATH)


# -- partners that take no PATCH ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_a_put_only_partner_gets_the_whole_object_by_put_and_never_a_patch(request, module, peer, version):
    patch_path, whole_path = patch_owed(request, module, peer, version, put_only_modules=[module])
    peer.ok(whole_path, None, method="PUT")

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.DELIVERED and delivery.method == "PATCH"
    assert peer.seen() == [("PUT", whole_path)]


@pytest.mark.parametrize("version", VERSIONS)
def test_put_only_for_one_module_leaves_the_others_patched(cpo_tenant, peer, version):
    evse_status_patch(cpo_tenant, peer, version, put_only_modules=["sessions"])
    peer.ok(EVSE_PATH, None, method="PATCH")

    deliver_pending()

    assert peer.seen() == [("PATCH", EVSE_PATH)]


# -- optional fields the partner requires -------------------------------------------------------------------

REQUIRED = [
    "locations.operator",
    "locations.owner",
    "locations.evses.capabilities",
    "locations.evses.connectors.tariff_id",
    "locations.evses.connectors.tariff_ids",
]


def location_lacking_optional_fields(tenant):
    """LOC1 without operator; EVSE 3257 without capabilities and its connector without tariff."""
    wire = copy.deepcopy(LOCATION)
    del wire["operator"]
    wire["evses"][1]["capabilities"] = []
    wire["evses"][1]["connectors"][0]["tariff_ids"] = []
    data = get_dialect("2.2.1").module("locations").from_wire(wire)
    locations.put_location(
        tenant=tenant, partner=None, country_code="NL", party_id="CPO", location_id="LOC1", data=data
    )
    Party.objects.filter(tenant=tenant, country_code="NL", party_id="CPO", role="CPO").update(
        name="Charge NL", website="https://charge.example.com"
    )


def one_tariff(tenant, tariff_id="T1", **fields):
    return Tariff.objects.create(
        tenant=tenant,
        country_code="NL",
        party_id="CPO",
        tariff_id=tariff_id,
        currency="EUR",
        elements=[{"price_components": [{"type": "ENERGY", "price": "0.30", "step_size": 1}]}],
        last_updated=STAMP,
        **fields,
    )


def drain_pending(partner):
    """Send the partner's pending deliveries as a drain does: in batches (roaming.services.batches)."""
    batches.drain(partner_id=partner.pk)


@pytest.mark.parametrize("send_pending", [lambda partner: deliver_pending(), drain_pending], ids=["one", "batch"])
@pytest.mark.parametrize(
    ("version", "tariff_name", "tariff_value"), [("2.1.1", "tariff_id", "T1"), ("2.2.1", "tariff_ids", ["T1"])]
)
def test_required_fields_are_filled_from_our_data_where_absent(
    cpo_tenant, peer, version, tariff_name, tariff_value, send_pending
):
    partner = receiving_partner(cpo_tenant, peer, "DE:EMS:EMSP", version, required_fields=REQUIRED)
    location_lacking_optional_fields(cpo_tenant)  # owed to the partner as a PUT
    one_tariff(cpo_tenant)
    peer.ok(LOCATION_PATH, None, method="PUT")

    send_pending(partner)

    put = body_of(peer.requests[0])
    business = {"name": "Charge NL", "website": "https://charge.example.com"}
    assert put["operator"] == business and put["owner"] == business
    first, second = put["evses"]
    assert first["capabilities"] == ["RESERVABLE"]  # present: left as it is
    assert second["capabilities"] == []
    assert second["connectors"][0][tariff_name] == tariff_value
    own = "tariff_id" if version == "2.1.1" else "tariff_ids"
    assert first["connectors"][0][own] == ("11" if version == "2.1.1" else ["11"])  # its own tariff is kept
    stored = Location.objects.get(tenant=cpo_tenant)
    assert stored.operator is None and stored.owner is None  # filled on the wire only


def test_a_batched_location_put_carries_the_routing_headers_and_extension_fields_the_profile_asks_for(cpo_tenant, peer):
    """The batch path builds whole-location PUTs from the page cache: still as the partner's profile says."""
    partner = receiving_partner(
        cpo_tenant, peer, "DE:EMS:EMSP", "2.1.1", routing_headers="ALWAYS", extension_fields=["gireve_id"]
    )
    location_lacking_optional_fields(cpo_tenant)
    Location.objects.filter(tenant=cpo_tenant).update(extensions={"gireve_id": "G-1"})
    peer.ok(LOCATION_PATH, None, method="PUT")

    drain_pending(partner)

    [put] = peer.requests
    assert body_of(put)["gireve_id"] == "G-1"
    assert (put["headers"]["OCPI-from-party-id"], put["headers"]["OCPI-to-party-id"]) == ("CPO", "EMS")


@pytest.mark.parametrize(
    ("version", "tariff_name", "sent"), [("2.1.1", "tariff_id", "absent"), ("2.2.1", "tariff_ids", [])]
)
def test_without_a_tariff_that_applies_none_is_named(cpo_tenant, peer, version, tariff_name, sent):
    """Two REGULAR tariffs: no way to choose. 2.2.1 gets an empty list (names no tariff, as absent would);
    2.1.1's tariff_id has no empty value and stays out."""
    receiving_partner(
        cpo_tenant, peer, "DE:EMS:EMSP", version, required_fields=[f"locations.evses.connectors.{tariff_name}"]
    )
    location_lacking_optional_fields(cpo_tenant)
    one_tariff(cpo_tenant, "T1", type="REGULAR")
    one_tariff(cpo_tenant, "T2", type="REGULAR")
    peer.ok(LOCATION_PATH, None, method="PUT")

    deliver_pending()

    connector = body_of(peer.requests[0])["evses"][1]["connectors"][0]
    assert connector.get(tariff_name, "absent") == sent


def test_among_several_tariffs_the_only_regular_one_applies(cpo_tenant):
    location_lacking_optional_fields(cpo_tenant)
    one_tariff(cpo_tenant, "CHEAP", type="PROFILE_CHEAP")
    one_tariff(cpo_tenant, "REG", type="REGULAR")
    one_tariff(cpo_tenant, "OLD", end_date_time=STAMP)
    location = Location.objects.get(tenant=cpo_tenant)
    assert locations.applying_tariff(location, get_dialect("2.2.1")) == "REG"


def test_a_patch_is_never_filled(cpo_tenant, peer):
    evse_status_patch(cpo_tenant, peer, "2.2.1", required_fields=REQUIRED)
    peer.ok(EVSE_PATH, None, method="PATCH")

    deliver_pending()

    assert set(body_of(peer.requests[0])) == {"status", "last_updated"}


def test_fields_are_filled_in_an_evse_put_by_their_path_below_the_evse():
    profile = make_profile(required_fields=("locations.evses.capabilities", "locations.operator"))
    request = OutgoingRequest(
        "PUT",
        "NL/CPO/LOC1/3257",
        body={"uid": "3257", "connectors": [{"id": "1"}]},
        module="locations",
        part="evses",
        fill=lambda path, holder: [] if path.endswith("capabilities") else {"name": "x"},
    )
    assert body_for(profile, request) == {"uid": "3257", "connectors": [{"id": "1"}], "capabilities": []}
    assert request.body == {"uid": "3257", "connectors": [{"id": "1"}]}  # the built body is not changed


def make_profile(**settings):
    from partners.profile import Profile

    return Profile(**settings)


# -- routing headers ----------------------------------------------------------------------------------------


def routing_sent(request) -> dict:
    return {k.lower(): v for k, v in request["headers"].items() if k.lower().startswith("ocpi-")}


@pytest.mark.parametrize(
    ("version", "setting", "expected"),
    [("2.1.1", "ALWAYS", True), ("2.1.1", "AUTO", False), ("2.2.1", "AUTO", True), ("2.2.1", "NEVER", False)],
)
def test_routing_headers_go_out_as_the_version_and_profile_say(cpo_tenant, peer, version, setting, expected):
    evse_status_patch(cpo_tenant, peer, version, routing_headers=setting)
    peer.ok(EVSE_PATH, None, method="PATCH")

    deliver_pending()

    headers = routing_sent(peer.requests[0])
    if expected:
        assert headers == {
            "ocpi-from-country-code": "NL",
            "ocpi-from-party-id": "CPO",
            "ocpi-to-country-code": "DE",
            "ocpi-to-party-id": "EMS",
        }
    else:
        assert headers == {}


def tariff_put(tenant, peer, version, **profile):
    receiving_partner(tenant, peer, "DE:EMS:EMSP", version, **profile)
    tariff = TARIFF_WIRE | {"id": "T1", "country_code": "NL", "party_id": "CPO"}
    data = get_dialect("2.2.1").module("tariffs").from_wire(tariff)
    tariffs.put_tariff(tenant=tenant, partner=None, country_code="NL", party_id="CPO", tariff_id="T1", data=data)
    return "/tariffs/NL/CPO/T1"


def cdr_post(tenant, peer, version, **profile):
    receiving_partner(tenant, peer, "DE:EMS:EMSP", version, **profile)
    data = get_dialect("2.2.1").module("cdrs").from_wire(CDR_WIRE)
    cdrs.store_cdr(tenant=tenant, partner=None, data=data)
    return "/cdrs"


@pytest.mark.parametrize("make", [tariff_put, cdr_post], ids=["tariffs", "cdrs"])
@pytest.mark.parametrize(("version", "setting"), [("2.1.1", "ALWAYS"), ("2.2.1", "NEVER")])
def test_tariff_and_cdr_pushes_follow_the_routing_header_setting(cpo_tenant, peer, make, version, setting):
    path = make(cpo_tenant, peer, version, routing_headers=setting)
    peer.ok(path, None)

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.DELIVERED, delivery.last_error
    headers = routing_sent(peer.requests[0])
    if setting == "ALWAYS":
        assert (headers["ocpi-from-party-id"], headers["ocpi-to-party-id"]) == ("CPO", "EMS")
    else:
        assert headers == {}


def test_the_recovery_get_and_put_carry_the_routing_headers_too(cpo_tenant, peer):
    evse_status_patch(cpo_tenant, peer, "2.1.1", routing_headers="ALWAYS")
    peer.fail(EVSE_PATH, 2003, "unknown location", method="PATCH")
    peer.fail(EVSE_PATH, 2003, "unknown location", method="GET")
    peer.ok(LOCATION_PATH, None, method="PUT")

    deliver_pending()

    assert [routing_sent(r)["ocpi-to-party-id"] for r in peer.requests] == ["EMS", "EMS", "EMS"]


# -- extension fields passed back ---------------------------------------------------------------------------


def test_extension_fields_the_partner_lists_are_merged_into_the_body_unless_it_has_them(peer):
    client = OcpiClient(dialect=get_dialect("2.2.1"), token="t", profile=make_profile(extension_fields=("gireve_id",)))
    peer.ok("/x/1", None)
    request = OutgoingRequest(
        "PUT", "1", body={"id": "1"}, extensions={"gireve_id": "G-1", "other": "kept back"}, module="locations"
    )
    send(client, f"{peer.url}/x", request)
    assert body_of(peer.requests[0]) == {"id": "1", "gireve_id": "G-1"}
    assert body_for(
        client.profile, OutgoingRequest("PUT", "1", body={"gireve_id": "ours"}, extensions={"gireve_id": "G"})
    ) == {"gireve_id": "ours"}


# -- retry policy -------------------------------------------------------------------------------------------


def test_the_retry_policy_is_the_partners_else_the_platforms(settings):
    settings.PUSH_RETRY_BASE_SECONDS, settings.PUSH_RETRY_HORIZON_SECONDS = 5, 86400
    assert retry_policy(make_profile()).base_delay == 5 and retry_policy(make_profile()).horizon == 86400
    policy = retry_policy(make_profile(retry_base_delay=600, retry_horizon=3600))
    assert (policy.base_delay, policy.horizon) == (600, 3600)
    assert retry_policy(make_profile(retry_base_delay=0)).base_delay == 1


def test_a_partner_with_a_longer_base_delay_is_retried_later(cpo_tenant, peer):
    evse_status_patch(cpo_tenant, peer, "2.2.1", retry_base_delay=600)
    peer.routes[EVSE_PATH] = (503, {}, "down")

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.PENDING
    delay = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=290) < delay <= timedelta(seconds=600)


def test_a_partner_with_a_short_horizon_fails_where_the_platform_would_retry(cpo_tenant, peer):
    evse_status_patch(cpo_tenant, peer, "2.2.1", retry_horizon=1)
    peer.routes[EVSE_PATH] = (503, {}, "down")

    [delivery] = deliver_pending()

    assert delivery.status == DeliveryStatus.FAILED and delivery.last_http_status == 503
