"""The partner simulator behaves as the spec says, and each of its quirks is observable.

Plain HTTP calls against a running PartnerSim (and two sims talking to each other); no database.
"""

from __future__ import annotations

import base64
import copy
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.partner_sim import PartnerSim, Quirks, SimError, check, parse_datetime
from tests.partner_sim import Peer as Connection
from tests.peer import Peer
from tests.spec_examples import example_221, examples_211
from tests.waiting import wait_for

VERSIONS = ["2.2.1", "2.1.1"]


@pytest.fixture
def sims():
    """Make sims with `sims(role, version, **options)`; all are stopped after the test, which fails if one
    of them broke inside (PartnerSim.errors)."""
    made = []

    def make(role="CPO", version="2.2.1", **options):
        sim = PartnerSim(role, version, **options)
        made.append(sim)
        return sim

    yield make
    for sim in made:
        sim.stop()
    assert [e for sim in made for e in sim.errors] == []


def header(token: str, form: str) -> dict:
    value = base64.b64encode(token.encode()).decode() if form == "BASE64" else token
    return {"Authorization": f"Token {value}"}


def client_token(sim: PartnerSim) -> str:
    """A credentials token the sim takes from a registered partner (as if one had registered)."""
    return sim._new_token("ACCESS")


def call(sim: PartnerSim, method: str, url: str, token: str | None = None, *, form: str | None = None, **kwargs):
    """`url` absolute or below the sim's version (e.g. "locations"); the token in the sim's own form."""
    if not url.startswith("http"):
        url = sim.endpoint_url(url)
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers |= header(token, form or sim.token_form)
    return requests.request(method, url, headers=headers, timeout=10, **kwargs)


def connected(sims, version: str, cpo_quirks=None, emsp_quirks=None) -> tuple[PartnerSim, PartnerSim]:
    """A sim CPO and a sim eMSP, the eMSP registered with the CPO."""
    cpo = sims("CPO", version, party_id="CPO", quirks=cpo_quirks)
    emsp = sims("EMSP", version, country_code="DE", party_id="EMS", quirks=emsp_quirks)
    emsp.register_with(cpo.versions_url, cpo.issue_token_a())
    return cpo, emsp


# -- versions and details ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_versions_list_names_its_version_and_details_url(sims, version):
    sim = sims("CPO", version)
    body = call(sim, "GET", sim.versions_url, sim.issue_token_a()).json()
    assert body["status_code"] == 1000
    assert body["data"] == [{"version": version, "url": sim.details_url}]
    assert body["timestamp"].endswith("Z")


def test_2_2_1_details_give_each_interface_its_role(sims):
    cpo, emsp = sims("CPO"), sims("EMSP")
    roles = {
        sim.role: {
            e["identifier"]: e["role"]
            for e in call(sim, "GET", sim.details_url, sim.issue_token_a()).json()["data"]["endpoints"]
        }
        for sim in (cpo, emsp)
    }
    assert roles["CPO"] == {
        "credentials": "SENDER",
        "locations": "SENDER",
        "tariffs": "SENDER",
        "sessions": "SENDER",
        "cdrs": "SENDER",
        "tokens": "RECEIVER",
        "commands": "RECEIVER",
    }
    assert {m: r for m, r in roles["EMSP"].items() if m != "credentials"} == {
        "locations": "RECEIVER",
        "tariffs": "RECEIVER",
        "sessions": "RECEIVER",
        "cdrs": "RECEIVER",
        "tokens": "SENDER",
        "commands": "SENDER",
    }


def test_2_1_1_details_list_modules_without_roles(sims):
    sim = sims("EMSP", "2.1.1")
    details = call(sim, "GET", sim.details_url, sim.issue_token_a()).json()["data"]
    assert details["version"] == "2.1.1"
    assert all(set(e) == {"identifier", "url"} for e in details["endpoints"])
    assert {e["identifier"] for e in details["endpoints"]} == {
        "credentials",
        "locations",
        "tariffs",
        "sessions",
        "cdrs",
        "tokens",
        "commands",
    }
    assert check("2.1.1", "VersionDetails", details) == []


@pytest.mark.parametrize(("version", "loose"), [("2.1.1", "2.1"), ("2.2.1", "2.2")])
def test_loose_version_reports_the_short_version_string(sims, version, loose):
    sim = sims("CPO", version, quirks={"loose_version"})
    token = sim.issue_token_a()
    assert call(sim, "GET", sim.versions_url, token).json()["data"][0] == {"version": loose, "url": sim.details_url}
    assert call(sim, "GET", sim.details_url, token).json()["data"]["version"] == loose


# -- token checks ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "right", "wrong"), [("2.2.1", "BASE64", "RAW"), ("2.1.1", "RAW", "BASE64")])
def test_takes_the_token_in_its_versions_form_only(sims, version, right, wrong):
    sim = sims("CPO", version)
    token = sim.issue_token_a()
    assert call(sim, "GET", sim.versions_url, token, form=right).status_code == 200
    refused = call(sim, "GET", sim.versions_url, token, form=wrong)
    assert refused.status_code == 401
    assert "Base64" in refused.json()["status_message"]


@pytest.mark.parametrize("version", VERSIONS)
def test_missing_or_unknown_token_is_401(sims, version):
    sim = sims("CPO", version)
    assert call(sim, "GET", sim.versions_url).status_code == 401
    assert call(sim, "GET", sim.versions_url, "not-a-token").status_code == 401
    assert call(sim, "GET", sim.versions_url, headers={"Authorization": "Bearer x"}).status_code == 401


def test_token_a_opens_versions_and_credentials_only(sims):
    sim = sims("CPO")
    sim.add_locations(1)
    token_a = sim.issue_token_a()
    assert call(sim, "GET", sim.details_url, token_a).status_code == 200
    assert call(sim, "GET", "credentials", token_a).status_code == 200
    refused = call(sim, "GET", "locations", token_a)
    assert refused.status_code == 401
    assert call(sim, "GET", "locations", client_token(sim)).status_code == 200


def test_http_403_for_bad_token(sims):
    sim = sims("CPO", quirks={"http_403_for_bad_token"})
    assert call(sim, "GET", sim.versions_url, "unknown").status_code == 403
    assert call(sim, "GET", "locations", sim.issue_token_a()).status_code == 403


