"""Diagnostics name each quirk a scripted partner shows, propose the profile settings that cope with it, and
apply them (service, `diagnose_partner --apply`, the admin's Apply button)."""

import base64
import copy
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from partners.models import Operator, PartnerEndpoint
from roaming.services.diagnostics import NotProposable, apply_proposals, diagnose
from tests.bodies import LOCATION
from tests.factories import make_partner

pytestmark = pytest.mark.django_db

STAMP = "2026-01-01T00:00:00Z"
TOKEN = "their-token"


def b64(token: str) -> str:
    return base64.b64encode(token.encode()).decode()


def envelope(data, *, timestamp=STAMP, status_code=1000):
    return {"data": data, "status_code": status_code, "timestamp": timestamp}


def location(location_id: str, **changes) -> dict:
    return {**copy.deepcopy(LOCATION), "id": location_id, **changes}


def paged(objects, *, cap=None, link="good", refuse_over_cap=False, default=50, timestamp=STAMP):
    """A list served by offset and limit, as a partner would: `cap` the largest page; `link` good, none or
    broken (a Link to a page that is not there); `refuse_over_cap` answers a larger limit with 2001."""

    def answer(query):
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", default))
        if cap and limit > cap:
            if refuse_over_cap:
                return 200, {}, envelope(None, status_code=2001)
            limit = cap
        headers = {"X-Total-Count": str(len(objects)), "X-Limit": str(cap or 1000)}
        if offset + limit < len(objects):
            if link == "good":
                headers["Link"] = f'<{{base}}/locations?offset={offset + limit}&limit={limit}>; rel="next"'
            elif link == "broken":
                headers["Link"] = '<{base}/nowhere>; rel="next"'
        return 200, headers, envelope(objects[offset : offset + limit], timestamp=timestamp)

    return answer


def serve_versions(peer, *, written="2.2.1", version="2.2.1"):
    peer.ok("/versions", [{"version": written, "url": f"{peer.url}/{version}"}])
    peer.ok(
        f"/{version}",
        {
            "version": version,
            "endpoints": [{"identifier": "locations", "role": "SENDER", "url": f"{peer.url}/locations"}],
        },
    )


@pytest.fixture
def partner(emsp_tenant, peer):
    """A registered 2.2.1 CPO partner of the eMSP tenant: versions, details and a locations list on the peer."""
    partner, _ = make_partner(
        emsp_tenant, "NL:CPO:CPO", name="cpo", token_to_them=TOKEN, versions_url=f"{peer.url}/versions"
    )
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=partner, identifier="locations", role="SENDER", url=f"{peer.url}/locations"
    )
    serve_versions(peer)
    peer.authorization = f"Token {b64(TOKEN)}"
    return partner


def findings(report, kind=None) -> dict[str, object]:
    return {f.key: f for f in report.findings if kind is None or f.kind == kind}


def five():
    return [location(f"L{i}") for i in range(1, 6)]


# -- quirks and their settings ---------------------------------------------------------------------------


def test_a_spec_partner_shows_nothing_and_proposes_nothing(emsp_tenant, partner, peer):
    peer.routes["/locations"] = paged(five(), cap=3)
    partner.page_size_caps = {"locations": 3}
    partner.save()

    report = diagnose(tenant=emsp_tenant, partner=partner)

    assert report.findings == [] and report.proposals == {} and report.ok
    (module,) = report.modules
    assert (module.pages, module.objects, module.valid, module.walked_to_end) == (2, 5, 5, True)


def test_a_link_that_is_missing_is_walked_around_by_offset(emsp_tenant, partner, peer):
    peer.routes["/locations"] = paged(five(), link="none")

    report = diagnose(tenant=emsp_tenant, partner=partner)

    link = findings(report)["link_unusable"]
    assert (link.kind, link.text, link.settings) == (
        "quirk",
        "Link header unusable: walk by offset",
        {"follow_link": False},
    )
    assert "no next page after 2 of 5 objects" in link.examples[0]
    assert report.proposals == {"follow_link": False} and report.problems == []
    (module,) = report.modules
    assert module.ok and module.explained == {"Link"}


def test_a_link_to_nowhere_is_replaced_by_offset_and_the_walk_goes_on(emsp_tenant, partner, peer):
    peer.routes["/locations"] = paged(five(), cap=2, link="broken")

    report = diagnose(tenant=emsp_tenant, partner=partner)

    assert findings(report)["link_unusable"].settings == {"follow_link": False}
    (module,) = report.modules
    assert (module.objects, module.valid, module.walked_to_end, module.by_offset) == (5, 5, True, True)
    assert report.problems == []


