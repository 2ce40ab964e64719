"""A PUT or PATCH older than what we hold is not applied, answered as success, and owes nobody anything
(decisions.md, "Stale writes"): locations, EVSEs, connectors, sessions, tokens, tariffs; pushed or pulled."""

from partners.models import PartnerEndpoint
from roaming.models import Delivery, Evse, Location, Session, Token
from roaming.services import sync
from tariffs.models import Tariff
from tests.bodies import LOCATION, SESSION, TARIFF, TOKEN
from tests.factories import auth, make_partner

NEWER, OLDER = "2026-06-01T12:00:00Z", "2026-05-01T12:00:00Z"


def send(client, method, url, body, token):
    return getattr(client, method)(url, body, content_type="application/json", **auth(token))


LOC_URL = "/ocpi/emsp/2.2.1/receiver/locations/NL/CPO/LOC1"


def test_an_older_location_put_is_answered_success_and_changes_nothing(client, cpo_partner):
    _, token = cpo_partner
    send(client, "put", LOC_URL, {**LOCATION, "name": "new", "last_updated": NEWER}, token)
    answer = send(client, "put", LOC_URL, {**LOCATION, "name": "old", "last_updated": OLDER}, token)
    assert (answer.status_code, answer.json()["status_code"]) == (200, 1000)
    assert "Not applied" in answer.json()["status_message"]
    assert Location.objects.get().name == "new"


def test_an_equal_or_newer_location_put_is_applied(client, cpo_partner):
    _, token = cpo_partner
    send(client, "put", LOC_URL, {**LOCATION, "name": "first", "last_updated": OLDER}, token)
    send(client, "put", LOC_URL, {**LOCATION, "name": "again", "last_updated": OLDER}, token)
    assert Location.objects.get().name == "again"
    send(client, "put", LOC_URL, {**LOCATION, "name": "newer", "last_updated": NEWER}, token)
    assert Location.objects.get().name == "newer"


def test_an_older_evse_status_patch_is_not_applied_and_the_location_is_not_bumped(client, cpo_partner):
    _, token = cpo_partner
    send(client, "put", LOC_URL, {**LOCATION, "last_updated": NEWER}, token)
    location = Location.objects.get()
    evse = Evse.objects.get(uid="3256")
    evse_url = f"{LOC_URL}/3256"
    send(client, "patch", evse_url, {"status": "CHARGING", "last_updated": NEWER}, token)
    revision = Location.objects.get().revision
    answer = send(client, "patch", evse_url, {"status": "BLOCKED", "last_updated": OLDER}, token)
    assert answer.json()["status_code"] == 1000 and "Not applied" in answer.json()["status_message"]
    evse.refresh_from_db()
    assert evse.status == "CHARGING"
    assert Location.objects.get(pk=location.pk).revision == revision
    newer = send(client, "patch", evse_url, {"status": "AVAILABLE", "last_updated": "2026-07-01T00:00:00Z"}, token)
    assert newer.json()["status_code"] == 1000 and "Not applied" not in (newer.json()["status_message"] or "")
    evse.refresh_from_db()
    assert evse.status == "AVAILABLE"


def test_an_older_connector_patch_is_not_applied(client, cpo_partner):
    _, token = cpo_partner
    send(client, "put", LOC_URL, {**LOCATION, "last_updated": NEWER}, token)
    url = f"{LOC_URL}/3256/1"
    send(client, "patch", url, {"max_amperage": 32, "last_updated": NEWER}, token)
    answer = send(client, "patch", url, {"max_amperage": 8, "last_updated": OLDER}, token)
    assert "Not applied" in answer.json()["status_message"]
    assert Evse.objects.get(uid="3256").connectors.get(connector_id="1").max_amperage == 32


def test_a_patch_of_an_unknown_evse_is_still_unknown(client, cpo_partner):
    _, token = cpo_partner
    send(client, "put", LOC_URL, {**LOCATION, "last_updated": NEWER}, token)
    answer = send(client, "patch", f"{LOC_URL}/NOPE", {"status": "BLOCKED", "last_updated": OLDER}, token)
    assert answer.json()["status_code"] == 2003


def test_older_session_token_and_tariff_writes_are_not_applied(client, emsp_tenant, cpo_tenant, cpo_partner):
    _, token = cpo_partner
    session_url = "/ocpi/emsp/2.2.1/receiver/sessions/NL/CPO/S1"
    send(client, "put", session_url, {**SESSION, "kwh": 9, "last_updated": NEWER}, token)
    assert (
        "Not applied"
        in send(client, "put", session_url, {**SESSION, "kwh": 1, "last_updated": OLDER}, token).json()[
            "status_message"
        ]
    )
    send(client, "patch", session_url, {"kwh": 2, "last_updated": OLDER}, token)
    assert float(Session.objects.get().kwh) == 9

    tariff_url = "/ocpi/emsp/2.2.1/receiver/tariffs/NL/CPO/T1"
    send(client, "put", tariff_url, {**TARIFF, "currency": "EUR", "last_updated": NEWER}, token)
    send(client, "put", tariff_url, {**TARIFF, "currency": "USD", "last_updated": OLDER}, token)
    assert Tariff.objects.get().currency == "EUR"

    _, emsp_token = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp")
    token_url = "/ocpi/cpo/2.2.1/receiver/tokens/DE/EMS/012345678"
    send(client, "put", token_url, {**TOKEN, "valid": True, "last_updated": NEWER}, emsp_token)
    send(client, "patch", token_url, {"valid": False, "last_updated": OLDER}, emsp_token)
    assert Token.objects.get().valid is True
    assert not Delivery.objects.exists()


def test_a_pulled_older_state_is_taken_without_writing(emsp_tenant, peer):
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="puller", token_to_them="t")
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=partner, identifier="locations", role="SENDER", url=f"{peer.url}/locations"
    )
    [state] = sync.ensure_sync_states(partner=partner)
    peer.ok("/locations", [{**LOCATION, "name": "new", "last_updated": NEWER}], headers={"X-Total-Count": "1"})
    sync.pull(state_id=state.pk, full=True)
    peer.ok("/locations", [{**LOCATION, "name": "old", "last_updated": OLDER}], headers={"X-Total-Count": "1"})
    result = sync.pull(state_id=state.pk, full=True)
    assert (result.objects, result.rejected) == (1, 0)
    assert Location.objects.get().name == "new"


def test_a_full_tariffs_pull_listing_an_older_state_does_not_remove_the_tariff(emsp_tenant, peer):
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="puller", token_to_them="t")
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=partner, identifier="tariffs", role="SENDER", url=f"{peer.url}/tariffs"
    )
    [state] = sync.ensure_sync_states(partner=partner)
    peer.ok("/tariffs", [{**TARIFF, "last_updated": NEWER}], headers={"X-Total-Count": "1"})
    sync.pull(state_id=state.pk, full=True)
    peer.ok("/tariffs", [{**TARIFF, "last_updated": OLDER}], headers={"X-Total-Count": "1"})
    assert sync.pull(state_id=state.pk, full=True).pruned == 0
    assert Tariff.objects.count() == 1
