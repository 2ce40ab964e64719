"""Sustained push benchmark: a burst of EVSE status changes delivered to many partners until the outbox is drained.

    .venv/bin/python bench/deliveries.py [--partners 20] [--evses 2000] [--changes 5000] [--workers 2]

N partners (half 2.1.1, half 2.2.1), each with a locations receiver answered by one fast HTTP
server on loopback (a thread of this process, counting what it receives). The CPO tenant's
EVSEs change status one transaction at a time (set_evse_status, as a charge point backend would);
Celery workers on Redis deliver meanwhile. Measured from the first change until no delivery is
pending or being sent. While a delivery of an EVSE is pending for a partner, further changes of
that EVSE fold into it, so partners receive fewer requests than changes x partners: the table
checks that every change is accounted for and that requests received match deliveries made.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import (  # noqa: E402
    bench_database,
    cpu_seconds,
    free_port,
    party_id,
    start_workers,
    stop_workers,
    wait_for_workers,
    worker_cpu,
)

ANSWER = b'{"status_code": 1000, "status_message": "Success", "timestamp": "2026-01-01T00:00:00Z"}'
METHODS = ("PATCH", "PUT", "POST")


class Partners(BaseHTTPRequestHandler):
    """Every partner: answers success to whatever arrives and counts it by method (in shared memory, since the
    server runs in a process of its own: one sharing the bench's interpreter would be its bottleneck)."""

    protocol_version = "HTTP/1.1"
    # One segment per answer, sent at once: with Nagle's algorithm a keep-alive client waits ~40 ms for the
    # delayed ACK of the headers before the body follows, and the server, not the platform, would be measured.
    disable_nagle_algorithm = True
    counts = None  # multiprocessing.Array, one slot per METHODS

    def log_message(self, *args):
        pass

    def _answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.counts.get_lock():
            self.counts[METHODS.index(self.command)] += 1
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(ANSWER)}\r\n\r\n").encode()
        self.wfile.write(head + ANSWER)

    do_PUT = do_PATCH = do_POST = _answer


class _PartnersServer(ThreadingHTTPServer):
    # Many partners call in at once, each on a new connection: the standard library's backlog of 5 would refuse
    # them (counted as unreachable partners), where a web server's listen queue holds hundreds.
    request_queue_size = 1024


def serve_partners(port: int, counts) -> None:
    Partners.counts = counts
    _PartnersServer(("127.0.0.1", port), Partners).serve_forever()


def ceiling(base: str, seconds: float = 3.0) -> float:
    """PATCHes per second the partner server takes from 4 keep-alive clients: what the figure is capped by."""
    import requests

    sent = []

    def loop():
        session, count, deadline = requests.Session(), 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            session.patch(f"{base}/ceiling/locations/NL/CPO/L0/E1", data=b"{}")
            count += 1
        sent.append(count)

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(sent) / seconds


