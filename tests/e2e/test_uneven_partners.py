"""The platform against partners that deviate from the spec as real ones do (docs: FIELD-QUIRKS), over real
HTTP: a live server, a real Celery worker where pushes and command results travel, and tests/partner_sim.py
(an independent OCPI implementation) playing the partner with one quirk at a time.

Each test sets the partner's compatibility profile as an operator would for such a partner, and asserts what
both sides hold afterwards: the handshake in both directions and versions, pulls (we are the eMSP pulling
the sim CPO), pushes (we are the CPO pushing to the sim eMSP), commands and real-time authorization.
"""

from __future__ import annotations

import copy

import pytest

from partners import handshake
from partners.models import Partner, PartnerStatus
from partners.services import issue_registration_token
from roaming.models import (
    Cdr,
    Command,
    CommandStatus,
    Delivery,
    DeliveryStatus,
    Evse,
    Location,
    Session,
    SyncState,
    Token,
)
from roaming.services import chargepoint, commands, sync
from roaming.services import locations as locations_service
from roaming.services import sessions as sessions_service
from tariffs.models import Tariff
from tests.bodies import LOCATION
from tests.factories import make_tariff, make_tenant, own_location, own_token
from tests.partner_sim import PartnerSim, Quirks, parse_datetime
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VERSIONS = ["2.2.1", "2.1.1"]


@pytest.fixture
def platform(live_server, settings):
    """What partners reach: the live server's OCPI base URL."""
    settings.OCPI_BASE_URL = live_server.url
    return live_server


@pytest.fixture
def sims(platform):
    """`sims(role, version, quirks=...)`: partner simulators, stopped after the test; the test fails if one
    broke inside (its own bugs are not the platform's)."""
    made = []

    def make(role: str, version: str, **options) -> PartnerSim:
        options.setdefault("party_id", "SIM")
        sim = PartnerSim(role, version, **options)
        made.append(sim)
        return sim

    yield make
    for sim in made:
        sim.stop()
    assert [e for sim in made for e in sim.errors] == []


@pytest.fixture
def cpo():
    return make_tenant("cpo", "NL:CPO:CPO:Charge Co")


@pytest.fixture
def emsp():
    return make_tenant("emsp", "DE:EMS:EMSP:Drive Co")


def we_register(tenant, sim: PartnerSim, **profile) -> Partner:
    """The operator enters the sim's versions URL and token A (and the profile it needs); we register."""
    partner = Partner.objects.create(
        tenant=tenant, name="sim", versions_url=sim.versions_url, token_to_them=sim.issue_token_a(), **profile
    )
    result = handshake.register_with_partner(partner=partner)
    assert result.succeeded, result.error
    partner.refresh_from_db()
    return partner


def they_register(tenant, sim: PartnerSim, **profile) -> Partner:
    """We issue token A (and set the profile); the sim registers with us."""
    partner, token_a = issue_registration_token(tenant=tenant, partner_name="sim")
    Partner.objects.filter(pk=partner.pk).update(**profile)
    sim.register_with(tenant.versions_url, token_a)
    partner.refresh_from_db()
    return partner


def pull_now(partner: Partner, module: str) -> sync.PullResult:
    """A full pull of one module, run here (beat is told to leave it alone); if a worker is running it
    already, wait for that one and run another, so the result is one made with the profile as set."""
    state = SyncState.objects.get(partner=partner, module=module)
    SyncState.objects.filter(pk=state.pk).update(enabled=False)
    for _ in range(3):
        result = sync.pull(state_id=state.pk, full=True)
        if result is not None:
            return result
        wait_for(lambda: SyncState.objects.get(pk=state.pk).running_since is None, timeout=60)
    raise AssertionError(f"the {module} pull stayed claimed by another worker")


def delivered(partner: Partner) -> bool:
    return not Delivery.objects.filter(partner=partner).exclude(status=DeliveryStatus.DELIVERED).exists()


def status_reaches(sim: PartnerSim, uid: str, status: str, location_id: str = "LOC1") -> None:
    wait_for(lambda: (sim.holds("locations", location_id, uid) or {}).get("status") == status, timeout=30)