def test_status_3000_for_the_wrong_token_form_on_versions_and_details_only(sims):
    sim = sims("CPO", quirks={"status_3000_for_wrong_token_form"})
    token = client_token(sim)
    for url in (sim.versions_url, sim.details_url):
        answer = call(sim, "GET", url, token, form="RAW")
        assert (answer.status_code, answer.json()["status_code"]) == (200, 3000)
        assert "data" not in answer.json()
    assert call(sim, "GET", "locations", token, form="RAW").status_code == 401
    assert call(sim, "GET", sim.versions_url, "unknown", form="RAW").status_code == 401


@pytest.mark.parametrize(("version", "form"), [("2.1.1", "BASE64"), ("2.2.1", "RAW")])
def test_token_form_quirk_overrides_the_version(sims, version, form):
    sim = sims("CPO", version, quirks={"token_form": form})
    token = sim.issue_token_a()
    assert sim.token_form == form
    assert call(sim, "GET", sim.versions_url, token, form=form).status_code == 200
    other = "RAW" if form == "BASE64" else "BASE64"
    assert call(sim, "GET", sim.versions_url, token, form=other).status_code == 401


def test_quirk_needing_a_value_or_unknown_is_refused():
    with pytest.raises(ValueError, match="needs a value"):
        Quirks.of({"page_caps"})
    with pytest.raises(ValueError, match="no quirk named"):
        Quirks.of({"no_such_thing"})
    assert Quirks.of({"no_patch": {"sessions": 2001}}).no_patch == {"sessions": (405, 2001)}
    assert Quirks.of({"no_patch"}).no_patch["tokens"] == (405, 2000)


# -- credentials: two sims registering with each other ------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_registration_exchanges_tokens_and_kills_token_a(sims, version):
    cpo = sims("CPO", version, party_id="CPO")
    emsp = sims("EMSP", version, country_code="DE", party_id="EMS")
    token_a = cpo.issue_token_a()

    theirs = emsp.register_with(cpo.versions_url, token_a)

    assert cpo.registered and emsp.registered
    assert emsp.peer.token == theirs["token"] and cpo.accepts(theirs["token"])
    assert emsp.accepts(cpo.peer.token)  # token B, which the CPO read the eMSP's versions back with
    assert not cpo.accepts(token_a)
    assert call(cpo, "GET", cpo.versions_url, token_a).status_code == 401
    assert cpo.peer.parties() == {("DE", "EMS")} and emsp.peer.parties() == {("NL", "CPO")}
    # The CPO called the eMSP's versions and details back with token B before answering.
    back = [s.url for s in cpo.sent]
    assert back == [emsp.versions_url, emsp.details_url]
    post = cpo.requests_to("POST", "/credentials")[0]
    assert check(version, "Credentials", post.body) == []


def test_registration_twice_is_405(sims):
    cpo, emsp = connected(sims, "2.2.1")
    answer = call(cpo, "POST", "credentials", emsp.peer.token, json=emsp._own_credentials("x"))
    assert answer.status_code == 405


def test_registration_with_an_unreachable_versions_url_is_3001(sims):
    cpo = sims("CPO")
    body = {
        "token": "b",
        "url": "http://127.0.0.1:9/versions",
        "roles": [{"role": "EMSP", "party_id": "EMS", "country_code": "DE", "business_details": {"name": "x"}}],
    }
    answer = call(cpo, "POST", "credentials", cpo.issue_token_a(), json=body)
    assert (answer.status_code, answer.json()["status_code"]) == (200, 3001)
    assert not cpo.registered


def test_registration_with_invalid_credentials_is_2001_naming_the_field(sims):
    cpo = sims("CPO")
    answer = call(cpo, "POST", "credentials", cpo.issue_token_a(), json={"token": "b", "url": "http://x/versions"})
    assert answer.json()["status_code"] == 2001
    assert "roles is required" in answer.json()["status_message"]


@pytest.mark.parametrize("version", VERSIONS)
def test_credentials_put_rotates_the_token(sims, version):
    cpo, emsp = connected(sims, version)
    old = emsp.peer.token
    answer = call(cpo, "PUT", "credentials", old, json=emsp._own_credentials(client_token(emsp)))
    assert answer.status_code == 200
    new = answer.json()["data"]["token"]
    assert new != old and cpo.accepts(new) and not cpo.accepts(old)


def test_credentials_delete_unregisters(sims):
    cpo, emsp = connected(sims, "2.2.1")
    assert call(cpo, "DELETE", "credentials", emsp.peer.token).json()["status_code"] == 1000
    assert not cpo.registered
    assert call(cpo, "GET", "credentials", emsp.peer.token).status_code == 401


def test_no_credentials_put_is_405_3000_and_the_used_token_registers_again(sims):
    cpo, emsp = connected(sims, "2.2.1", cpo_quirks={"no_credentials_put"})
    token = emsp.peer.token
    refused = call(cpo, "PUT", "credentials", token, json=emsp._own_credentials("x"))
    assert (refused.status_code, refused.json()["status_code"]) == (405, 3000)
    assert call(cpo, "DELETE", "credentials", token).status_code == 200
    emsp.register_with(cpo.versions_url, token)  # the old token, now a token A
    assert cpo.registered and emsp.peer.token != token


@pytest.mark.parametrize("version", VERSIONS)
def test_list_for_object_answers_credentials_as_a_one_element_list(sims, version):
    cpo = sims("CPO", version, quirks={"list_for_object"})
    data = call(cpo, "GET", "credentials", cpo.issue_token_a()).json()["data"]
    assert isinstance(data, list) and len(data) == 1 and data[0]["url"] == cpo.versions_url


def test_register_with_fails_clearly_without_the_version(sims):
    cpo = sims("CPO", "2.2.1")
    emsp = sims("EMSP", "2.1.1", quirks={"token_form": "BASE64"})  # the CPO reads only Base64
    with pytest.raises(SimError, match="offers no OCPI 2.1.1"):
        emsp.register_with(cpo.versions_url, cpo.issue_token_a())


def test_nulls_in_the_credentials_it_sends(sims):
    cpo = sims("CPO")
    emsp = sims("EMSP", country_code="DE", party_id="EMS", quirks={"nulls_for_optionals"})
    emsp.register_with(cpo.versions_url, cpo.issue_token_a())
    sent = cpo.requests_to("POST", "/credentials")[0].body
    assert sent["roles"][0]["business_details"]["logo"] is None


# -- sender lists: pagination ----------------------------------------------------------------------------


