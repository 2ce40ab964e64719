"""Partner diagnostics against a scripted partner serving good and bad pages."""

import base64
import copy
import io
import json

import pytest

from partners.models import PartnerEndpoint, TokenForm
from roaming.services.diagnostics import diagnose
from tests.bodies import LOCATION
from tests.factories import log_in_operator, make_partner

pytestmark = pytest.mark.django_db

STAMP = "2026-01-01T00:00:00Z"


def envelope(data, *, timestamp=STAMP):
    return {"data": data, "status_code": 1000, "timestamp": timestamp}


def location(location_id: str, **changes) -> dict:
    return {**copy.deepcopy(LOCATION), "id": location_id, **changes}


@pytest.fixture
def partner(emsp_tenant, peer):
    """A 2.2.1 CPO partner of the eMSP tenant with a locations sender endpoint on the scripted peer."""
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", token_to_them="their-token")
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=partner, identifier="locations", role="SENDER", url=f"{peer.url}/locations"
    )
    return partner


def serve_two_pages(peer, first: list, second: list, *, total: int | None = None, link="<{base}/page2>; rel=next"):
    headers = {"X-Limit": "2", "Link": link}
    if total is not None:
        headers["X-Total-Count"] = str(total)
    peer.routes["/locations"] = (200, headers, envelope(first))
    last = {"X-Limit": "2"} | ({"X-Total-Count": str(total)} if total is not None else {})
    peer.routes["/page2"] = (200, last, envelope(second))


def only_module(report):
    (module,) = report.modules
    return module


def test_good_pages_are_walked_through_link_and_every_object_checked(emsp_tenant, partner, peer):
    serve_two_pages(peer, [location("L1"), location("L2")], [location("L3")], total=3)

    report = diagnose(tenant=emsp_tenant, partner=partner)

    module = only_module(report)
    assert (module.module, module.pages, module.objects, module.valid) == ("locations", 2, 3, 3)
    assert module.total_count == 3 and module.walked_to_end
    assert module.checks == {} and report.problems == [] and report.proposals == {} and report.ok
    # The scripted partner takes any token: true, and nothing we must cope with.
    assert [(f.kind, f.key) for f in report.findings] == [("tolerated", "unknown_token_accepted")]
    assert report.token_forms == {"RAW": "accepted", "BASE64": "accepted"}
    assert {r["path"].split("?")[0] for r in peer.requests} == {"/locations", "/page2"}


def test_a_bad_object_is_reported_with_its_id_and_field_path(emsp_tenant, partner, peer):
    broken = location("L2")
    broken["evses"][0]["status"] = "SLEEPING"
    serve_two_pages(peer, [location("L1"), broken], [location("L3")], total=3)

    module = only_module(diagnose(tenant=emsp_tenant, partner=partner))

    assert (module.objects, module.valid) == (3, 2)
    (finding,) = module.checks.values()
    assert finding.check == "object evses[].status" and finding.count == 1
    (example,) = finding.examples
    assert (example.object_id, example.path) == ("L2", "evses[0].status")
    assert "AVAILABLE" in example.message  # names what is allowed


def test_examples_stop_at_three_while_the_count_goes_on(emsp_tenant, partner, peer):
    bad = [location(f"L{i}", last_updated="yesterday") for i in range(5)]
    peer.routes["/locations"] = (200, {"X-Total-Count": "5", "X-Limit": "10"}, envelope(bad))

    module = only_module(diagnose(tenant=emsp_tenant, partner=partner))

    finding = module.checks["object last_updated"]
    assert finding.count == 5
    assert [e.object_id for e in finding.examples] == ["L0", "L1", "L2"]


def test_missing_x_total_count_is_reported_per_page(emsp_tenant, partner, peer):
    serve_two_pages(peer, [location("L1"), location("L2")], [location("L3")], total=None)

    module = only_module(diagnose(tenant=emsp_tenant, partner=partner))

    assert module.objects == 3 and module.walked_to_end
    assert set(module.checks) == {"X-Total-Count"}
    assert module.checks["X-Total-Count"].count == 2
    assert module.checks["X-Total-Count"].examples[0].message.endswith("header missing")


def test_a_link_to_nowhere_is_reported_and_ends_the_walk(emsp_tenant, partner, peer):
    serve_two_pages(peer, [location("L1"), location("L2")], [], total=3, link="<{base}/gone>; rel=next")

    module = only_module(diagnose(tenant=emsp_tenant, partner=partner))

    assert (module.pages, module.objects, module.walked_to_end) == (1, 2, False)
    assert set(module.checks) == {"Link"}
    assert "/gone" in module.checks["Link"].examples[0].message
    assert "HTTP 404" in module.checks["Link"].examples[0].message