def test_with_follow_link_off_the_list_is_walked_by_offset_and_the_link_not_asked_for(emsp_tenant, partner, peer):
    peer.routes["/locations"] = paged(five(), cap=2, link="none")
    partner.follow_link = False
    partner.page_size_caps = {"locations": 2}
    partner.save()

    report = diagnose(tenant=emsp_tenant, partner=partner)

    assert report.findings == [] and report.ok
    (module,) = report.modules
    assert (module.pages, module.objects, module.walked_to_end) == (3, 5, True)


def test_a_link_nothing_can_replace_stays_a_problem(emsp_tenant, partner, peer):
    peer.routes["/locations"] = (200, {"X-Total-Count": "5", "X-Limit": "2"}, envelope([location("L1")]))

    report = diagnose(tenant=emsp_tenant, partner=partner)  # the offset is ignored: L1 again

    assert "link_unusable" not in findings(report)
    assert findings(report, "problem")["check Link"].text.startswith("Link: seen 1 time(s), e.g. Link: no next page")


def test_a_page_cap_below_our_page_size_is_proposed(emsp_tenant, partner, peer):
    peer.routes["/locations"] = paged(five(), cap=3)
    partner.page_size = 10
    partner.save()

    report = diagnose(tenant=emsp_tenant, partner=partner)

    cap = findings(report)["page_cap"]
    assert (cap.kind, cap.text, cap.module) == ("quirk", "caps pages at 3 for locations", "locations")
    assert cap.examples == ["asked 10, X-Limit 3, served 3"]
    assert report.proposals == {"page_size_caps": {"locations": 3}}


def test_a_refused_page_size_is_found_by_a_small_page_and_their_x_limit(emsp_tenant, partner, peer):
    peer.routes["/locations"] = paged(five(), cap=3, refuse_over_cap=True)
    partner.page_size = 100
    partner.page_size_caps = {"cdrs": 20}
    partner.save()

    report = diagnose(tenant=emsp_tenant, partner=partner)

    cap = findings(report)["page_cap"]
    assert cap.text == "caps pages at 3 for locations" and cap.examples[0].startswith("a page of 100 refused")
    # The existing caps stay; the walk went on with the cap.
    assert report.proposals == {"page_size_caps": {"cdrs": 20, "locations": 3}}
    (module,) = report.modules
    assert (module.objects, module.valid, module.walked_to_end) == (5, 5, True) and module.ok


def test_requires_base64_in_2_1_1(emsp_tenant, partner, peer):
    partner.version = "2.1.1"
    partner.save()
    serve_versions(peer, version="2.1.1", written="2.1.1")
    peer.routes["/locations"] = paged([])

    report = diagnose(tenant=emsp_tenant, partner=partner)

    assert report.token_forms == {"RAW": "refused: HTTP 401: OCPI 2000: ", "BASE64": "accepted"}
    form = findings(report)["token_form"]
    assert (form.kind, form.text, form.settings) == ("quirk", "requires Base64 in 2.1.1", {"send_token_form": "BASE64"})
    assert report.proposals == {"send_token_form": "BASE64"}


def test_answers_200_3000_to_the_wrong_token_form(emsp_tenant, partner, peer):
    peer.authorization = f"Token {TOKEN}"  # raw, in 2.2.1
    peer.refusal = (200, {}, {"status_code": 3000, "status_message": "unknown token", "timestamp": STAMP})
    peer.routes["/locations"] = paged(five())
    partner.probe_token_form = False
    partner.save()

    report = diagnose(tenant=emsp_tenant, partner=partner)

    wrong = findings(report)["wrong_form_answer"]
    assert (wrong.text, wrong.settings) == ("answers 200 + 3000 to the wrong token form", {"probe_token_form": True})
    assert findings(report)["token_form"].settings == {"send_token_form": "RAW"}
    assert findings(report)["unknown_token_answer"].text == "answers 200 + 3000 to an unknown token"
    assert report.proposals == {"probe_token_form": True, "send_token_form": "RAW"}


def test_answers_403_to_an_unknown_token(emsp_tenant, partner, peer):
    peer.refusal = (403, {}, "Forbidden")
    peer.routes["/locations"] = paged(five())

    report = diagnose(tenant=emsp_tenant, partner=partner)

    unknown = findings(report)["unknown_token_answer"]
    assert (unknown.kind, unknown.text) == ("quirk", "answers 403 to an unknown token")
    assert unknown.settings == {"probe_token_form": True} and unknown.handled  # probing is on by default
    assert unknown.examples == [f"GET {peer.url}/versions with an unknown token: 403"]
    assert report.proposals == {} and report.ok
    stranger = [r for r in peer.requests if r["headers"]["Authorization"].startswith(f"Token {b64('unknown-')[:8]}")]
    assert len(stranger) == 1 and stranger[0]["path"] == "/versions"


def test_the_spec_answer_to_an_unknown_token_is_no_finding(emsp_tenant, partner, peer):
    peer.routes["/locations"] = paged(five())

    report = diagnose(tenant=emsp_tenant, partner=partner)

    assert "unknown_token_answer" not in findings(report) and "unknown_token_accepted" not in findings(report)