def pages(sim: PartnerSim, module: str, token: str, **params) -> list[requests.Response]:
    """Every page of a list, following Link."""
    answers = [call(sim, "GET", module, token, params=params)]
    while "Link" in answers[-1].headers:
        link = answers[-1].headers["Link"]
        assert link.endswith('>; rel="next"')
        answers.append(call(sim, "GET", link[1 : link.index(">")], token))
        assert len(answers) < 50
    return answers


@pytest.mark.parametrize("version", VERSIONS)
def test_pages_follow_link_with_counts_and_limits(sims, version):
    sim = sims("CPO", version)
    sim.add_locations(23, evses=1, connectors=1)
    answers = pages(sim, "locations", client_token(sim), limit=10)
    assert [len(a.json()["data"]) for a in answers] == [10, 10, 3]
    assert {a.headers["X-Total-Count"] for a in answers} == {"23"}
    assert {a.headers["X-Limit"] for a in answers} == {"10"}
    ids = [loc["id"] for a in answers for loc in a.json()["data"]]
    assert ids == [loc["id"] for loc in sim.objects("locations")]
    assert all(check(version, "Location", loc) == [] for a in answers for loc in a.json()["data"])


def test_link_keeps_the_filters_of_the_request(sims):
    sim = sims("CPO")
    made = sim.add_locations(6, evses=1)
    date_from = made[1]["last_updated"]
    answer = call(sim, "GET", "locations", client_token(sim), params={"limit": 2, "date_from": date_from})
    link = answer.headers["Link"]
    query = parse_qs(urlsplit(link[1 : link.index(">")]).query)
    assert query == {"date_from": [date_from], "offset": ["2"], "limit": ["2"]}


def test_date_from_is_inclusive_and_date_to_exclusive(sims):
    sim = sims("CPO")
    made = sim.add_tariffs(5)
    params = {"date_from": made[1]["last_updated"], "date_to": made[3]["last_updated"]}
    answer = call(sim, "GET", "tariffs", client_token(sim), params=params)
    assert [t["id"] for t in answer.json()["data"]] == [made[1]["id"], made[2]["id"]]
    assert answer.headers["X-Total-Count"] == "2"


def test_a_zoneless_date_filter_is_utc(sims):
    sim = sims("CPO")
    made = sim.add_tariffs(3)
    answer = call(sim, "GET", "tariffs", client_token(sim), params={"date_from": made[2]["last_updated"][:-1]})
    assert [t["id"] for t in answer.json()["data"]] == [made[2]["id"]]


def test_the_server_limit_wins_over_a_larger_limit(sims):
    sim = sims("CPO", max_page_size=4)
    sim.add_tariffs(9)
    answer = call(sim, "GET", "tariffs", client_token(sim), params={"limit": 100})
    assert (len(answer.json()["data"]), answer.headers["X-Limit"]) == (4, "4")
    assert "offset=4&limit=4" in answer.headers["Link"]


def test_bad_pagination_parameters_are_2001(sims):
    sim = sims("CPO")
    token = client_token(sim)
    for params in ({"offset": "-1"}, {"limit": "zero"}, {"date_from": "yesterday"}):
        assert call(sim, "GET", "tariffs", token, params=params).json()["status_code"] == 2001


@pytest.mark.parametrize("version", VERSIONS)
def test_sessions_list_requires_date_from(sims, version):
    sim = sims("CPO", version)
    sim.add_sessions(2)
    token = client_token(sim)
    refused = call(sim, "GET", "sessions", token).json()
    assert (refused["status_code"], refused["status_message"]) == (2001, "date_from is required for a list of sessions")
    listed = call(sim, "GET", "sessions", token, params={"date_from": "2000-01-01T00:00:00Z"}).json()["data"]
    assert len(listed) == 2 and all(check(version, "Session", s) == [] for s in listed)


def test_emsp_serves_its_tokens(sims):
    sim = sims("EMSP", "2.1.1")
    made = sim.add_tokens(3)
    data = call(sim, "GET", "tokens", client_token(sim)).json()["data"]
    assert [t["uid"] for t in data] == [t["uid"] for t in made] and "auth_id" in data[0]


def test_no_link_leaves_the_header_out_but_counts(sims):
    sim = sims("CPO", quirks={"no_link"})
    sim.add_tariffs(7)
    answer = call(sim, "GET", "tariffs", client_token(sim), params={"limit": 3})
    assert "Link" not in answer.headers
    assert (len(answer.json()["data"]), answer.headers["X-Total-Count"]) == (3, "7")
    walked = call(sim, "GET", "tariffs", client_token(sim), params={"limit": 3, "offset": 6}).json()["data"]
    assert [t["id"] for t in walked] == ["TARIFF-007"]


def test_broken_link_offset_skips_a_page(sims):
    sim = sims("CPO", quirks={"broken_link": "offset"})
    sim.add_tariffs(9)
    answers = pages(sim, "tariffs", client_token(sim), limit=3)
    assert [t["id"] for a in answers for t in a.json()["data"]] == [f"TARIFF-00{i}" for i in (1, 2, 3, 7, 8, 9)]


def test_broken_link_url_points_nowhere(sims):
    sim = sims("CPO", quirks={"broken_link": "url"})
    sim.add_tariffs(4)
    token = client_token(sim)
    link = call(sim, "GET", "tariffs", token, params={"limit": 2}).headers["Link"]
    assert call(sim, "GET", link[1 : link.index(">")], token).status_code == 404


def test_page_caps_serve_at_most_n_whatever_limit_asks(sims):
    sim = sims("CPO", quirks={"page_caps": {"cdrs": 2}})
    sim.add_cdrs(5)
    sim.add_tariffs(5)
    token = client_token(sim)
    capped = call(sim, "GET", "cdrs", token, params={"limit": 4})
    assert (len(capped.json()["data"]), capped.headers["X-Limit"]) == (2, "2")
    assert "offset=2&limit=2" in capped.headers["Link"]
    assert len(call(sim, "GET", "tariffs", token, params={"limit": 4}).json()["data"]) == 4
    assert [len(a.json()["data"]) for a in pages(sim, "cdrs", token)] == [2, 2, 1]


# -- single objects of the locations sender ------------------------------------------------------------


def test_gets_one_location_evse_or_connector(sims):
    sim = sims("CPO")
    [location] = sim.add_locations(1, evses=2, connectors=2)
    token = client_token(sim)
    evse = location["evses"][1]
    assert call(sim, "GET", f"locations/{location['id']}", token).json()["data"]["id"] == location["id"]
    assert call(sim, "GET", f"locations/{location['id']}/{evse['uid']}", token).json()["data"] == evse
    connector = call(sim, "GET", f"locations/{location['id'].lower()}/{evse['uid']}/2", token).json()["data"]
    assert connector == evse["connectors"][1]