# -- handshake -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("their_role", ["CPO", "EMSP"])
def test_we_register_with_a_partner(sims, cpo, emsp, version, their_role):
    sim = sims(their_role, version)
    tenant = emsp if their_role == "CPO" else cpo
    partner = we_register(tenant, sim)

    assert (partner.status, partner.version) == (PartnerStatus.REGISTERED, version)
    assert [(p.country_code, p.party_id, p.role) for p in partner.parties.all()] == [("NL", "SIM", their_role)]
    ours = ("DE", "EMS") if their_role == "CPO" else ("NL", "CPO")
    assert sim.registered and sim.peer.parties() == {ours}
    assert sim.accepts(partner.token_to_them)
    # Each side now calls the other with what it was given.
    status, answer = sim._send("GET", tenant.versions_url)
    assert (status, answer["status_code"]) == (200, 1000)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_partner_registers_with_us(sims, emsp, version):
    sim = sims("CPO", version)
    partner = they_register(emsp, sim)
    assert (partner.status, partner.version) == (PartnerStatus.REGISTERED, version)
    assert sim.registered and sim.peer.parties() == {("DE", "EMS")}
    assert [(p.party_id, p.role) for p in partner.parties.all()] == [("SIM", "CPO")]
    # We read their versions and details back, with their token in their version's form.
    callbacks = [r for r in sim.requests if r.method == "GET"]
    assert [r.path for r in callbacks] == ["/ocpi/versions", "/ocpi/cpo/" + version]
    assert all(r.http_status == 200 for r in callbacks)


REFUSALS = {"401": set(), "403": {"http_403_for_bad_token"}, "200+3000": {"status_3000_for_wrong_token_form"}}


#: (version, the form the partner takes; None: its version's): a 2.2.1 partner taking raw tokens, a 2.1.1 one
#: taking Base64, and a plain 2.1.1 one, whose raw form is not what we try first without a version.
TOKEN_FORMS = [("2.2.1", "RAW"), ("2.1.1", "BASE64"), ("2.1.1", None)]


@pytest.mark.parametrize("refusal", REFUSALS)
@pytest.mark.parametrize(("version", "form"), TOKEN_FORMS)
def test_we_register_with_a_partner_wanting_another_token_form(sims, emsp, version, form, refusal):
    """Token A is tried in one form, refused (401, 403 or 200 + 3000), then in the other; a form that is
    not the version's is kept for every later call."""
    quirks = dict.fromkeys(REFUSALS[refusal], True) | ({"token_form": form} if form else {})
    sim = sims("CPO", version, quirks=quirks)
    sim.add_locations(3)
    partner = we_register(emsp, sim)
    assert partner.send_token_form == (form or "AUTO")
    result = pull_now(partner, "locations")
    assert (result.complete, result.objects) == (True, 3), result.error


@pytest.mark.parametrize(("version", "form"), [("2.2.1", "RAW"), ("2.1.1", "BASE64")])
def test_a_partner_wanting_the_other_token_form_registers_with_us(sims, emsp, version, form):
    """It calls us in its form, which we take; calling its versions back we find the form it takes, and keep
    it for every later call."""
    sim = sims("CPO", version, quirks={"token_form": form})
    sim.add_locations(2)
    partner = they_register(emsp, sim)
    assert partner.status == PartnerStatus.REGISTERED
    assert partner.send_token_form == form
    assert pull_now(partner, "locations").objects == 2


@pytest.mark.parametrize(("version", "loose"), [("2.1.1", "2.1"), ("2.2.1", "2.2")])
def test_a_partner_reporting_its_version_loosely(sims, emsp, version, loose):
    sim = sims("CPO", version, quirks={"loose_version"})
    partner = we_register(emsp, sim)
    assert partner.version == version
    answered = [r.answer for r in sim.requests_to("GET", "/ocpi/versions") if "data" in r.answer]
    assert answered[0]["data"][0]["version"] == loose  # after any token-form probe the partner refused


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("quirks", [{"list_for_object"}, {"nulls_for_optionals", "naive_timestamps"}])
def test_credentials_answers_as_a_list_or_with_nulls_and_naive_timestamps(sims, emsp, version, quirks):
    sim = sims("CPO", version, quirks=quirks)
    partner = we_register(emsp, sim)
    assert partner.status == PartnerStatus.REGISTERED
    assert sim.accepts(partner.token_to_them)
    assert partner.parties.get().name == "Sim Charging"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_partner_sending_nulls_and_naive_timestamps_registers_with_us(sims, emsp, version):
    sim = sims("CPO", version, quirks={"nulls_for_optionals", "naive_timestamps"})
    partner = they_register(emsp, sim)
    assert partner.status == PartnerStatus.REGISTERED
    assert partner.parties.get().website == "https://www.sim.example.com"