def test_a_missing_link_while_objects_remain_is_reported(emsp_tenant, partner, peer):
    peer.routes["/locations"] = (200, {"X-Total-Count": "5", "X-Limit": "2"}, envelope([location("L1")]))

    module = only_module(diagnose(tenant=emsp_tenant, partner=partner))

    assert module.checks["Link"].examples[0].message == ("no next page after 1 objects, while X-Total-Count says 5")


def test_a_body_that_is_not_an_envelope_is_reported(emsp_tenant, partner, peer):
    peer.routes["/locations"] = (200, {"X-Total-Count": "1", "X-Limit": "2"}, [location("L1")])

    module = only_module(diagnose(tenant=emsp_tenant, partner=partner))

    assert (module.pages, module.objects) == (0, 0)
    assert "not an OCPI envelope" in module.checks["envelope"].examples[0].message


def test_a_bad_envelope_timestamp_and_status_code_are_reported(emsp_tenant, partner, peer):
    body = {"data": [location("L1")], "status_code": 1001, "timestamp": "01/01/2026 10:00"}
    peer.routes["/locations"] = (200, {"X-Total-Count": "1", "X-Limit": "2"}, body)

    module = only_module(diagnose(tenant=emsp_tenant, partner=partner))

    assert set(module.checks) == {"envelope timestamp"}  # 1001 is a success code
    assert "01/01/2026 10:00" in module.checks["envelope timestamp"].examples[0].message


@pytest.mark.parametrize(
    "version, changes, check",
    [
        ("2.1.1", {}, "object type"),  # 2.1.1 requires a location type; 2.2.1 has none
        ("2.2.1", {"facilities": ["EV_LOUNGE"]}, "object facilities[]"),  # a facility 2.2.1 does not name
        ("2.3.0", {"facilities": ["EV_LOUNGE"]}, None),  # Facility is an OpenEnum in 2.3.0
    ],
)
def test_objects_are_validated_in_the_partners_version(emsp_tenant, partner, peer, version, changes, check):
    partner.version = version
    partner.save(update_fields=["version"])
    peer.routes["/locations"] = (200, {"X-Total-Count": "1", "X-Limit": "2"}, envelope([location("L1", **changes)]))

    report = diagnose(tenant=emsp_tenant, partner=partner)

    assert report.version == version
    module = only_module(report)
    if check:
        assert check in module.checks
    else:
        assert (module.checks, module.valid) == ({}, 1)


def test_a_2_3_0_partners_invoice_reconciliation_list_is_walked_too(emsp_tenant, partner, peer):
    partner.version = "2.3.0"
    partner.save(update_fields=["version"])
    peer.routes["/locations"] = (200, {"X-Total-Count": "1", "X-Limit": "2"}, envelope([location("L1")]))
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=partner, identifier="invoicereconciliation", role="SENDER", url=f"{peer.url}/ir"
    )
    record = {"country_code": "NL", "party_id": "CPO", "id": "IR1", "invoice_id": "INV-1", "cdrs": ["C1"]}
    peer.routes["/ir"] = (
        200,
        {"X-Total-Count": "2", "X-Limit": "2"},
        envelope([record | {"last_updated": STAMP}, record | {"id": "IR2"}]),
    )

    report = diagnose(tenant=emsp_tenant, partner=partner)

    walked = {m.module: m for m in report.modules}["invoicereconciliation"]
    assert (walked.objects, walked.valid) == (2, 1)
    assert walked.checks["object last_updated"].examples[0].object_id == "IR2"


def test_a_partner_taking_only_the_raw_token_in_221_gets_the_raw_form_proposed(emsp_tenant, partner, peer):
    peer.authorization = "Token their-token"
    serve_two_pages(peer, [location("L1"), location("L2")], [location("L3")], total=3)

    report = diagnose(tenant=emsp_tenant, partner=partner)

    assert report.token_forms["RAW"] == "accepted"
    assert report.token_forms["BASE64"].startswith("refused: HTTP 401")
    (finding,) = report.findings
    assert (finding.kind, finding.key, finding.text) == ("quirk", "token_form", "requires the raw token in 2.2.1")
    assert finding.settings == {"send_token_form": "RAW"} and report.proposals == {"send_token_form": "RAW"}
    assert not report.ok and report.problems == []
    # The lists are walked with the form they take, so the diagnosis goes on past the token.
    assert only_module(report).valid == 3 and only_module(report).checks == {}


def test_a_partner_taking_the_base64_token_is_fine_and_raw_is_only_noted(emsp_tenant, partner, peer):
    peer.authorization = "Token " + base64.b64encode(b"their-token").decode()
    serve_two_pages(peer, [location("L1"), location("L2")], [location("L3")], total=3)

    report = diagnose(tenant=emsp_tenant, partner=partner)

    assert report.token_forms["BASE64"] == "accepted" and report.token_forms["RAW"].startswith("refused")
    assert report.ok