@pytest.mark.parametrize(("version", "http"), [("2.2.1", 404), ("2.1.1", 200)])
def test_unknown_object_is_2003(sims, version, http):
    sim = sims("CPO", version)
    sim.add_locations(1)
    answer = call(sim, "GET", "locations/NOPE", client_token(sim))
    assert (answer.status_code, answer.json()["status_code"]) == (http, 2003)


# -- what it serves, with quirks ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_nulls_for_optionals_fills_every_absent_optional_field(sims, version):
    sim = sims("CPO", version, quirks={"nulls_for_optionals"})
    sim.add_locations(1, evses=1, connectors=1)
    body = call(sim, "GET", "locations", client_token(sim)).json()
    location = body["data"][0]
    assert location["suboperator"] is None and location["owner"] is None and location["images"] is None
    assert location["evses"][0]["floor_level"] is None
    assert location["evses"][0]["connectors"][0]["terms_and_conditions"] is None
    assert location["operator"]["logo"] is None
    assert body["status_message"] is None
    assert location["address"]  # required ones keep their values
    error = call(sim, "GET", "locations/NOPE", client_token(sim)).json()
    assert "data" in error and error["data"] is None


def test_naive_timestamps_everywhere(sims):
    sim = sims("CPO", quirks={"naive_timestamps"})
    [made] = sim.add_locations(1, evses=1)
    body = call(sim, "GET", "locations", client_token(sim)).json()
    location = body["data"][0]
    assert location["last_updated"] == made["last_updated"][:-1]
    assert not location["evses"][0]["last_updated"].endswith("Z")
    assert not body["timestamp"].endswith("Z")
    assert parse_datetime(location["last_updated"]) == parse_datetime(made["last_updated"])


def test_lower_case_ids_in_what_it_serves_only(sims):
    sim = sims("CPO", quirks={"lower_case_ids"})
    sim.add_tariffs(1)
    [made] = sim.add_locations(1, evses=1)
    token = client_token(sim)
    served = call(sim, "GET", "locations", token).json()["data"][0]
    assert served["id"] == made["id"].lower() == "loc-0001"
    assert served["evses"][0]["uid"] == made["evses"][0]["uid"].lower()
    assert served["evses"][0]["connectors"][0]["tariff_ids"] == ["tariff-001"]
    assert sim.objects("locations")[0]["id"] == "LOC-0001"
    assert call(sim, "GET", "locations/loc-0001", token).json()["data"]["id"] == "loc-0001"


def test_extension_fields_on_served_objects(sims):
    sim = sims("CPO", quirks={"extension_fields": ("gireve_id",)})
    sim.add_locations(1)
    sim.add_tariffs(1)
    token = client_token(sim)
    assert call(sim, "GET", "locations", token).json()["data"][0]["gireve_id"] == "GIREVE_ID-LOC-0001"
    assert call(sim, "GET", "tariffs", token).json()["data"][0]["gireve_id"] == "GIREVE_ID-TARIFF-001"


# -- receivers (eMSP) ------------------------------------------------------------------------------------------


def own_location(version: str, location_id: str = "LOC1", evses: int = 2) -> dict:
    """A location a CPO 'NL/CPO' would push, built by another sim (valid for the version)."""
    maker = PartnerSim("CPO", version, party_id="CPO")
    try:
        location = maker.add_locations(1, evses=evses)[0]
    finally:
        maker.stop()
    location["id"] = location_id
    return location


@pytest.fixture
def emsp_receiver(sims):
    """A registered-looking 2.2.1 eMSP sim and the token to push to it with."""

    def make(version="2.2.1", **options):
        sim = sims("EMSP", version, country_code="DE", party_id="EMS", **options)
        return sim, client_token(sim)

    return make


@pytest.mark.parametrize("version", VERSIONS)
def test_put_location_is_stored_201_then_200(emsp_receiver, version):
    sim, token = emsp_receiver(version)
    location = own_location(version)
    first = call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=location)
    assert (first.status_code, first.json()["status_code"]) == (201, 1000)
    assert "data" not in first.json()
    assert sim.holds("locations", "LOC1") == location
    location["name"] = "Renamed"
    assert call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=location).status_code == 200
    assert sim.holds("locations", "loc1")["name"] == "Renamed"
    assert call(sim, "GET", "locations/NL/CPO/LOC1", token).json()["data"] == location


def test_ok_for_created_answers_200(emsp_receiver):
    sim, token = emsp_receiver(quirks={"ok_for_created"})
    assert call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=own_location("2.2.1")).status_code == 200
    assert sim.holds("locations", "LOC1") is not None


@pytest.mark.parametrize("version", VERSIONS)
def test_invalid_location_is_2001_naming_the_field_and_nothing_is_stored(emsp_receiver, version):
    sim, token = emsp_receiver(version)
    location = own_location(version)
    del location["evses"][1]["connectors"][0]["standard"]
    location["coordinates"]["latitude"] = "52.1"
    answer = call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=location).json()
    assert answer["status_code"] == 2001
    assert "evses[1].connectors[0].standard is required" in answer["status_message"]
    assert "coordinates.latitude: '52.1' is not a Latitude" in answer["status_message"]
    assert sim.held("locations") == []


def test_put_with_another_id_or_owner_than_the_url_is_2001(emsp_receiver):
    sim, token = emsp_receiver()
    location = own_location("2.2.1")
    assert "differs from the URL" in call(sim, "PUT", "locations/NL/CPO/LOC2", token, json=location).text
    assert "differ from the URL" in call(sim, "PUT", "locations/NL/CPX/LOC1", token, json=location).text


@pytest.mark.parametrize("status", [400, 422])
def test_http_status_for_invalid(emsp_receiver, status):
    sim, token = emsp_receiver(quirks={"http_status_for_invalid": status})
    answer = call(sim, "PUT", "locations/NL/CPO/LOC1", token, json={"id": "LOC1"})
    assert (answer.status_code, answer.json()["status_code"]) == (status, 2001)


def test_not_json_is_400(emsp_receiver):
    sim, token = emsp_receiver()
    answer = call(sim, "PUT", "locations/NL/CPO/LOC1", token, data=b"{nope", headers={"Content-Type": "x"})
    assert (answer.status_code, answer.json()["status_code"]) == (400, 2001)