@pytest.mark.parametrize("version", VERSIONS)
def test_new_tokens_without_credentials_put_unregister_and_register_again(sims, emsp, version):
    sim = sims("CPO", version, quirks={"no_credentials_put"})
    partner = we_register(emsp, sim, credentials_put=False)
    old = partner.token_to_them

    result = handshake.update_with_partner(partner=partner)

    assert result.succeeded, result.error
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERED and partner.token_to_them != old
    assert sim.accepts(partner.token_to_them) and not sim.accepts(old)
    calls = [r.method for r in sim.requests if r.path.endswith("/credentials")]
    assert "PUT" not in calls and calls[-2:] == ["DELETE", "POST"]


# -- pull: we are the eMSP, the sim is the CPO -----------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_pull_takes_every_module_of_a_plain_partner(sims, emsp, version):
    sim = sims("CPO", version)
    partner = we_register(emsp, sim)
    sim.add_tariffs(3)
    sim.add_locations(12, evses=2)
    sim.add_sessions(4)
    sim.add_cdrs(5)
    for module, model, expected in (
        ("tariffs", Tariff, 3),
        ("locations", Location, 12),
        ("sessions", Session, 4),
        ("cdrs", Cdr, 5),
    ):
        result = pull_now(partner, module)
        assert (result.complete, result.objects, result.rejected) == (True, expected, 0), (module, result.error)
        assert model.objects.filter(tenant=emsp).count() == expected, module
    assert Evse.objects.filter(location__tenant=emsp).count() == 24


@pytest.mark.parametrize("version", VERSIONS)
def test_pull_takes_objects_full_of_nulls(sims, emsp, version):
    sim = sims("CPO", version, quirks={"nulls_for_optionals"})
    partner = we_register(emsp, sim)
    sim.add_tariffs(2)
    sim.add_locations(6, evses=2)
    sim.add_sessions(2)
    sim.add_cdrs(2)
    for module in ("tariffs", "locations", "sessions", "cdrs"):
        result = pull_now(partner, module)
        assert (result.complete, result.rejected) == (True, 0), (module, result.error)
    assert Location.objects.filter(tenant=emsp).count() == 6
    assert Cdr.objects.filter(tenant=emsp).count() == 2


@pytest.mark.parametrize("version", VERSIONS)
def test_pull_reads_naive_timestamps_as_utc(sims, emsp, version):
    sim = sims("CPO", version, quirks={"naive_timestamps"})
    partner = we_register(emsp, sim)
    made = sim.add_locations(4, evses=1)
    result = pull_now(partner, "locations")
    assert (result.objects, result.rejected) == (4, 0), result.error
    for wire in made:
        stored = Location.objects.get(tenant=emsp, location_id=wire["id"])
        assert stored.last_updated == parse_datetime(wire["last_updated"])


@pytest.mark.parametrize("follow_link", [True, False])
def test_pull_walks_by_offset_when_the_link_header_is_missing(sims, emsp, follow_link):
    sim = sims("CPO", "2.2.1", quirks={"no_link"})
    partner = we_register(emsp, sim, follow_link=follow_link, page_size=5)
    sim.add_locations(23, evses=1)
    result = pull_now(partner, "locations")
    assert (result.complete, result.objects, result.pages) == (True, 23, 5), result.error
    assert Location.objects.filter(tenant=emsp).count() == 23
    offsets = [r.query.get("offset", "0") for r in sim.requests_to("GET", "/locations")]
    assert offsets == ["0", "5", "10", "15", "20"]


