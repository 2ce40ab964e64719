"""Message routing proven across three separately started platforms: a CPO, a hub and an eMSP, each with its
own database and web server, where the CPO and the eMSP are each other's partners only through the hub
(2.2.1 transport_and_format, Message Routing; status_codes 4000-4003).

Each platform is driven only through its own management commands and HTTP. Both register with the hub; the
eMSP's tokens reach the CPO and the CPO's locations, sessions and CDR reach the eMSP through it (Broadcast
Push, and pushes addressed to the driver's eMSP); the eMSP pulls the CPO's locations from the hub (GET All
via Hubs) and asks for one addressed to the CPO; an EVSE status change reaches the eMSP; the CPO asks the eMSP
to authorize a token in real time; a remote START and STOP go to the CPO and their results come back through
the hub's response URL; and the hub answers 4001, 4003 and 4002 for an unknown, an offline and a slow party.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import requests

from tests.e2e.conftest import Instance
from tests.peer import Peer
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e]

UIDS = ["EMS000000", "EMS000001", "EMS000002"]


@pytest.fixture(scope="module")
def platforms(django_db_setup, django_db_blocker, worker_id):
    started = {name: Instance(f"hub3_{name}_{worker_id}_{os.getpid()}") for name in ("cpo", "hub", "emsp")}
    try:
        for instance in started.values():
            instance.start()
        yield started
    finally:
        for instance in started.values():
            instance.stop()


#: The version the platforms negotiate with the hub, the newest both speak. A 2.3.0 hub names itself in
#: hub_party_id and lists the parties it connects as credentials roles (2.2.1 hubs: tests/roaming/api/test_hub_*).
VERSION = "2.3.0"


def shell(instance: Instance, call: str) -> dict:
    output = instance.manage("shell", "-c", f"from tests.e2e.hub_seed import *; {call}")
    return json.loads(output.strip().splitlines()[-1])


def seed(instance: Instance, call: str) -> None:
    instance.manage("shell", "-c", f"from tests.e2e.interop_seed import *; {call}")


def objects(instance: Instance, slug: str, module: str) -> list[dict]:
    return json.loads(instance.manage("export_objects", slug, module, "--json"))


def join_hub(hub: Instance, platform: Instance, slug: str) -> None:
    handed = json.loads(hub.manage("create_registration_token", "hub", slug, "--json"))
    output = platform.manage(
        "register_partner", slug, "hub", "--versions-url", f"{hub.url}/ocpi/hub/versions",
        f"--token-a={handed['token']}", "--wait",
    )  # fmt: skip
    assert f"registered with hub in OCPI {VERSION}" in output


def ask_hub(hub: Instance, token: str, path: str, to_party: str) -> requests.Response:
    """A GET of the hub's endpoint as the eMSP's platform, addressed to `to_party` ("CC*PID")."""
    import base64

    country_code, party_id = to_party.split("*")
    headers = {
        "Authorization": f"Token {base64.b64encode(token.encode()).decode()}",
        "OCPI-from-country-code": "DE",
        "OCPI-from-party-id": "EMS",
        "OCPI-to-country-code": country_code,
        "OCPI-to-party-id": party_id,
        "X-Correlation-ID": "e2e-corr",
    }
    return requests.get(f"{hub.url}/ocpi/hub/{VERSION}/{path}", headers=headers, timeout=30)


def test_a_cpo_and_an_emsp_work_together_only_through_a_hub(platforms):
    cpo, hub, emsp = platforms["cpo"], platforms["hub"], platforms["emsp"]
    hub.manage("create_tenant", "hub", "--name", "Hub", "--party", "NL:HUB:HUB:Hub Co")
    cpo.manage("create_tenant", "cpo", "--name", "Charge Co", "--party", "NL:CPO:CPO:Charge Co")
    emsp.manage("create_tenant", "emsp", "--name", "Drive Co", "--party", "DE:EMS:EMSP:Drive Co")

    # Both register with the hub, and only with it; each learns of the other from its Hub Client Info.
    join_hub(hub, cpo, "cpo")
    join_hub(hub, emsp, "emsp")
    for instance, slug in ((cpo, "cpo"), (emsp, "emsp")):
        [row] = json.loads(instance.manage("partner_status", slug, "--json"))
        assert (row["name"], row["status"], row["version"]) == ("hub", "REGISTERED", VERSION)
    emsp.manage("sync_partner", "emsp", "hub", "--module", "hubclientinfo", "--json")
    cpo.manage("sync_partner", "cpo", "hub", "--module", "hubclientinfo", "--json")
    [emsp_view] = json.loads(emsp.manage("partner_status", "emsp", "--json"))
    assert "NL*CPO CPO" in emsp_view["parties"]

    # The eMSP's tokens reach the CPO through the hub (Broadcast Push), the CPO's data the eMSP.
    seed(emsp, "seed_emsp('emsp')")
    wait_for(lambda: len(objects(cpo, "cpo", "tokens")) == 3, timeout=30)
    seed(cpo, f"seed_cpo('cpo', 'DE', 'EMS', {UIDS!r})")
    wait_for(lambda: len(objects(emsp, "emsp", "locations")) == 5, timeout=30)
    assert {row["partner"] for row in objects(emsp, "emsp", "locations")} == {"hub"}

    # GET All via the hub: the eMSP's full pull of the hub's locations lists the CPO's.
    synced = json.loads(emsp.manage("sync_partner", "emsp", "hub", "--module", "locations", "--full", "--json"))
    assert [(row["module"], row["objects"]) for row in synced if row["direction"] == "pull"] == [("locations", 5)]

    # An addressed GET: forwarded to the CPO, its answer back with the routing headers swapped.
    token = shell(emsp, "token_to('emsp', 'hub')")["token"]
    answer = ask_hub(hub, token, "sender/locations/CPO-LOC0", "NL*CPO")
    assert (answer.status_code, answer.json()["status_code"]) == (200, 1000)
    assert (answer.json()["data"]["id"], answer.json()["data"]["party_id"]) == ("CPO-LOC0", "CPO")
    assert (answer.headers["OCPI-from-party-id"], answer.headers["OCPI-to-party-id"]) == ("CPO", "EMS")
    assert answer.headers["X-Correlation-ID"] == "e2e-corr"
    # The X-Correlation-ID end to end in the access logs: the eMSP's request at the hub, the hub's at the CPO.
    # A line reaches the log file when its process gets to write it, which under load can be after the answer.
    wait_for(
        lambda: hub.log_lines(
            "roaming.access", f"GET /ocpi/hub/{VERSION}/sender/locations/CPO-LOC0 200", "corr=e2e-corr"
        )
    )
    wait_for(
        lambda: cpo.log_lines(
            "roaming.access", f"GET /ocpi/cpo/{VERSION}/sender/locations/CPO-LOC0 200", "corr=e2e-corr"
        )
    )

    # An EVSE status push from the CPO reaches the eMSP.
    shell(cpo, "evse_status('cpo', 'CPO-LOC3-1', 'OUTOFORDER')")

    def evse_status_at_emsp():
        [location] = [row for row in objects(emsp, "emsp", "locations") if row["location_id"] == "CPO-LOC3"]
        return next(e["status"] for e in location["evses"] if e["uid"] == "CPO-LOC3-1")

    wait_for(lambda: evse_status_at_emsp() == "OUTOFORDER", timeout=30)
    # The push's X-Correlation-ID, begun by the CPO's delivery (the change came from no request): the request that
    # brought the status to the eMSP has the id of the CPO's request to the hub that passed it on. (A PATCH, or
    # the location's PUT if the status change folded into one still owed.)
    *_, arrived = wait_for(
        lambda: emsp.log_lines("roaming.access", f"/ocpi/emsp/{VERSION}/receiver/locations/NL/CPO/CPO-LOC3")
    )
    correlation = re.search(r"corr=(\S+)\]", arrived).group(1)
    wait_for(
        lambda: hub.log_lines("roaming.access", f"/ocpi/hub/{VERSION}/receiver/locations/NL/CPO/CPO-LOC3", correlation)
    )

    # Real-time authorization from the CPO reaches the eMSP and its answer comes back.
    decision = shell(cpo, "authorize('cpo', 'EMS000000')")
    assert (decision["allowed"], decision["source"]) == (True, "eMSP")
    assert decision["reference"]

    # A remote START and STOP: sent to the hub, routed to the CPO, results back through the hub's response URL.
    started = emsp.manage(
        "send_command", "emsp", "hub", "START_SESSION", "--token", "EMS000000", "--location", "CPO-LOC2",
        "--evse", "CPO-LOC2-1", "--wait", "--json",
    )  # fmt: skip
    assert json.loads(started.splitlines()[-1])["result"] == "ACCEPTED"
    wait_for(
        lambda: any(
            s["status"] == "ACTIVE" and s["location_id"] == "CPO-LOC2" for s in objects(emsp, "emsp", "sessions")
        ),
        timeout=30,
    )
    [session] = [
        s for s in objects(emsp, "emsp", "sessions") if s["status"] == "ACTIVE" and s["location_id"] == "CPO-LOC2"
    ]
    stopped = emsp.manage(
        "send_command", "emsp", "hub", "STOP_SESSION", "--session", session["session_id"], "--wait", "--json"
    )
    assert json.loads(stopped.splitlines()[-1])["result"] == "ACCEPTED"
    assert {c["result"] for c in objects(emsp, "emsp", "commands")} == {"ACCEPTED"}

    # The hub forwarded the commands and relayed both results; counted per party.
    seen = shell(hub, "routed('hub')")
    assert seen["relays"] == [["commands", 1], ["commands", 1]]
    assert seen["routes"]["NL*CPO"][0] >= 3  # the addressed GET, START, STOP

    # The CDR of the CPO's ended session reaches the eMSP, addressed to it through the hub.
    wait_for(lambda: any(c["party_id"] == "CPO" for c in objects(emsp, "emsp", "cdrs")), timeout=30)

    # The hub's own answers: an unknown party, one offline per Hub Client Info, one that does not answer in time.
    unknown = ask_hub(hub, token, "sender/locations/CPO-LOC0", "SE*XYZ").json()
    assert (unknown["status_code"], unknown["status_message"]) == (
        4001,
        "Party SE*XYZ in OCPI-to is not connected to this hub",
    )
    slow = Peer()
    try:
        slow.delay = 3
        slow.ok("/locations/LOC9", {"id": "LOC9"})
        shell(hub, f"connect_party('hub', 'gone', 'FR:GON:CPO', {slow.url!r}, status='SUSPENDED')")
        shell(hub, f"connect_party('hub', 'slow', 'BE:SLO:CPO', {slow.url!r}, status='REGISTERED', timeout=1)")
        offline = ask_hub(hub, token, "sender/locations/LOC9", "FR*GON").json()
        assert (offline["status_code"], offline["status_message"]) == (
            4003,
            "Party FR*GON in OCPI-to is OFFLINE at this hub",
        )
        assert slow.requests == []
        timed_out = ask_hub(hub, token, "sender/locations/LOC9", "BE*SLO").json()
        assert (timed_out["status_code"], timed_out["status_message"]) == (
            4002,
            "Party BE*SLO did not answer within 1 s",
        )
        wait_for(lambda: [r["path"] for r in slow.requests] == ["/locations/LOC9"], timeout=10)  # it did get it
    finally:
        slow.stop()