@pytest.mark.parametrize("version", VERSIONS)
def test_patch_of_an_evse_merges_and_bumps_the_location(emsp_receiver, version):
    sim, token = emsp_receiver(version)
    location = own_location(version)
    call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=location)
    uid = location["evses"][0]["uid"]
    stamp = "2030-01-01T00:00:00Z"
    answer = call(
        sim, "PATCH", f"locations/NL/CPO/LOC1/{uid}", token, json={"status": "BLOCKED", "last_updated": stamp}
    )
    assert answer.json()["status_code"] == 1000
    held = sim.holds("locations", "LOC1")
    assert held["evses"][0]["status"] == "BLOCKED"
    assert held["evses"][0]["connectors"] == location["evses"][0]["connectors"]  # untouched
    assert held["evses"][0]["last_updated"] == held["last_updated"] == stamp
    assert held["evses"][1] == location["evses"][1]


def test_patch_of_a_connector_bumps_evse_and_location(emsp_receiver):
    sim, token = emsp_receiver()
    location = own_location("2.2.1")
    call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=location)
    uid = location["evses"][0]["uid"]
    patch = {"tariff_ids": ["T9"], "last_updated": "2030-01-01T00:00:00Z"}
    call(sim, "PATCH", f"locations/NL/CPO/LOC1/{uid}/1", token, json=patch)
    held = sim.holds("locations", "LOC1")
    assert held["evses"][0]["connectors"][0]["tariff_ids"] == ["T9"]
    assert held["evses"][0]["last_updated"] == held["last_updated"] == "2030-01-01T00:00:00Z"


def test_patch_of_a_location_merges_the_evses_it_lists_by_uid(emsp_receiver):
    sim, token = emsp_receiver()
    location = own_location("2.2.1")
    call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=location)
    second = location["evses"][1]["uid"]
    patch = {
        "name": "New name",
        "evses": [{"uid": second, "status": "REMOVED"}],
        "last_updated": location["last_updated"],
    }
    call(sim, "PATCH", "locations/NL/CPO/LOC1", token, json=patch)
    held = sim.holds("locations", "LOC1")
    assert held["name"] == "New name"
    assert [e["status"] for e in held["evses"]] == [location["evses"][0]["status"], "REMOVED"]
    assert held["evses"][1]["connectors"] == location["evses"][1]["connectors"]


@pytest.mark.parametrize(("version", "http"), [("2.2.1", 404), ("2.1.1", 200)])
def test_patch_of_an_evse_of_a_location_it_does_not_hold_is_refused(emsp_receiver, version, http):
    sim, token = emsp_receiver(version)
    answer = call(
        sim,
        "PATCH",
        "locations/NL/CPO/LOC1/E1",
        token,
        json={"status": "BLOCKED", "last_updated": "2030-01-01T00:00:00Z"},
    )
    assert (answer.status_code, answer.json()["status_code"]) == (http, 2003)
    assert sim.held("locations") == []


def test_patch_of_an_unknown_evse_of_a_known_location_is_refused(emsp_receiver):
    sim, token = emsp_receiver()
    call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=own_location("2.2.1"))
    answer = call(
        sim,
        "PATCH",
        "locations/NL/CPO/LOC1/NOPE",
        token,
        json={"status": "BLOCKED", "last_updated": "2030-01-01T00:00:00Z"},
    )
    assert answer.json()["status_code"] == 2003


def test_unknown_object_quirk_changes_the_answer(emsp_receiver):
    sim, token = emsp_receiver(quirks={"unknown_object": (400, 2000)})
    answer = call(
        sim, "PATCH", "locations/NL/CPO/LOC1", token, json={"name": "x", "last_updated": "2030-01-01T00:00:00Z"}
    )
    assert (answer.status_code, answer.json()["status_code"]) == (400, 2000)


def test_2_2_1_patch_without_last_updated_is_2001(emsp_receiver):
    sim, token = emsp_receiver()
    call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=own_location("2.2.1"))
    answer = call(sim, "PATCH", "locations/NL/CPO/LOC1", token, json={"name": "x"}).json()
    assert (answer["status_code"], answer["status_message"]) == (2001, "last_updated is required in a PATCH")


def test_2_1_1_patch_needs_no_last_updated(emsp_receiver):
    sim, token = emsp_receiver("2.1.1")
    call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=own_location("2.1.1"))
    assert call(sim, "PATCH", "locations/NL/CPO/LOC1", token, json={"name": "x"}).json()["status_code"] == 1000


def test_put_of_an_evse_adds_it_and_bumps_the_location(emsp_receiver):
    sim, token = emsp_receiver()
    location = own_location("2.2.1", evses=1)
    call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=location)
    evse = {**own_location("2.2.1", evses=1)["evses"][0], "uid": "NEW", "last_updated": "2030-01-01T00:00:00Z"}
    assert call(sim, "PUT", "locations/NL/CPO/LOC1/NEW", token, json=evse).status_code == 201
    held = sim.holds("locations", "LOC1")
    assert [e["uid"] for e in held["evses"]] == [location["evses"][0]["uid"], "NEW"]
    assert held["last_updated"] == "2030-01-01T00:00:00Z"
    assert sim.holds("locations", "LOC1", "new") == evse


@pytest.mark.parametrize(("refusal", "expected"), [(2000, (405, 2000)), ((200, 2001), (200, 2001))])
def test_no_patch_per_module(emsp_receiver, refusal, expected):
    sim, token = emsp_receiver(quirks={"no_patch": {"locations": refusal}})
    location = own_location("2.2.1")
    call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=location)
    uid = location["evses"][0]["uid"]
    answer = call(
        sim,
        "PATCH",
        f"locations/NL/CPO/LOC1/{uid}",
        token,
        json={"status": "BLOCKED", "last_updated": "2030-01-01T00:00:00Z"},
    )
    assert (answer.status_code, answer.json()["status_code"]) == expected
    assert sim.holds("locations", "LOC1") == location