@pytest.mark.parametrize("broken", ["offset", "url"])
@pytest.mark.parametrize("version", VERSIONS)
def test_pull_with_follow_link_off_ignores_a_broken_link(sims, emsp, version, broken):
    sim = sims("CPO", version, quirks={"broken_link": broken})
    partner = we_register(emsp, sim, follow_link=False, page_size=4)
    sim.add_locations(10, evses=1)
    result = pull_now(partner, "locations")
    assert (result.complete, result.objects) == (True, 10), result.error
    assert Location.objects.filter(tenant=emsp).count() == 10
    assert all("-v2" not in r.path for r in sim.requests)


@pytest.mark.parametrize("version", VERSIONS)
def test_pull_asks_a_capped_partner_for_its_page_size(sims, emsp, version):
    sim = sims("CPO", version, quirks={"page_caps": {"locations": 5, "cdrs": 2}, "no_link": True})
    caps = {"locations": 5, "cdrs": 2}
    partner = we_register(emsp, sim, page_size=50, page_size_caps=caps, follow_link=False)
    sim.add_locations(12, evses=1)
    sim.add_cdrs(5)
    assert pull_now(partner, "locations").objects == 12
    assert pull_now(partner, "cdrs").objects == 5
    assert {r.query["limit"] for r in sim.requests_to("GET", "/locations")} == {"5"}
    assert {r.query["limit"] for r in sim.requests_to("GET", "/cdrs")} == {"2"}
    assert Cdr.objects.filter(tenant=emsp).count() == 5


def test_pull_of_a_partner_capping_silently_still_gets_everything(sims, emsp):
    """A cap it does not announce: we ask 50, it serves 5 a page; counting what came, we walk on."""
    sim = sims("CPO", "2.2.1", quirks={"page_caps": {"locations": 5}, "no_link": True})
    partner = we_register(emsp, sim, page_size=50)
    sim.add_locations(12, evses=1)
    assert pull_now(partner, "locations").objects == 12


@pytest.mark.parametrize("version", VERSIONS)
def test_pull_matches_lower_cased_ids_to_the_objects_we_hold(sims, emsp, version):
    sim = sims("CPO", version)
    partner = we_register(emsp, sim)
    sim.add_tariffs(2)
    sim.add_locations(5, evses=2)
    pull_now(partner, "tariffs")
    pull_now(partner, "locations")

    sim.quirks.lower_case_ids = True
    sim.touch("locations", "LOC-0001", name="Renamed")
    assert pull_now(partner, "locations").rejected == 0
    assert pull_now(partner, "tariffs").rejected == 0

    assert Location.objects.filter(tenant=emsp).count() == 5
    assert Evse.objects.filter(location__tenant=emsp).count() == 10
    assert Tariff.objects.filter(tenant=emsp).count() == 2
    assert Location.objects.get(tenant=emsp, location_id__iexact="loc-0001").name == "Renamed"


def test_pull_keeps_fields_outside_the_spec_from_refusing_objects(sims, emsp):
    sim = sims("CPO", "2.1.1", quirks={"extension_fields": ("gireve_id",)})
    partner = we_register(emsp, sim, extension_fields=["gireve_id"])
    sim.add_locations(3, evses=1)
    result = pull_now(partner, "locations")
    assert (result.objects, result.rejected) == (3, 0), result.error


@pytest.mark.parametrize("version", VERSIONS)
def test_pull_from_a_partner_requiring_routing_headers(sims, emsp, version):
    sim = sims("CPO", version, quirks={"routing_headers": "required"})
    partner = we_register(emsp, sim, routing_headers="ALWAYS")
    sim.add_locations(3, evses=1)
    result = pull_now(partner, "locations")
    assert (result.complete, result.objects) == (True, 3), result.error
    [get] = sim.requests_to("GET", "/locations")
    assert (get.header("OCPI-to-party-id"), get.header("OCPI-from-party-id")) == ("SIM", "EMS")


def test_pull_from_a_partner_refusing_routing_headers(sims, emsp):
    sim = sims("CPO", "2.2.1", quirks={"routing_headers": "rejected"})
    partner = we_register(emsp, sim, routing_headers="NEVER")
    sim.add_locations(3, evses=1)
    result = pull_now(partner, "locations")
    assert (result.complete, result.objects) == (True, 3), result.error