def seed(evse_count: int, partner_count: int, peer: str) -> list[int]:
    """The CPO tenant with evse_count EVSEs (4 per location) and the partners; returns the EVSE ids."""
    from partners.models import PartnerEndpoint
    from partners.services import PartySpec, provision_tenant
    from roaming.models import Connector, Evse, Location
    from tests.factories import make_partner

    quiet = datetime.now(UTC) - timedelta(days=1)
    cpo = provision_tenant(slug="cpo", name="CPO", parties=[PartySpec("NL", "CPO", "CPO")])
    for n in range(partner_count):
        partner, _ = make_partner(
            cpo, f"DE:{party_id(n)}:EMSP", name=f"emsp-{n}", token_to_them="t", version="2.2.1" if n % 2 else "2.1.1"
        )
        PartnerEndpoint.objects.create(
            tenant=cpo, partner=partner, identifier="locations", role="RECEIVER", url=f"{peer}/p{n}/locations"
        )
    locations = Location.objects.bulk_create(
        Location(
            tenant=cpo,
            country_code="NL",
            party_id="CPO",
            location_id=f"L{i}",
            address=f"Street {i}",
            city="Utrecht",
            country="NLD",
            latitude="52.090000",
            longitude="5.120000",
            time_zone="Europe/Amsterdam",
            last_updated=quiet,
        )
        for i in range((evse_count + 3) // 4)
    )
    evses = Evse.objects.bulk_create(
        Evse(
            tenant=cpo,
            location=location,
            uid=f"{location.location_id}-{n}",
            status="AVAILABLE",
            last_updated=quiet,
            position=n,
        )
        for location in locations
        for n in range(4)
    )[:evse_count]
    Connector.objects.bulk_create(
        Connector(
            tenant=cpo,
            evse=evse,
            connector_id="1",
            standard="IEC_62196_T2",
            format="SOCKET",
            power_type="AC_3_PHASE",
            max_voltage=230,
            max_amperage=32,
            last_updated=quiet,
        )
        for evse in evses
    )
    return [evse.pk for evse in evses]


def statuses() -> dict[str, int]:
    from django.db.models import Count

    from roaming.models import Delivery

    return dict(Delivery.objects.values_list("status").annotate(n=Count("pk")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--evses", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes per worker")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    counts = multiprocessing.Array("q", len(METHODS))
    port = free_port()
    server = multiprocessing.Process(target=serve_partners, args=(port, counts), daemon=True)
    server.start()
    peer = f"http://127.0.0.1:{port}"
    time.sleep(0.5)
    server_ceiling = ceiling(peer)
    for n in range(len(METHODS)):
        counts[n] = 0
    with bench_database(f"roaming_bench_deliveries_{os.getpid()}") as database_url:
        from django.db.models import Sum

        from roaming.models import Delivery, DeliveryStatus, Evse
        from roaming.services import locations

        evse_ids = seed(args.evses, args.partners, peer)
        rng = random.Random(7)
        burst = [rng.choice(evse_ids) for _ in range(args.changes)]
        choices = ["AVAILABLE", "CHARGING", "BLOCKED", "OUTOFORDER"]
        workers = start_workers(args.workers, args.concurrency, database_url, name="deliv")
        try:
            wait_for_workers(len(workers))
            cpu_before = worker_cpu(workers)
            server_cpu_before = cpu_seconds(server.pid)
            started = time.perf_counter()
            for n, evse_id in enumerate(burst):
                evse = Evse.objects.select_related("location", "tenant").get(pk=evse_id)
                locations.set_evse_status(evse=evse, status=choices[n % len(choices)])
            burst_seconds = time.perf_counter() - started
            while True:
                now = statuses()
                if not now.get(DeliveryStatus.PENDING) and not now.get(DeliveryStatus.SENDING):
                    break
                if time.perf_counter() - started > args.timeout:
                    raise RuntimeError(f"the outbox did not drain in {args.timeout:.0f} s: {now}")
                time.sleep(0.05)
            drained = time.perf_counter() - started
            spent = worker_cpu(workers) - cpu_before
            server_spent = cpu_seconds(server.pid) - server_cpu_before
        finally:
            stop_workers(workers)
        server.terminate()
        final = statuses()
        delivered = final.get(DeliveryStatus.DELIVERED, 0)
        superseded = final.get(DeliveryStatus.SUPERSEDED, 0)
        failed = final.get(DeliveryStatus.FAILED, 0)
        changes_delivered = (
            Delivery.objects.filter(status=DeliveryStatus.DELIVERED).aggregate(n=Sum("changes"))["n"] or 0
        )
        objects = Delivery.objects.values("partner_id", "object_path").distinct().count()
        # A delivery whose object has nothing to say to the partner any more is DELIVERED without a request.
        unsent = Delivery.objects.filter(status=DeliveryStatus.DELIVERED, last_http_status__isnull=True).count()
        by_method = {method: counts[n] for n, method in enumerate(METHODS) if counts[n]}
        received = sum(by_method.values())
        owed = args.changes * args.partners

    print(
        f"\nSustained deliveries: {args.changes:,} EVSE status changes touching {len(set(burst)):,} of "
        f"{len(evse_ids):,} EVSEs, one "
        f"transaction each, {args.partners} partners (half 2.1.1, half 2.2.1) answered on loopback, "
        f"{args.workers} Celery workers x {args.concurrency} processes on Redis, PostgreSQL, "
        f"{os.cpu_count()}-core machine, load average {os.getloadavg()[0]:.2f} at the end\n"
    )
    print("| measure | result |")
    print("| --- | ---: |")
    rate = args.changes / burst_seconds
    print(f"| changes made (burst of {args.changes:,}) | {rate:,.0f}/s over {burst_seconds:.1f} s |")
    print(f"| outbox drained after | {drained:.1f} s |")
    print(f"| deliveries completed (DELIVERED) | {delivered:,} = {delivered / drained:,.0f}/s |")
    print(f"| requests the partners received | {received:,} ({dict(by_method)}) |")
    print(f"| DELIVERED with nothing to send (object gone or not expressible: no request) | {unsent:,} |")
    print(f"| SUPERSEDED (handed to a newer pending delivery, not sent) / FAILED | {superseded:,} / {failed:,} |")
    print(f"| CPU of the Celery workers per delivery | {spent / max(delivered, 1) * 1000:.2f} ms |")
    print(f"| CPU of the partner server per request | {server_spent / max(received, 1) * 1000:.2f} ms |")
    print(f"| partner server's ceiling (4 keep-alive clients, alone) | {server_ceiling:,.0f}/s |")
    print(f"| changes owed (changes x partners) | {owed:,} |")
    print(f"| changes carried by delivered requests (sum of folded changes) | {changes_delivered:,} |")
    print(f"| (partner, EVSE) pairs touched | {objects:,} |")
    checks = [
        ("requests received == DELIVERED - nothing to send", received == delivered - unsent),
        ("changes carried == changes owed: nothing lost", changes_delivered == owed),
        ("no delivery FAILED", failed == 0),
    ]
    print("\n" + "; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in checks) + ".")
    print(
        f"\nFewer requests than changes x partners is folding, not loss: a change to an EVSE that already has a "
        f"delivery pending for a partner joins that delivery ({owed - delivered:,} changes rode along with "
        f"another). At least one request per (partner, EVSE) pair is due, and DELIVERED is between that "
        f"({objects:,}) and the {owed:,} changes owed. A delivery becomes SUPERSEDED only when its attempt "
        f"failed (or its worker died) while a newer change of its object was already pending: it hands its "
        f"changes to that row and sends nothing more, so it counts no request."
    )


if __name__ == "__main__":
    main()