def test_required_fields_refuse_a_location_without_them(emsp_receiver):
    required = {"locations.operator.name", "locations.evses.capabilities", "locations.evses.connectors.tariff_ids"}
    sim, token = emsp_receiver(quirks={"required_fields": required})
    location = own_location("2.2.1")
    del location["operator"]
    del location["evses"][1]["capabilities"]
    for evse in location["evses"]:
        for connector in evse["connectors"]:
            connector.pop("tariff_ids", None)
    location["evses"][0]["connectors"][0]["tariff_ids"] = []
    message = call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=location).json()["status_message"]
    assert "operator is required by this partner" in message
    assert "evses[1].capabilities is required by this partner" in message
    assert "evses[0].connectors[1].tariff_ids is required by this partner" in message
    assert "evses[0].connectors[0].tariff_ids" not in message  # an empty list is there
    assert sim.held("locations") == []
    # An EVSE PUT is held to the paths below the EVSE.
    complete = own_location("2.2.1")
    for evse in complete["evses"]:
        for connector in evse["connectors"]:
            connector["tariff_ids"] = []
    assert call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=complete).status_code == 201
    evse = copy.deepcopy(complete["evses"][0])
    del evse["capabilities"]
    assert "capabilities is required" in call(sim, "PUT", f"locations/NL/CPO/LOC1/{evse['uid']}", token, json=evse).text


def test_own_last_updated_replaces_the_sent_one(emsp_receiver):
    sim, token = emsp_receiver(quirks={"own_last_updated"})
    location = own_location("2.2.1")
    before = parse_datetime(location["last_updated"])
    call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=location)
    held = call(sim, "GET", "locations/NL/CPO/LOC1", token).json()["data"]
    assert parse_datetime(held["last_updated"]) > before + timedelta(hours=1)
    assert held["evses"][0]["last_updated"] == held["last_updated"]


def test_a_push_under_a_party_not_of_the_connection_is_404(sims):
    cpo, emsp = connected(sims, "2.2.1")
    location = own_location("2.2.1")
    answer = call(emsp, "PUT", "locations/NL/XXX/LOC1", cpo.peer.token, json={**location, "party_id": "XXX"})
    assert answer.status_code == 404
    assert call(emsp, "PUT", "locations/NL/CPO/LOC1", cpo.peer.token, json=location).status_code == 201


@pytest.mark.parametrize("version", VERSIONS)
def test_tariffs_put_and_delete(emsp_receiver, version):
    sim, token = emsp_receiver(version)
    maker = PartnerSim("CPO", version, party_id="CPO")
    [tariff] = maker.add_tariffs(1)
    maker.stop()
    assert call(sim, "PUT", f"tariffs/NL/CPO/{tariff['id']}", token, json=tariff).status_code == 201
    assert sim.holds("tariffs", tariff["id"]) == tariff
    assert call(sim, "DELETE", f"tariffs/NL/CPO/{tariff['id']}", token).json()["status_code"] == 1000
    assert sim.held("tariffs") == []


def test_2_2_1_tariffs_take_no_patch(emsp_receiver):
    sim, token = emsp_receiver()
    assert call(sim, "PATCH", "tariffs/NL/CPO/T1", token, json={"currency": "EUR"}).status_code == 405


def session_of(version: str) -> dict:
    maker = PartnerSim("CPO", version, party_id="CPO")
    try:
        return maker.add_sessions(1, status="ACTIVE")[0]
    finally:
        maker.stop()


@pytest.mark.parametrize(("version", "kept"), [("2.2.1", 2), ("2.1.1", 1)])
def test_session_patch_appends_periods_in_2_2_1_and_replaces_them_in_2_1_1(emsp_receiver, version, kept):
    sim, token = emsp_receiver(version)
    session = session_of(version)
    call(sim, "PUT", f"sessions/NL/CPO/{session['id']}", token, json=session)
    period = {"start_date_time": "2030-01-01T00:00:00Z", "dimensions": [{"type": "ENERGY", "volume": 1.5}]}
    patch = {"kwh": 9.5, "charging_periods": [period], "last_updated": "2030-01-01T00:00:00Z"}
    assert call(sim, "PATCH", f"sessions/NL/CPO/{session['id']}", token, json=patch).json()["status_code"] == 1000
    held = sim.holds("sessions", session["id"])
    assert held["kwh"] == 9.5
    assert len(held["charging_periods"]) == kept and held["charging_periods"][-1] == period


@pytest.mark.parametrize("version", VERSIONS)
def test_cdr_post_is_stored_and_answered_with_its_location(sims, version):
    cpo, emsp = connected(sims, version)
    [cdr] = cpo.add_cdrs(1)
    answer = call(emsp, "POST", "cdrs", cpo.peer.token, json=cdr)
    assert answer.status_code == 201
    assert answer.headers["Location"] == f"{emsp.endpoint_url('cdrs')}/NL/CPO/{cdr['id']}"
    assert call(emsp, "GET", answer.headers["Location"], cpo.peer.token).json()["data"] == cdr


@pytest.mark.parametrize("version", VERSIONS)
def test_tokens_receiver_put_and_patch(sims, version):
    cpo, emsp = connected(sims, version)
    [token] = emsp.add_tokens(1)
    path = f"tokens/DE/EMS/{token['uid']}"
    params = {"type": "RFID"} if version == "2.2.1" else {}
    assert call(cpo, "PUT", path, emsp.peer.token, json=token, params=params).status_code == 201
    patch = {"valid": False, "last_updated": "2030-01-01T00:00:00Z"}
    assert call(cpo, "PATCH", path, emsp.peer.token, json=patch, params=params).json()["status_code"] == 1000
    held = cpo.holds("tokens", token["uid"])
    assert (held["valid"], held["whitelist"]) == (False, token["whitelist"])


def test_2_2_1_token_put_of_another_type_than_the_url_is_2001(sims):
    cpo, emsp = connected(sims, "2.2.1")
    [token] = emsp.add_tokens(1)
    answer = call(cpo, "PUT", f"tokens/DE/EMS/{token['uid']}", emsp.peer.token, json=token, params={"type": "APP_USER"})
    assert answer.json()["status_code"] == 2001


# -- authorization (eMSP) -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_authorize_answers_for_its_tokens(sims, version):
    cpo, emsp = connected(sims, version)
    [valid, blocked] = emsp.add_tokens(1) + emsp.add_tokens(1, valid=False)
    refs = {"location_id": "LOC-0001", "evse_uids": ["LOC-0001-1"]}
    info = call(emsp, "POST", f"tokens/{valid['uid']}/authorize", cpo.peer.token, json=refs).json()["data"]
    assert info["allowed"] == "ALLOWED" and info["location"] == refs
    assert check(version, "AuthorizationInfo", info) == []
    if version == "2.2.1":
        assert info["token"] == valid and info["authorization_reference"]
    other = call(emsp, "POST", f"tokens/{blocked['uid']}/authorize", cpo.peer.token).json()["data"]
    assert other["allowed"] == "BLOCKED"