# -- push: we are the CPO, the sim is the eMSP ------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_push_of_a_location_and_its_status_to_a_plain_partner(celery_worker, sims, cpo, version):
    sim = sims("EMSP", version, country_code="DE")
    partner = we_register(cpo, sim)
    location = own_location(cpo)
    wait_for(lambda: sim.holds("locations", "LOC1"), timeout=30)
    assert len(sim.holds("locations", "LOC1")["evses"]) == 2

    locations_service.set_evse_status(evse=location.evses.get(uid="3256"), status="BLOCKED")
    status_reaches(sim, "3256", "BLOCKED")
    assert sim.requests_to("PATCH", "/locations/NL/CPO/LOC1/3256")
    wait_for(lambda: delivered(partner), timeout=30)


@pytest.mark.parametrize("refusal", [2000, 2001])
def test_push_to_a_partner_without_patch_sends_whole_objects(celery_worker, sims, cpo, refusal):
    """put_only_modules: a change that would be a PATCH goes as a PUT of the whole location."""
    sim = sims("EMSP", "2.2.1", country_code="DE", quirks={"no_patch": {"locations": refusal}})
    partner = we_register(cpo, sim, put_only_modules=["locations"])
    location = own_location(cpo)
    wait_for(lambda: sim.holds("locations", "LOC1"), timeout=30)

    locations_service.set_evse_status(evse=location.evses.get(uid="3256"), status="OUTOFORDER")

    status_reaches(sim, "3256", "OUTOFORDER")
    assert sim.requests_to("PATCH") == []
    wait_for(lambda: delivered(partner), timeout=30)


@pytest.mark.parametrize("answer", [(405, 2001), (200, 2001)])
def test_a_patch_refused_as_invalid_is_followed_by_the_whole_object(celery_worker, sims, cpo, answer):
    """Without put_only_modules: the partner refuses the PATCH with 2001, which the lenient profile reads as
    'I cannot take this PATCH'; the PUT of the whole location follows."""
    sim = sims("EMSP", "2.2.1", country_code="DE", quirks={"no_patch": {"locations": answer}})
    partner = we_register(cpo, sim)
    location = own_location(cpo)
    wait_for(lambda: sim.holds("locations", "LOC1"), timeout=30)

    locations_service.set_evse_status(evse=location.evses.get(uid="3257"), status="BLOCKED")

    status_reaches(sim, "3257", "BLOCKED")
    puts = sim.requests_to("PUT", "/locations/NL/CPO/LOC1")
    assert len(puts) == 2 and puts[-1].http_status == 200
    wait_for(lambda: delivered(partner), timeout=30)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("unknown", [None, (200, 2001), (400, 2000)])
def test_a_patch_of_an_object_the_partner_lost_is_followed_by_the_whole_object(
    celery_worker, sims, cpo, version, unknown
):
    quirks = {"unknown_object": unknown} if unknown else {}
    sim = sims("EMSP", version, country_code="DE", quirks=quirks)
    partner = we_register(cpo, sim)
    location = own_location(cpo)
    wait_for(lambda: sim.holds("locations", "LOC1"), timeout=30)
    sim.forget("locations")

    locations_service.set_evse_status(evse=location.evses.get(uid="3256"), status="CHARGING")

    status_reaches(sim, "3256", "CHARGING")
    [refused] = sim.requests_to("PATCH", "/locations/NL/CPO/LOC1/3256")
    expected = unknown or ((404 if version == "2.2.1" else 200), 2003)
    assert (refused.http_status, refused.answer["status_code"]) == expected
    assert len(sim.holds("locations", "LOC1")["evses"]) == 2
    wait_for(lambda: delivered(partner), timeout=30)


@pytest.mark.parametrize("version", VERSIONS)
def test_push_to_a_partner_answering_200_for_created(celery_worker, sims, cpo, version):
    sim = sims("EMSP", version, country_code="DE", quirks={"ok_for_created"})
    partner = we_register(cpo, sim)
    own_location(cpo)
    wait_for(lambda: sim.holds("locations", "LOC1"), timeout=30)
    wait_for(lambda: delivered(partner), timeout=30)
    assert {r.http_status for r in sim.requests_to("PUT")} == {200}