def test_nulls_naive_timestamps_and_lower_case_ids_are_tolerated_and_shown(emsp_tenant, partner, peer):
    odd = location("L1", parking_type=None, operator=None, last_updated="2026-01-01T10:00:00", party_id="cpo")
    peer.routes["/locations"] = paged([odd, location("L2")], timestamp="2026-01-01T10:00:00")

    report = diagnose(tenant=emsp_tenant, partner=partner)

    tolerated = findings(report, "tolerated")
    assert tolerated["nulls"].text == "sends null for optional fields (read as absent)"
    assert tolerated["nulls"].examples == ["L1 parking_type", "L1 operator"]
    assert tolerated["naive_timestamps"].text == "sends timestamps without zone (read as UTC)"
    assert "L1 last_updated: '2026-01-01T10:00:00'" in tolerated["naive_timestamps"].examples
    assert tolerated["lower_case_ids"].text == "lower-cases ids (compared without case)"
    assert tolerated["lower_case_ids"].examples == ["L1 party_id: 'cpo'"]
    assert all(not f.settings for f in tolerated.values())
    assert report.ok and report.modules[0].valid == 2


def test_a_loosely_written_version_is_tolerated(emsp_tenant, partner, peer):
    serve_versions(peer, written="2.2")
    peer.routes["/locations"] = paged(five())

    report = diagnose(tenant=emsp_tenant, partner=partner)

    assert findings(report)["loose_version"].text == 'reports version "2.2" for 2.2.1'
    assert report.ok


def test_endpoints_changed_since_the_handshake_is_a_problem(emsp_tenant, partner, peer):
    peer.ok(
        "/2.2.1",
        {
            "version": "2.2.1",
            "endpoints": [
                {"identifier": "locations", "role": "SENDER", "url": f"{peer.url}/locations"},
                {"identifier": "tariffs", "role": "SENDER", "url": f"{peer.url}/tariffs"},
            ],
        },
    )
    peer.routes["/locations"] = paged(five())

    report = diagnose(tenant=emsp_tenant, partner=partner)

    changed = findings(report, "problem")["endpoints_changed"]
    assert changed.text.startswith("their 2.2.1 endpoints changed since the handshake")
    assert changed.examples == [f"new tariffs {peer.url}/tariffs"]


# -- applying ----------------------------------------------------------------------------------------------


def test_apply_sets_the_proposals_and_a_second_diagnosis_finds_them_set(emsp_tenant, partner, peer):
    peer.routes["/locations"] = paged(five(), cap=2, link="none")
    partner.page_size = 10
    partner.save()
    report = diagnose(tenant=emsp_tenant, partner=partner)
    assert report.proposals == {"follow_link": False, "page_size_caps": {"locations": 2}}

    applied = apply_proposals(tenant=emsp_tenant, partner=partner, proposals=report.proposals)

    assert applied == report.proposals
    partner.refresh_from_db()
    assert (partner.follow_link, partner.page_size_caps) == (False, {"locations": 2})
    again = diagnose(tenant=emsp_tenant, partner=partner)
    assert again.proposals == {} and again.ok and again.modules[0].walked_to_end


def test_apply_refuses_what_a_diagnosis_does_not_propose(emsp_tenant, cpo_tenant, partner):
    with pytest.raises(NotProposable, match="pinned_version"):
        apply_proposals(tenant=emsp_tenant, partner=partner, proposals={"pinned_version": "2.1.1"})
    with pytest.raises(NotProposable, match="send_token_form"):
        apply_proposals(tenant=emsp_tenant, partner=partner, proposals={"send_token_form": "HEX"})
    with pytest.raises(NotProposable, match="page_size_caps"):
        apply_proposals(tenant=emsp_tenant, partner=partner, proposals={"page_size_caps": {"locations": 0}})
    with pytest.raises(AssertionError):
        apply_proposals(tenant=cpo_tenant, partner=partner, proposals={"follow_link": False})
    partner.refresh_from_db()
    assert (partner.send_token_form, partner.page_size_caps, partner.follow_link) == ("AUTO", {}, True)


def test_command_apply_changes_the_partner_and_exits_0_without_problems(emsp_tenant, partner, peer):
    peer.authorization = f"Token {TOKEN}"
    peer.routes["/locations"] = paged(five(), link="none")
    out = io.StringIO()

    call_command("diagnose_partner", "emsp", "cpo", "--apply", stdout=out)

    partner.refresh_from_db()
    assert (partner.send_token_form, partner.follow_link) == ("RAW", False)
    text = out.getvalue()
    assert text.startswith("cpo (OCPI 2.2.1): quirks to set\n")
    assert "  quirk: requires the raw token in 2.2.1 -> send_token_form = 'RAW'\n" in text
    assert "  quirk: locations: Link header unusable: walk by offset -> follow_link = False\n" in text
    assert "  settings applied:\n    send_token_form = 'RAW'\n    follow_link = False\n" in text