@pytest.mark.parametrize(("version", "code"), [("2.2.1", 2004), ("2.1.1", 2000)])
def test_authorize_of_an_unknown_token_is_404(sims, version, code):
    emsp = sims("EMSP", version)
    answer = call(emsp, "POST", "tokens/NOPE/authorize", client_token(emsp))
    assert (answer.status_code, answer.json()["status_code"]) == (404, code)
    assert "data" not in answer.json()


def test_authorize_answer_as_a_list(sims):
    emsp = sims("EMSP", quirks={"list_for_object"})
    [token] = emsp.add_tokens(1)
    data = call(emsp, "POST", f"tokens/{token['uid']}/authorize", client_token(emsp)).json()["data"]
    assert isinstance(data, list) and data[0]["allowed"] == "ALLOWED"


def test_authorization_id_is_given_and_expected_back_on_sessions(sims):
    cpo, emsp = connected(sims, "2.1.1", emsp_quirks={"extension_fields": ("authorization_id",)})
    [token] = emsp.add_tokens(1)
    info = call(emsp, "POST", f"tokens/{token['uid']}/authorize", cpo.peer.token).json()["data"]
    authorization_id = info["authorization_id"]
    session = {**cpo.add_sessions(1)[0], "auth_id": token["auth_id"]}
    refused = call(emsp, "PUT", f"sessions/NL/CPO/{session['id']}", cpo.peer.token, json=session).json()
    assert refused["status_code"] == 2001 and "authorization_id" in refused["status_message"]
    session["authorization_id"] = authorization_id
    assert call(emsp, "PUT", f"sessions/NL/CPO/{session['id']}", cpo.peer.token, json=session).status_code == 201
    assert emsp.holds("sessions", session["id"])["authorization_id"] == authorization_id


# -- commands ------------------------------------------------------------------------------------------------