@pytest.mark.parametrize("version", VERSIONS)
def test_push_answers_with_nulls_and_naive_timestamps_count_as_delivered(celery_worker, sims, cpo, version):
    sim = sims("EMSP", version, country_code="DE", quirks={"nulls_for_optionals", "naive_timestamps"})
    partner = we_register(cpo, sim)
    location = own_location(cpo)
    wait_for(lambda: sim.holds("locations", "LOC1"), timeout=30)
    locations_service.set_evse_status(evse=location.evses.get(uid="3256"), status="BLOCKED")
    status_reaches(sim, "3256", "BLOCKED")
    wait_for(lambda: delivered(partner), timeout=30)


@pytest.mark.parametrize("version", VERSIONS)
def test_push_to_a_partner_requiring_routing_headers(celery_worker, sims, cpo, version):
    sim = sims("EMSP", version, country_code="DE", quirks={"routing_headers": "required"})
    partner = we_register(cpo, sim, routing_headers="ALWAYS")
    location = own_location(cpo)
    wait_for(lambda: sim.holds("locations", "LOC1"), timeout=30)
    locations_service.set_evse_status(evse=location.evses.get(uid="3256"), status="BLOCKED")
    status_reaches(sim, "3256", "BLOCKED")
    for request in sim.requests_to(path="/locations/"):
        assert (request.header("OCPI-from-party-id"), request.header("OCPI-to-party-id")) == ("CPO", "SIM")
    wait_for(lambda: delivered(partner), timeout=30)


@pytest.mark.parametrize("version", VERSIONS)
def test_push_to_a_partner_requiring_optional_fields(celery_worker, sims, cpo, version):
    """It refuses a location without operator, EVSE capabilities or a connector tariff (Gireve 2.1.1); the
    profile names them and we fill them from our data: the owning party, an empty list, our one tariff."""
    tariff = "tariff_id" if version == "2.1.1" else "tariff_ids"
    required = {"locations.operator.name", "locations.evses.capabilities", f"locations.evses.connectors.{tariff}"}
    sim = sims("EMSP", version, country_code="DE", quirks={"required_fields": required})
    partner = we_register(
        cpo,
        sim,
        required_fields=["locations.operator", "locations.evses.capabilities", f"locations.evses.connectors.{tariff}"],
    )
    make_tariff(cpo, "T1", "tariff_8_simple_025kwh.json")  # the one tariff in force: it applies
    evses = copy.deepcopy(LOCATION["evses"])
    for evse in evses:
        del evse["capabilities"]
        for connector in evse["connectors"]:
            del connector["tariff_ids"]
    location = own_location(cpo, evses=evses, operator=None)

    held = wait_for(lambda: sim.holds("locations", "LOC1"), timeout=30)

    assert held["operator"]["name"] == "Charge Co"
    assert [evse["capabilities"] for evse in held["evses"]] == [[], []]
    connectors = [c for evse in held["evses"] for c in evse["connectors"]]
    assert {repr(c[tariff]) for c in connectors} == {repr("T1" if version == "2.1.1" else ["T1"])}
    location.refresh_from_db()
    assert location.operator is None  # filled on the wire only
    wait_for(lambda: delivered(partner), timeout=30)


def test_push_to_a_partner_refusing_routing_headers(celery_worker, sims, cpo):
    sim = sims("EMSP", "2.2.1", country_code="DE", quirks={"routing_headers": "rejected"})
    partner = we_register(cpo, sim, routing_headers="NEVER")
    own_location(cpo)
    wait_for(lambda: sim.holds("locations", "LOC1"), timeout=30)
    wait_for(lambda: delivered(partner), timeout=30)


def test_push_to_a_partner_keeping_its_own_last_updated(celery_worker, sims, cpo):
    """It stamps what it stores with its own time; our later changes still reach it."""
    sim = sims("EMSP", "2.2.1", country_code="DE", quirks={"own_last_updated"})
    partner = we_register(cpo, sim)
    location = own_location(cpo)
    wait_for(lambda: sim.holds("locations", "LOC1"), timeout=30)
    evse = location.evses.get(uid="3256")
    for status in ("CHARGING", "AVAILABLE", "BLOCKED"):
        locations_service.set_evse_status(evse=evse, status=status)
    status_reaches(sim, "3256", "BLOCKED")
    wait_for(lambda: delivered(partner), timeout=30)


