"""Locations benchmark: pages of 1000 locations served per second in both versions, and EVSE status
PATCHes accepted per second from 4 concurrent clients, each PATCH committed with its outbox rows.

    .venv/bin/python bench/locations.py [--locations 5000] [--pages 40] [--rounds 3] [--patches 2000]

Seeds N locations (4 EVSEs x 2 connectors each, with tariff ids) into a database of its own,
serves them with gunicorn on loopback and measures from client processes on the same machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import CpuMeter, bench_database, gunicorn, print_table, row, run_clients  # noqa: E402


def seed(count: int) -> dict:
    from partners.models import PartnerEndpoint
    from partners.services import PartySpec, provision_tenant
    from roaming.models import Connector, Evse, Location
    from tests.factories import make_partner

    now = datetime.now(UTC) - timedelta(days=1)  # a network that has been quiet for a while
    cpo = provision_tenant(slug="cpo", name="CPO", parties=[PartySpec("NL", "CPO", "CPO")])
    hub = provision_tenant(
        slug="hub", name="Hub", parties=[PartySpec("DE", "HUB", "HUB"), PartySpec("DE", "EMS", "EMSP")]
    )
    reader, read_token = make_partner(cpo, "DE:EMS:EMSP", name="reader")
    writer, write_token = make_partner(hub, "NL:CPO:CPO", name="writer")
    # The hub passes what it receives on: a downstream partner with a locations receiver gets outbox rows.
    downstream, _ = make_partner(hub, "FR:DWN:EMSP", name="downstream")
    PartnerEndpoint.objects.create(
        tenant=hub, partner=downstream, identifier="locations", role="RECEIVER", url="http://127.0.0.1:9/locations"
    )

    def build(tenant, partner, prefix):
        locations = [
            Location(
                tenant=tenant,
                partner=partner,
                country_code="NL",
                party_id="CPO",
                location_id=f"{prefix}{i}",
                name=f"Station {i}",
                address=f"Street {i}",
                city="Utrecht",
                postal_code="3511",
                country="NLD",
                latitude=f"52.{i % 100000:05d}0",
                longitude=f"5.{i % 100000:05d}0",
                parking_type="ON_STREET",
                time_zone="Europe/Amsterdam",
                facilities=["CAFE"],
                last_updated=now,
                opening_times={"twentyfourseven": True},
                operator={"name": "Bench CPO"},
            )
            for i in range(count)
        ]
        Location.objects.bulk_create(locations, batch_size=2000)
        evses = [
            Evse(
                tenant=tenant,
                location=loc,
                uid=f"{loc.location_id}-{n}",
                evse_id=f"NL*CPO*E{loc.location_id}{n}",
                status="AVAILABLE",
                capabilities=["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
                last_updated=now,
                position=n,
            )
            for loc in locations
            for n in range(4)
        ]
        Evse.objects.bulk_create(evses, batch_size=5000)
        Connector.objects.bulk_create(
            (
                Connector(
                    tenant=tenant,
                    evse=evse,
                    connector_id=str(n),
                    standard="IEC_62196_T2",
                    format="SOCKET",
                    power_type="AC_3_PHASE",
                    max_voltage=230,
                    max_amperage=32,
                    tariff_ids=["AC-1"],
                    last_updated=now,
                    position=n,
                )
                for evse in evses
                for n in (1, 2)
            ),
            batch_size=10000,
        )
        return evses

    build(cpo, None, "L")
    received = build(hub, writer, "R")
    return {"read_token": read_token, "write_token": write_token, "evses": [e.uid for e in received[:4000]]}


def _connection(base: str) -> http.client.HTTPConnection:
    host, port = base.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=30)


def page_client(job) -> list[float]:
    base, version, token, pages, total = job
    conn = _connection(base)
    latencies = []
    offsets = list(range(0, total, 1000))
    deadline = time.monotonic() + 120
    for index in range(pages):
        path = f"/ocpi/cpo/{version}/sender/locations?offset={offsets[index % len(offsets)]}&limit=1000"
        started = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Token {token}"})
        response = conn.getresponse()
        body = orjson.loads(response.read())
        latencies.append(time.perf_counter() - started)
        assert response.status == 200 and len(body["data"]) == 1000, body
        if time.monotonic() > deadline:
            break
    return latencies


def patch_client(job) -> list[float]:
    base, token, evses, count, seed_value = job
    rng = random.Random(seed_value)
    conn = _connection(base)
    latencies = []
    deadline = time.monotonic() + 120
    for _ in range(count):
        uid = rng.choice(evses)
        location_id = uid.rsplit("-", 1)[0]
        body = orjson.dumps(
            {
                "status": rng.choice(["AVAILABLE", "CHARGING", "BLOCKED"]),
                "last_updated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        started = time.perf_counter()
        conn.request(
            "PATCH",
            f"/ocpi/hub/2.2.1/receiver/locations/NL/CPO/{location_id}/{uid}",
            body=body,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        answer = orjson.loads(response.read())
        latencies.append(time.perf_counter() - started)
        assert response.status == 200 and answer["status_code"] == 1000, answer
        if time.monotonic() > deadline:
            break
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="walks of every page, all locations just changed")
    parser.add_argument("--patches", type=int, default=2000, help="PATCHes in all, spread over 4 clients")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip-pages", action="store_true", help="measure only the PATCHes")
    args = parser.parse_args()

    with bench_database(f"roaming_bench_locations_{os.getpid()}"):
        seeded = seed(args.locations)
        from django.db.models import F

        from roaming.models import Delivery, Location

        rows = []
        with gunicorn(workers=args.workers, threads=args.threads) as base:
            pages_in_all = args.locations // 1000
            for version in () if args.skip_pages else ("2.2.1", "2.1.1"):
                # Every location changed just now: none comes from the cache (incremental pulls see this).
                # Each round walks every page once, after every location changed again (--rounds).
                jobs = [(base, version, seeded["read_token"], pages_in_all, args.locations)]
                latencies, elapsed = [], 0.0
                with CpuMeter(base) as cpu:
                    for _ in range(args.rounds):
                        Location.objects.update(revision=F("revision") + 1, last_updated=datetime.now(UTC))
                        walked, seconds = run_clients(page_client, jobs)
                        latencies, elapsed = latencies + walked, elapsed + seconds
                rows.append(
                    row(
                        f"GET page of 1000, {version}, all just changed",
                        1000 * len(latencies),
                        elapsed,
                        latencies,
                        cpu=cpu,
                    )
                )
                # A quiet network: bodies are rendered once, then served from the cache (full syncs see this).
                Location.objects.update(last_updated=datetime.now(UTC) - timedelta(days=1))
                page_client(jobs[0])
                jobs = [(base, version, seeded["read_token"], args.pages, args.locations)]
                with CpuMeter(base) as cpu:
                    latencies, elapsed = run_clients(page_client, jobs)
                rows.append(
                    row(
                        f"GET page of 1000, {version}, quiet network",
                        1000 * len(latencies),
                        elapsed,
                        latencies,
                        cpu=cpu,
                    )
                )
            before = Delivery.objects.count()
            per_client = args.patches // 4
            with CpuMeter(base) as cpu:
                latencies, elapsed = run_clients(
                    patch_client, [(base, seeded["write_token"], seeded["evses"], per_client, n) for n in range(4)]
                )
            rows.append(row("PATCH EVSE status, 2.2.1 (4 clients)", len(latencies), elapsed, latencies, cpu=cpu))
            folded = Delivery.objects.count() - before
        print_table(
            f"Locations benchmark: {args.locations} locations x 4 EVSEs x 2 connectors, gunicorn {args.workers} "
            f"workers x {args.threads} threads, PostgreSQL, clients on the same {os.cpu_count()}-core machine",
            rows,
            [
                f"Page throughput counts locations (1000 per request). Each PATCH committed its outbox row for the "
                f"downstream partner in its own transaction ({folded} pending deliveries after folding per EVSE)."
            ],
        )


if __name__ == "__main__":
    main()