def start_request(cpo: PartnerSim, emsp: PartnerSim) -> dict:
    location = cpo.objects("locations")[0]
    return {"token": emsp.objects("tokens")[0], "location_id": location["id"], "evse_uid": location["evses"][0]["uid"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_start_session_is_accepted_and_its_result_posted_later(sims, version):
    cpo, emsp = connected(sims, version)
    cpo.add_locations(1)
    emsp.add_tokens(1)
    uid, status, answer = emsp.send_command("START_SESSION", start_request(cpo, emsp))
    assert (status, answer["data"]["result"]) == (200, "ACCEPTED")
    assert ("timeout" in answer["data"]) == (version == "2.2.1")
    assert emsp.wait_for_result(uid) == {"result": "ACCEPTED"}
    [session] = cpo.objects("sessions")
    assert session["status"] == "ACTIVE"
    result_post = emsp.requests_to("POST", f"/commands/START_SESSION/{uid}")[0]
    assert result_post.http_status == 200 and result_post.header("Authorization")


@pytest.mark.parametrize("version", VERSIONS)
def test_stop_session_of_an_unknown_session_is_unknown_session(sims, version):
    cpo, emsp = connected(sims, version)
    uid, _, answer = emsp.send_command("STOP_SESSION", {"session_id": "NOPE"})
    assert answer["data"]["result"] == "UNKNOWN_SESSION"
    time.sleep(cpo.command_delay * 2)  # that no result comes: twice the time one would take passes without one
    assert uid not in emsp.command_results


def test_stop_session_completes_the_session(sims):
    cpo, emsp = connected(sims, "2.2.1")
    cpo.add_locations(1)
    emsp.add_tokens(1)
    start, _, _ = emsp.send_command("START_SESSION", start_request(cpo, emsp))
    emsp.wait_for_result(start)
    stop, _, answer = emsp.send_command("STOP_SESSION", {"session_id": cpo.objects("sessions")[0]["id"].lower()})
    assert answer["data"]["result"] == "ACCEPTED"
    emsp.wait_for_result(stop)
    assert cpo.objects("sessions")[0]["status"] == "COMPLETED"


def test_a_command_for_an_unknown_location_is_2003(sims):
    cpo, emsp = connected(sims, "2.2.1")
    emsp.add_tokens(1)
    _, status, answer = emsp.send_command("START_SESSION", {"token": emsp.objects("tokens")[0], "location_id": "NOPE"})
    assert (status, answer["status_code"]) == (200, 2003)


def test_an_invalid_command_is_2001(sims):
    cpo, emsp = connected(sims, "2.2.1")
    _, _, answer = emsp.send_command("UNLOCK_CONNECTOR", {"location_id": "LOC-0001"})
    assert answer["status_code"] == 2001 and "evse_uid is required" in answer["status_message"]


def test_2_1_1_has_no_cancel_reservation(sims):
    cpo, emsp = connected(sims, "2.1.1")
    _, _, answer = emsp.send_command("CANCEL_RESERVATION", {"reservation_id": "1"})
    assert answer["data"] == {"result": "NOT_SUPPORTED"}


def test_command_response_as_a_list_and_no_result_when_the_charge_point_is_silent(sims):
    cpo, emsp = connected(sims, "2.2.1")
    cpo.quirks.list_for_object = True
    cpo.command_result = None
    cpo.add_locations(1)
    emsp.add_tokens(1)
    uid, _, answer = emsp.send_command("START_SESSION", start_request(cpo, emsp))
    assert answer["data"] == [{"result": "ACCEPTED", "timeout": 30}]
    time.sleep(cpo.command_delay * 2)  # that no result comes: twice the time one would take passes without one
    assert uid not in emsp.command_results


def test_the_result_goes_to_whatever_response_url_was_given(sims):
    cpo = sims("CPO")
    cpo.add_locations(1)
    receiver = Peer()
    try:
        receiver.ok("/results/1", None)
        cpo.peer = Connection("token-to-them", receiver.url, [], [])  # as if registered with `receiver`
        body = {
            "response_url": f"{receiver.url}/results/1",
            "location_id": "LOC-0001",
            "evse_uid": "LOC-0001-1",
            "connector_id": "1",
        }
        answer = call(cpo, "POST", "commands/UNLOCK_CONNECTOR", client_token(cpo), json=body).json()
        assert answer["data"]["result"] == "ACCEPTED"
        wait_for(lambda: receiver.requests, timeout=5, interval=0.02)
        posted = receiver.requests[0]
        assert posted["headers"]["Authorization"] == f"Token {base64.b64encode(b'token-to-them').decode()}"
        assert posted["body"] == b'{"result": "ACCEPTED"}'
    finally:
        receiver.stop()


def test_a_result_for_a_response_url_it_never_gave_is_refused(sims):
    emsp = sims("EMSP")
    answer = call(emsp, "POST", "commands/START_SESSION/nope", client_token(emsp), json={"result": "ACCEPTED"})
    assert answer.json()["status_code"] == 2003


# -- routing headers -------------------------------------------------------------------------------------------


def routing(to=("DE", "EMS"), sender=("NL", "CPO")) -> dict:
    return {
        "OCPI-to-country-code": to[0],
        "OCPI-to-party-id": to[1],
        "OCPI-from-country-code": sender[0],
        "OCPI-from-party-id": sender[1],
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_required_routing_headers(sims, version):
    cpo, emsp = connected(sims, version, emsp_quirks={"routing_headers": "required"})
    location = own_location(version)
    token = cpo.peer.token
    missing = call(emsp, "PUT", "locations/NL/CPO/LOC1", token, json=location).json()
    assert (missing["status_code"], missing["status_message"]) == (2001, "Missing routing header OCPI-to-country-code")
    wrong = call(emsp, "PUT", "locations/NL/CPO/LOC1", token, json=location, headers=routing(to=("DE", "XXX")))
    assert "is not this party" in wrong.json()["status_message"]
    answer = call(emsp, "PUT", "locations/NL/CPO/LOC1", token, json=location, headers=routing())
    assert answer.status_code == 201
    assert answer.headers["OCPI-to-party-id"] == "CPO" and answer.headers["OCPI-from-party-id"] == "EMS"
    # Configuration modules are not routed.
    assert call(emsp, "GET", emsp.versions_url, token).status_code == 200


def test_rejected_routing_headers(sims):
    cpo, emsp = connected(sims, "2.2.1", emsp_quirks={"routing_headers": "rejected"})
    location = own_location("2.2.1")
    refused = call(emsp, "PUT", "locations/NL/CPO/LOC1", cpo.peer.token, json=location, headers=routing()).json()
    assert refused["status_code"] == 2001 and "not accepted" in refused["status_message"]
    assert call(emsp, "PUT", "locations/NL/CPO/LOC1", cpo.peer.token, json=location).status_code == 201


def test_the_sim_sends_routing_headers_as_its_version_or_quirk_says(sims):
    cpo, emsp = connected(sims, "2.1.1", emsp_quirks={"routing_headers": "required"})
    cpo.add_locations(1)
    emsp.add_tokens(1)
    emsp.send_command("START_SESSION", start_request(cpo, emsp))
    command = cpo.requests_to("POST", "/commands/START_SESSION")[0]
    assert command.header("OCPI-from-party-id") == "EMS" and command.header("OCPI-to-party-id") == "CPO"
    plain = sims("EMSP", "2.1.1")
    assert not plain._sends_routing_headers()


# -- records, thread safety, builders -------------------------------------------------------------------------


def test_every_request_is_recorded_with_what_it_answered(emsp_receiver):
    sim, token = emsp_receiver()
    location = own_location("2.2.1")
    call(sim, "PUT", "locations/NL/CPO/LOC1", token, json=location, headers={"X-Request-ID": "r1"})
    [recorded] = sim.requests
    assert (recorded.method, recorded.path, recorded.body) == (
        "PUT",
        "/ocpi/emsp/2.2.1/locations/NL/CPO/LOC1",
        location,
    )
    assert recorded.header("x-request-id") == "r1" and recorded.http_status == 201
    assert recorded.answer["status_code"] == 1000


def test_concurrent_pushes_are_all_stored_and_recorded(emsp_receiver):
    sim, token = emsp_receiver()
    location = own_location("2.2.1", evses=1)
    failures = []

    def push(number: int):
        body = {**location, "id": f"LOC{number}"}
        if call(sim, "PUT", f"locations/NL/CPO/LOC{number}", token, json=body).status_code != 201:
            failures.append(number)

    threads = [threading.Thread(target=push, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(sim.held("locations")) == 40 and len(sim.requests) == 40


@pytest.mark.parametrize("version", VERSIONS)
def test_built_objects_are_valid_for_the_version(sims, version):
    cpo = sims("CPO", version)
    emsp = sims("EMSP", version)
    cpo.add_tariffs(2)
    built = {
        "Location": cpo.add_locations(3, evses=4, connectors=2),
        "Tariff": cpo.objects("tariffs"),
        "Session": cpo.add_sessions(3) + cpo.add_sessions(1, status="ACTIVE"),
        "CDR": cpo.add_cdrs(3),
        "Token": emsp.add_tokens(3),
    }
    for kind, objects in built.items():
        for obj in objects:
            assert check(version, kind, obj) == [], (kind, obj)
    location = built["Location"][0]
    assert len(location["evses"]) == 4 and all(len(e["connectors"]) == 2 for e in location["evses"])
    stamps = [o["last_updated"] for o in cpo.objects("locations")]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3


def test_touch_changes_an_object_and_its_last_updated(sims):
    sim = sims("CPO")
    [made] = sim.add_locations(1)
    touched = sim.touch("locations", "loc-0001", name="Touched")
    assert touched["name"] == "Touched" and touched["last_updated"] > made["last_updated"]


def test_the_schema_takes_the_specs_examples():
    for name in ("location_example.json", "location_example_uc4_limited_visibility.json"):
        assert check("2.2.1", "Location", example_221(name)) == []
    assert check("2.2.1", "CDR", example_221("cdr_example.json")) == []
    assert check("2.2.1", "Session", example_221("session_example_2_short_finished.json")) == []
    assert check("2.2.1", "Tariff", example_221("tariff_4_complex.json")) == []
    assert check("2.2.1", "Token", example_221("token_example_2_full_rfid.json")) == []
    [location_211] = [e["json"] for e in examples_211("mod_locations") if e["json"] and "type" in e["json"]]
    assert check("2.1.1", "Location", location_211) == []
    assert check("2.2.1", "Location", location_211) != []  # a 2.1.1 location is no 2.2.1 one


def test_the_schema_names_what_is_wrong():
    location = example_221("location_example.json")
    location["evses"][0]["status"] = "BROKEN"
    location["evses"][0]["connectors"][0]["max_voltage"] = "230"
    location["publish"] = "yes"
    assert check("2.2.1", "Location", location) == [
        "publish: 'yes' is not a boolean",
        "evses[0].status: 'BROKEN' is not a Status of OCPI 2.2.1",
        "evses[0].connectors[0].max_voltage: '230' is not an int",
    ]