@pytest.mark.parametrize("version", VERSIONS)
def test_sessions_to_a_partner_without_session_patch(celery_worker, sims, cpo, version):
    sim = sims("EMSP", version, country_code="DE", quirks={"no_patch": ["sessions"]})
    partner = we_register(cpo, sim, put_only_modules=["sessions"])
    own_location(cpo)
    _start_session(cpo, party=("DE", "SIM"))
    wait_for(lambda: sim.holds("sessions", "S1"), timeout=30)

    sessions_service.patch_session(
        tenant=cpo,
        partner=None,
        country_code="NL",
        party_id="CPO",
        session_id="S1",
        fields={"kwh": 7.5},
        append_periods=True,
    )

    wait_for(lambda: sim.holds("sessions", "S1")["kwh"] == 7.5, timeout=30)
    assert sim.requests_to("PATCH") == []
    wait_for(lambda: delivered(partner), timeout=30)


def _start_session(tenant, *, party: tuple[str, str]) -> None:
    from datetime import UTC, datetime

    sessions_service.put_session(
        tenant=tenant,
        partner=None,
        country_code="NL",
        party_id="CPO",
        session_id="S1",
        data={
            "start_date_time": datetime(2026, 1, 1, 10, tzinfo=UTC),
            "kwh": 0,
            "cdr_token": {
                "country_code": party[0],
                "party_id": party[1],
                "uid": "04A1B001",
                "type": "RFID",
                "contract_id": f"{party[0]}-{party[1]}-C00000001-B",
            },
            "auth_method": "WHITELIST",
            "location_id": "LOC1",
            "evse_uid": "3256",
            "connector_id": "1",
            "currency": "EUR",
            "status": "ACTIVE",
            "last_updated": datetime(2026, 1, 1, 10, tzinfo=UTC),
        },
    )


# -- commands -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "quirks", [set(), {"list_for_object"}, {"nulls_for_optionals", "naive_timestamps"}], ids=["plain", "list", "nulls"]
)
def test_our_remote_start_at_a_partner_cpo_completes_with_its_result(sims, emsp, version, quirks):
    sim = sims("CPO", version)
    partner = we_register(emsp, sim)
    sim.quirks = Quirks.of(quirks)  # from here on: the handshake has its own tests
    sim.add_locations(1)
    token = own_token(emsp)

    sent = commands.send_command(
        tenant=emsp,
        partner=partner,
        command="START_SESSION",
        request={"location_id": "LOC-0001", "evse_uid": "LOC-0001-1", "token": commands.token_request(token)},
    )

    assert (sent.status, sent.response_result) == (CommandStatus.ACCEPTED, "ACCEPTED")
    done = wait_for(lambda: Command.objects.filter(pk=sent.pk, status=CommandStatus.COMPLETED).first(), timeout=30)
    assert done.result == "ACCEPTED"
    [session] = sim.objects("sessions")
    assert session["status"] == "ACTIVE"
    [received] = sim.commands
    assert received["request"]["token"]["uid"] == token.uid


def test_our_remote_start_at_a_partner_requiring_routing_headers_in_2_1_1(sims, emsp):
    sim = sims("CPO", "2.1.1", quirks={"routing_headers": "required"})
    partner = we_register(emsp, sim, routing_headers="ALWAYS")
    sim.add_locations(1)
    sent = commands.send_command(
        tenant=emsp,
        partner=partner,
        command="START_SESSION",
        request={"location_id": "LOC-0001", "token": commands.token_request(own_token(emsp))},
    )
    assert sent.status == CommandStatus.ACCEPTED, sent.history
    wait_for(lambda: Command.objects.filter(pk=sent.pk, status=CommandStatus.COMPLETED).exists(), timeout=30)


def test_our_remote_start_at_an_unknown_location_is_rejected(sims, emsp):
    sim = sims("CPO", "2.2.1")
    partner = we_register(emsp, sim)
    sent = commands.send_command(
        tenant=emsp,
        partner=partner,
        command="START_SESSION",
        request={"location_id": "NOPE", "token": commands.token_request(own_token(emsp))},
    )
    assert sent.status != CommandStatus.ACCEPTED
    assert sim.commands and sim.objects("sessions") == []