def test_command_json_has_findings_proposals_and_applied(emsp_tenant, partner, peer):
    peer.routes["/locations"] = paged(five(), cap=3)
    partner.page_size = 10
    partner.save()
    out = io.StringIO()

    call_command("diagnose_partner", "emsp", "cpo", "--json", "--apply", stdout=out)

    data = json.loads(out.getvalue())
    assert [(f["kind"], f["key"], f["settings"]) for f in data["findings"]] == [
        ("quirk", "page_cap", {"page_size_caps": {"locations": 3}})
    ]
    assert data["proposals"] == data["applied"] == {"page_size_caps": {"locations": 3}}
    partner.refresh_from_db()
    assert partner.page_size_caps == {"locations": 3}


def test_command_exits_1_when_a_problem_no_setting_fixes_remains(emsp_tenant, partner, peer):
    broken = location("L2", last_updated="yesterday")
    peer.routes["/locations"] = paged([location("L1"), broken, location("L3")], link="none")
    out = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("diagnose_partner", "emsp", "cpo", "--json", "--apply", stdout=out)

    assert raised.value.returncode == 1
    data = json.loads(out.getvalue())
    assert [f["key"] for f in data["findings"] if f["kind"] == "problem"] == ["check object last_updated"]
    assert data["applied"] == {"follow_link": False}  # what can be set is set all the same


# -- the admin's Apply button -------------------------------------------------------------------------------


def operator_of(tenant, username):
    user = get_user_model().objects.create_user(username, password="pw", is_staff=True)
    Operator.objects.create(user=user, tenant=tenant)
    return user


def test_the_apply_button_sets_what_the_diagnosis_page_proposed(client, emsp_tenant, partner, peer):
    peer.authorization = f"Token {TOKEN}"
    peer.routes["/locations"] = paged(five())
    client.force_login(operator_of(emsp_tenant, "op"))

    page = client.post(f"/admin/partners/partner/{partner.pk}/diagnose/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "requires the raw token in 2.2.1" in html and "<code>send_token_form = RAW</code>" in html
    assert 'id="apply-diagnosis"' in html
    signed = page.context["signed_proposals"]
    assert client.get(f"/admin/partners/partner/{partner.pk}/apply-diagnosis/").status_code == 403  # POST only

    response = client.post(f"/admin/partners/partner/{partner.pk}/apply-diagnosis/", {"proposals": signed})

    assert response.status_code == 302 and response.url == f"/admin/partners/partner/{partner.pk}/change/"
    partner.refresh_from_db()
    assert partner.send_token_form == "RAW"
    shown = [str(m) for m in response.wsgi_request._messages]
    assert shown == ["Applied the diagnosis: send_token_form = 'RAW'."]


def test_the_apply_button_takes_no_values_but_a_diagnosis_signed_for_this_partner(client, emsp_tenant, partner, peer):
    other, _ = make_partner(emsp_tenant, "NL:OTH:CPO", name="other")
    peer.authorization = f"Token {TOKEN}"
    peer.routes["/locations"] = paged(five())
    client.force_login(operator_of(emsp_tenant, "op"))
    signed = client.post(f"/admin/partners/partner/{partner.pk}/diagnose/").context["signed_proposals"]

    forged = client.post(
        f"/admin/partners/partner/{partner.pk}/apply-diagnosis/", {"proposals": '{"send_token_form": "RAW"}'}
    )
    elsewhere = client.post(f"/admin/partners/partner/{other.pk}/apply-diagnosis/", {"proposals": signed})

    assert forged.status_code == 302 and elsewhere.status_code == 403
    partner.refresh_from_db()
    other.refresh_from_db()
    assert (partner.send_token_form, other.send_token_form) == ("AUTO", "AUTO")


def test_an_operator_of_another_tenant_can_neither_diagnose_nor_apply(client, emsp_tenant, cpo_tenant, partner, peer):
    peer.authorization = f"Token {TOKEN}"
    peer.routes["/locations"] = paged(five())
    client.force_login(operator_of(emsp_tenant, "op"))
    signed = client.post(f"/admin/partners/partner/{partner.pk}/diagnose/").context["signed_proposals"]
    client.force_login(operator_of(cpo_tenant, "stranger"))
    peer.requests.clear()

    assert client.post(f"/admin/partners/partner/{partner.pk}/diagnose/").status_code == 403
    assert (
        client.post(f"/admin/partners/partner/{partner.pk}/apply-diagnosis/", {"proposals": signed}).status_code == 403
    )
    partner.refresh_from_db()
    assert partner.send_token_form == "AUTO" and peer.requests == []
