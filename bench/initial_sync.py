"""Initial sync benchmark: a newly registered partner is pushed a CPO's whole network, timed from the handshake.

    .venv/bin/python bench/initial_sync.py [--locations 10000] [--changes 0] [--workers 2] [--concurrency 2]

The partner is an OCPI 2.2.1 eMSP on loopback (a child process: an HTTP/1.1 server with keep-alive on
one asyncio loop) that answers the credentials handshake and stores every location, EVSE and connector it
receives; it never pulls. The CPO tenant holds N locations x 4 EVSEs x 2 connectors in PostgreSQL;
Celery workers on Redis run with the project's settings. The bench registers the tenant with the
partner (handshake.register_with_partner, as the admin's Register button's task does) and waits until
the partner holds every location, EVSE and connector. With `--changes N`, from the moment the handshake
returns, N EVSE status changes are made one transaction each (set_evse_status): at the end
every EVSE status the partner holds must be ours. The partner server's own ceiling is measured
afterwards with the same bodies from two client processes of four keep-alive connections each.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import (  # noqa: E402
    bench_database,
    cpu_seconds,
    free_port,
    start_workers,
    wait_for_workers,
    worker_cpu,
)

OK = b'{"status_code": 1000, "status_message": "Success", "timestamp": "2026-01-01T00:00:00Z"}'
UNKNOWN = b'{"status_code": 2003, "status_message": "Unknown location", "timestamp": "2026-01-01T00:00:00Z"}'


# -- the partner -----------------------------------------------------------------------------------------------


def serve_partner(port: int) -> None:
    """An eMSP that registers in 2.2.1 and keeps what it is pushed (run in a child process): HTTP/1.1 with
    keep-alive on one asyncio loop, parsed by hand, so the partner takes little of the CPU it shares with the
    platform on this machine (its ceiling is measured by the bench)."""
    import asyncio

    base = f"http://127.0.0.1:{port}"
    held: dict[str, dict] = {}
    counts: Counter = Counter()
    stamps: dict[str, float] = {}

    def envelope(data) -> bytes:
        return json.dumps({"data": data, "status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}).encode()

    fixed = {
        "/versions": envelope([{"version": "2.2.1", "url": f"{base}/2.2.1"}]),
        "/2.2.1": envelope(
            {
                "version": "2.2.1",
                "endpoints": [
                    {"identifier": "credentials", "role": "RECEIVER", "url": f"{base}/credentials"},
                    {"identifier": "locations", "role": "RECEIVER", "url": f"{base}/locations"},
                ],
            }
        ),
    }
    credentials = envelope(
        {
            "token": "token-c-of-the-bench-partner",
            "url": f"{base}/versions",
            "roles": [{"role": "EMSP", "country_code": "DE", "party_id": "BEN", "business_details": {"name": "Bench"}}],
        }
    )

    size: dict[str, tuple[int, int]] = {}  # EVSEs and connectors of each location held, so /stats costs nothing

    def sizes(location: dict) -> tuple[int, int]:
        return len(location["evses"]), sum(len(e.get("connectors", [])) for e in location["evses"])

    def get(path: str) -> tuple[int, bytes]:
        if path == "/stats":
            evses, connectors = sum(n for n, _ in size.values()), sum(n for _, n in size.values())
            return 200, json.dumps(
                {"locations": len(held), "evses": evses, "connectors": connectors, **counts, **stamps}
            ).encode()
        if path == "/statuses":
            return 200, json.dumps({e["uid"]: e["status"] for loc in held.values() for e in loc["evses"]}).encode()
        if path == "/sample":
            return 200, json.dumps(next(iter(held.values()), None)).encode()
        return 200, fixed.get(path, OK)

    def put(path: str, body: dict) -> tuple[int, bytes]:
        parts = path.split("?")[0].split("/")[2:]  # /locations/CC/PID/LOC[/EVSE[/CONNECTOR]]
        counts[f"PUT {len(parts)}"] += 1
        stamps.setdefault("first_at", time.time())
        stamps["last_at"] = time.time()
        key = "/".join(parts[:3])
        if len(parts) == 3:
            held[key] = body
        elif key in held and len(parts) == 4:
            held[key]["evses"] = [e for e in held[key]["evses"] if e["uid"] != parts[3]] + [body]
        if key in held:
            size[key] = sizes(held[key])
        return 200, OK

    def patch(path: str, body: dict) -> tuple[int, bytes]:
        parts = path.split("?")[0].split("/")[2:]
        counts[f"PATCH {len(parts)}"] += 1
        stamps["last_at"] = time.time()
        location = held.get("/".join(parts[:3]))
        evse = next((e for e in (location or {}).get("evses", []) if len(parts) == 4 and e["uid"] == parts[3]), None)
        if evse is None:
            counts["PATCH of an object not held"] += 1
            return 404, UNKNOWN
        evse.update(body)
        return 200, OK

    def answer(method: str, path: str, raw: bytes) -> tuple[int, bytes]:
        if method == "GET":
            return get(path)
        if method == "POST":
            return 200, credentials
        if method == "PUT":
            return put(path, json.loads(raw))
        if method == "PATCH":
            return patch(path, json.loads(raw))
        return 200, OK

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                length = next((int(h[15:]) for h in header_lines if h[:15].lower() == "content-length:"), 0)
                raw = await reader.readexactly(length) if length else b""
                status, payload = answer(method, path, raw)
                writer.write(
                    b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (status, b"OK" if status == 200 else b"Not Found", len(payload), payload)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(connection, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def partner_get(base: str, path: str):
    import requests

    return requests.get(f"{base}{path}", timeout=30).json()


def _ceiling_client(job) -> int:
    base, body, seconds = job
    import requests

    sent = 0
    done = threading.Event()

    def loop(n: int):
        nonlocal sent
        session = requests.Session()
        count = 0
        while not done.is_set():
            session.put(
                f"{base}/locations/DE/CEIL/L{n}-{count}", data=body, headers={"Content-Type": "application/json"}
            )
            count += 1
        sent += count

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    done.set()
    for thread in threads:
        thread.join()
    return sent


# -- the platform ----------------------------------------------------------------------------------------------


def seed(count: int) -> None:
    """The CPO tenant's network: `count` locations x 4 EVSEs x 2 connectors, quiet for a day."""
    from partners.services import PartySpec, provision_tenant
    from roaming.models import Connector, Evse, Location

    quiet = datetime.now(UTC) - timedelta(days=1)
    cpo = provision_tenant(slug="cpo", name="CPO", parties=[PartySpec("NL", "CPO", "CPO")])
    for start in range(0, count, 2000):
        made = Location.objects.bulk_create(
            Location(
                tenant=cpo,
                country_code="NL",
                party_id="CPO",
                location_id=f"L{i}",
                name=f"Station {i}",
                address=f"Street {i}",
                city="Utrecht",
                postal_code="3511",
                country="NLD",
                latitude=f"52.{i:05d}0",
                longitude=f"5.{i:05d}0",
                parking_type="ON_STREET",
                time_zone="Europe/Amsterdam",
                facilities=["CAFE"],
                last_updated=quiet,
            )
            for i in range(start, min(start + 2000, count))
        )
        evses = Evse.objects.bulk_create(
            Evse(
                tenant=cpo,
                location=location,
                uid=f"{location.location_id}-{n}",
                evse_id=f"NL*CPO*E{location.location_id}{n}",
                status="AVAILABLE",
                capabilities=["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
                last_updated=quiet,
                position=n,
            )
            for location in made
            for n in range(4)
        )
        Connector.objects.bulk_create(
            Connector(
                tenant=cpo,
                evse=evse,
                connector_id=str(c),
                standard="IEC_62196_T2",
                format="SOCKET",
                power_type="AC_3_PHASE",
                max_voltage=230,
                max_amperage=32,
                max_electric_power=22000,
                tariff_ids=["AC"],
                last_updated=quiet,
                position=c - 1,
            )
            for evse in evses
            for c in (1, 2)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=0, help="EVSE status changes made during the push")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes per worker")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--ceiling-seconds", type=float, default=8)
    args = parser.parse_args()

    port = free_port()
    partner_process = multiprocessing.get_context("spawn").Process(target=serve_partner, args=(port,), daemon=True)
    partner_process.start()
    base = f"http://127.0.0.1:{port}"
    with bench_database(f"roaming_bench_initial_sync_{os.getpid()}") as database_url:
        from django.db.models import Count

        from partners import handshake
        from partners.models import Partner, Tenant
        from roaming.models import Delivery, Evse, InitialSync
        from roaming.services import initialsync, locations

        started = time.perf_counter()
        seed(args.locations)
        seeded = time.perf_counter() - started
        cpo = Tenant.objects.get(slug="cpo")
        partner = Partner.objects.create(
            tenant=cpo, name="bench-emsp", versions_url=f"{base}/versions", token_to_them="token-a"
        )
        evse_ids = list(Evse.objects.values_list("pk", flat=True))
        rng = random.Random(11)
        burst = [rng.choice(evse_ids) for _ in range(args.changes)]
        choices = ["CHARGING", "AVAILABLE", "BLOCKED", "OUTOFORDER"]
        workers = start_workers(args.workers, args.concurrency, database_url, name="init")
        try:
            wait_for_workers(len(workers))
            cpu_before = worker_cpu(workers)
            partner_cpu_before = cpu_seconds(partner_process.pid)
            started = time.perf_counter()
            result = handshake.register_with_partner(partner=partner)
            handshake_seconds = time.perf_counter() - started
            assert result.succeeded, result.error
            changes_started = time.perf_counter()
            for n, evse_id in enumerate(burst):
                evse = Evse.objects.select_related("location", "tenant").get(pk=evse_id)
                locations.set_evse_status(evse=evse, status=choices[n % len(choices)])
            changes_seconds = time.perf_counter() - changes_started
            want = {"locations": args.locations, "evses": 4 * args.locations, "connectors": 8 * args.locations}
            while True:
                stats = partner_get(base, "/stats")
                if all(stats[k] == v for k, v in want.items()):
                    break
                if time.perf_counter() - started > args.timeout:
                    raise RuntimeError(f"the partner holds {stats} after {args.timeout:.0f} s")
                time.sleep(0.1)
            holds_all = time.perf_counter() - started
            while Delivery.objects.filter(status__in=["PENDING", "SENDING"]).exists():
                if time.perf_counter() - started > args.timeout:
                    raise RuntimeError("the outbox did not drain")
                time.sleep(0.05)
            drained = time.perf_counter() - started
            cpu = worker_cpu(workers) - cpu_before
            partner_cpu = cpu_seconds(partner_process.pid) - partner_cpu_before
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
        stats = partner_get(base, "/stats")
        theirs = partner_get(base, "/statuses")
        ours = dict(Evse.objects.values_list("uid", "status"))
        statuses_agree = theirs == ours
        by_status = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")))
        initialsync.settle()
        run = InitialSync.objects.get(partner=partner, direction="PUSH", module="locations")
        sample = json.dumps(partner_get(base, "/sample")).encode()

        jobs = [(base, sample, args.ceiling_seconds)] * 2
        ceiling_started = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
            ceiling = sum(pool.map(_ceiling_client, jobs)) / (time.perf_counter() - ceiling_started)
    partner_process.terminate()

    puts = stats.get("PUT 3", 0)
    patches = sum(v for k, v in stats.items() if k.startswith("PATCH "))
    push_seconds = stats["last_at"] - stats["first_at"]
    print(
        f"\nInitial sync: {args.locations:,} locations x 4 EVSEs x 2 connectors pushed to a newly registered 2.2.1 "
        f"partner on loopback (a child process storing what it receives, one asyncio loop), {args.workers} Celery "
        f"workers x "
        f"{args.concurrency} processes on Redis, PostgreSQL, {os.cpu_count()}-core machine, load average "
        f"{os.getloadavg()[0]:.2f} at the end (seeding took {seeded:.0f} s)\n"
    )
    print("| measure | result |")
    print("| --- | ---: |")
    print(
        f"| handshake (register_with_partner, the {args.locations:,} PUTs owed in its transaction) | "
        f"{handshake_seconds:.2f} s |"
    )
    print(f"| partner holds every location, EVSE and connector, from the handshake's start | **{holds_all:.1f} s** |")
    print(
        f"| first to last request the partner received | {push_seconds:.1f} s = "
        f"{(puts + patches) / max(push_seconds, 1e-9):,.0f} requests/s |"
    )
    print(f"| outbox drained (nothing pending or sending) after | {drained:.1f} s |")
    print(f"| requests received: PUT of a location / PATCH | {puts:,} / {patches:,} |")
    print(f"| PATCHes of an object the partner did not hold yet | {stats.get('PATCH of an object not held', 0):,} |")
    print(f"| status changes made meanwhile (one transaction each) | {args.changes:,} over {changes_seconds:.1f} s |")
    print(f"| every EVSE status the partner holds is ours | {'yes' if statuses_agree else 'NO'} |")
    print(f"| deliveries by status | {dict(sorted(by_status.items()))} |")
    print(f"| initial sync run: sent / total, failed | {run.sent:,} / {run.total:,}, {run.failed} |")
    for name, seconds in (("Celery workers", cpu), ("partner server", partner_cpu)):
        print(f"| CPU of the {name}, per location | {seconds:.1f} s, {seconds * 1000 / args.locations:.2f} ms |")
    print(
        f"| partner server ceiling (2 client processes x 4 keep-alive connections, same bodies) | "
        f"{ceiling:,.0f} requests/s |"
    )


if __name__ == "__main__":
    main()