@pytest.mark.parametrize("version", VERSIONS)
def test_a_partner_emsp_starting_a_session_with_us_gets_the_result(celery_worker, sims, cpo, settings, version):
    settings.CHARGE_POINT_SIMULATOR_DELAY_SECONDS = 0.3
    sim = sims("EMSP", version, country_code="DE")
    we_register(cpo, sim)
    own_location(cpo, evses=_startable_evses())
    [token] = sim.add_tokens(1)

    uid, status, answer = sim.send_command("START_SESSION", {"token": token, "location_id": "LOC1", "evse_uid": "3256"})

    assert (status, answer["status_code"], answer["data"]["result"]) == (200, 1000, "ACCEPTED")
    assert sim.wait_for_result(uid, timeout=60) == {"result": "ACCEPTED"}
    assert sim.requests_to("POST", f"/commands/START_SESSION/{uid}")[0].http_status == 200


def _startable_evses() -> list[dict]:
    """The spec example's EVSEs, able to start remotely (the example's are only RESERVABLE)."""
    evses = copy.deepcopy(LOCATION["evses"])
    for evse in evses:
        evse["capabilities"] = ["REMOTE_START_STOP_CAPABLE", "RFID_READER"]
    return evses


# -- real-time authorization -----------------------------------------------------------------------------------


def _present_their_token(cpo, partner: Partner):
    """We pull the partner's tokens, then one of them is presented at our EVSE 3256."""
    assert pull_now(partner, "tokens").objects == 1
    token = Token.objects.get(tenant=cpo, partner=partner)
    evse = Evse.objects.get(location__tenant=cpo, uid="3256")
    return chargepoint.token_presented(evse=evse, connector=evse.connectors.first(), token=token)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_authorization_id_a_partner_emsp_gives_comes_back_on_session_and_cdr(celery_worker, sims, cpo, version):
    """Gireve adds authorization_id to its authorization answer and refuses a session or CDR of that
    charge without it (2001); the profile lists it as an extension field to pass back."""
    sim = sims("EMSP", version, country_code="DE", quirks={"extension_fields": ("authorization_id",)})
    partner = we_register(cpo, sim, extension_fields=["authorization_id"])
    own_location(cpo)
    make_tariff(cpo, "11", "tariff_8_simple_025kwh.json")  # the tariff of EVSE 3256's connector
    sim.add_tokens(1, whitelist="NEVER")

    started = _present_their_token(cpo, partner)

    [authorization] = sim.authorizations
    given = {"authorization_id": authorization["authorization_id"]}
    assert started.session.extensions == given
    session_id = started.session.session_id
    wait_for(lambda: sim.holds("sessions", session_id), timeout=30)
    assert sim.holds("sessions", session_id)["authorization_id"] == given["authorization_id"]

    sessions_service.patch_session(
        tenant=cpo,
        partner=None,
        country_code="NL",
        party_id="CPO",
        session_id=session_id,
        fields={"status": "COMPLETED", "end_date_time": started.session.start_date_time, "kwh": 3.0},
        append_periods=True,
    )

    [cdr] = wait_for(lambda: sim.held("cdrs"), timeout=30)
    assert cdr["authorization_id"] == given["authorization_id"]
    assert Cdr.objects.get(tenant=cpo).extensions == given
    wait_for(lambda: delivered(partner), timeout=30)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "quirks", [set(), {"list_for_object"}, {"nulls_for_optionals"}], ids=["plain", "list", "nulls"]
)
def test_real_time_authorization_at_a_partner_emsp(sims, cpo, version, quirks):
    sim = sims("EMSP", version, country_code="DE")
    partner = we_register(cpo, sim)
    sim.quirks = Quirks.of(quirks)  # from here on: the handshake has its own tests
    own_location(cpo)
    sim.add_tokens(1, whitelist="NEVER")

    started = _present_their_token(cpo, partner)

    assert started.decision.allowed and started.decision.source == "eMSP", started.decision
    [authorization] = sim.authorizations
    assert authorization["location"] == {"location_id": "LOC1", "evse_uids": ["3256"]}
    session = Session.objects.get(tenant=cpo)
    assert session.auth_method == "AUTH_REQUEST"
    if version == "2.2.1":
        assert session.authorization_reference == authorization["authorization_reference"]