def test_the_partners_token_form_setting_is_what_is_checked(emsp_tenant, partner, peer):
    partner.send_token_form = TokenForm.RAW
    partner.save(update_fields=["send_token_form"])
    peer.authorization = "Token their-token"
    serve_two_pages(peer, [location("L1"), location("L2")], [location("L3")], total=3)

    report = diagnose(tenant=emsp_tenant, partner=partner)

    assert report.ok and only_module(report).valid == 3


def test_pages_are_bounded_by_the_setting(emsp_tenant, partner, peer, settings):
    settings.DIAGNOSE_MAX_PAGES = 1
    serve_two_pages(peer, [location("L1"), location("L2")], [location("L3")], total=3)

    module = only_module(diagnose(tenant=emsp_tenant, partner=partner))

    assert (module.pages, module.objects, module.walked_to_end) == (1, 2, False)
    assert module.ok  # stopping early is not the partner's fault


def test_a_partner_without_version_or_sender_lists_says_why(emsp_tenant, peer):
    unregistered, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="new", version="")
    receiver_only, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="receiver-only")
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=receiver_only, identifier="locations", role="RECEIVER", url=peer.url
    )

    assert diagnose(tenant=emsp_tenant, partner=unregistered).problems[0].text.startswith("No negotiated OCPI version")
    assert diagnose(tenant=emsp_tenant, partner=receiver_only).problems[0].text.startswith("No sender list endpoint")
    assert peer.requests == []


def test_a_partner_of_another_tenant_is_refused(cpo_tenant, emsp_tenant, partner):
    with pytest.raises(AssertionError):
        diagnose(tenant=cpo_tenant, partner=partner)


def test_the_report_serializes_for_json(emsp_tenant, partner, peer):
    serve_two_pages(peer, [location("L1"), location("L2")], [location("L3")], total=None)

    data = diagnose(tenant=emsp_tenant, partner=partner).as_dict()

    assert data["ok"] is False and data["partner"] == "cpo"
    (module,) = data["modules"]
    assert module["ok"] is False and module["objects"] == 3
    assert module["checks"][0]["check"] == "X-Total-Count" and module["checks"][0]["count"] == 2
    (finding,) = [f for f in data["findings"] if f["kind"] == "problem"]
    assert (finding["key"], finding["module"]) == ("check X-Total-Count", "locations")
    assert data["proposals"] == {} and data["applied"] == {}


# -- front doors --------------------------------------------------------------------------------------


def test_diagnose_partner_command_prints_each_problem_and_exits_1(emsp_tenant, partner, peer):
    from django.core.management import CommandError, call_command

    broken = location("L2")
    broken["evses"][0]["status"] = "SLEEPING"
    serve_two_pages(peer, [location("L1"), broken], [location("L3")], total=None)
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"2 problem\(s\) no setting fixes") as raised:
        call_command("diagnose_partner", "emsp", "cpo", stdout=out)

    assert raised.value.returncode == 1
    text = out.getvalue()
    assert text.startswith("cpo (OCPI 2.2.1): problems found\n")
    assert "  locations: 2 pages, 3 objects checked, 2 valid\n" in text
    assert "    object evses[].status: seen 1 time(s)\n      L2 evses[0].status: Input should be" in text
    assert "    X-Total-Count: seen 2 time(s)\n" in text


def test_diagnose_partner_command_json(emsp_tenant, partner, peer):
    from django.core.management import call_command

    serve_two_pages(peer, [location("L1"), location("L2")], [location("L3")], total=3)
    out = io.StringIO()

    call_command("diagnose_partner", "emsp", "cpo", "--json", stdout=out)

    data = json.loads(out.getvalue())
    assert data["ok"] is True and data["modules"][0]["valid"] == 3
    assert data["token_forms"] == {"RAW": "accepted", "BASE64": "accepted"}


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])  # the 2.2.1 locations served are valid 2.3.0 ones
def test_diagnose_button_renders_the_report(client, emsp_tenant, partner, peer, version):
    partner.version = version
    partner.save(update_fields=["version"])
    log_in_operator(client, emsp_tenant)
    broken = location("L2", last_updated="yesterday")
    serve_two_pages(peer, [location("L1"), broken], [location("L3")], total=3)

    page = client.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()
    assert 'id="diagnose"' in page
    assert client.get(f"/admin/partners/partner/{partner.pk}/diagnose/").status_code == 403  # POST only
    response = client.post(f"/admin/partners/partner/{partner.pk}/diagnose/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Problems found" in html and "3 objects checked, 2 valid, X-Total-Count 3" in html
    assert "<td>L2</td><td><code>last_updated</code></td>" in html


def test_diagnose_button_is_not_offered_across_tenants(client, cpo_tenant, partner):
    log_in_operator(client, cpo_tenant, "other")

    assert client.post(f"/admin/partners/partner/{partner.pk}/diagnose/").status_code == 403
