"""Push fan-out benchmark: one change delivered to many registered partners.

    .venv/bin/python bench/fanout.py [--partners 1000] [--workers 2] [--concurrency 4]

Partners are answered by the keep-alive HTTP server of bench/deliveries.py in a process of its own;
Celery workers run on Redis against a database of the bench's own. Timed from the change's commit until
every partner's delivery is DELIVERED; the workers' CPU is read from /proc. Loopback only, bounded.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import (  # noqa: E402
    bench_database,
    free_port,
    party_id,
    start_workers,
    stop_workers,
    wait_for_workers,
    worker_cpu,
)
from bench.deliveries import METHODS, serve_partners  # noqa: E402


def wait_until_delivered(expected: int, timeout: float = 120) -> float:
    from roaming.models import Delivery, DeliveryStatus

    started = time.perf_counter()
    while Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() < expected:
        if time.perf_counter() - started > timeout:
            from django.db.models import Count

            counts = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")))
            errors = list(Delivery.objects.exclude(last_error="").values_list("last_error", flat=True)[:3])
            raise RuntimeError(f"deliveries did not finish in time: {counts} {errors}")
        time.sleep(0.01)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    counts = multiprocessing.Array("q", len(METHODS))
    port = free_port()
    server = multiprocessing.Process(target=serve_partners, args=(port, counts), daemon=True)
    server.start()
    peer = f"http://127.0.0.1:{port}"
    with bench_database(f"roaming_bench_fanout_{os.getpid()}") as database_url:
        from django.db import transaction

        from partners.models import PartnerEndpoint
        from partners.services import PartySpec, provision_tenant
        from roaming.models import Delivery, Evse
        from roaming.ocpi.dialects import get_dialect
        from roaming.services import locations
        from tests.factories import make_partner
        from tests.spec_examples import example_221

        cpo = provision_tenant(slug="cpo", name="CPO", parties=[PartySpec("NL", "CPO", "CPO")])
        for n in range(args.partners):
            partner, _ = make_partner(
                cpo,
                f"DE:{party_id(n)}:EMSP",
                name=f"emsp-{n}",
                token_to_them="t",
                version="2.2.1" if n % 2 else "2.1.1",
            )
            PartnerEndpoint.objects.create(
                tenant=cpo, partner=partner, identifier="locations", role="RECEIVER", url=f"{peer}/p{n}/locations"
            )
        wire = {**example_221("location_example.json"), "country_code": "NL", "party_id": "CPO"}
        data = get_dialect("2.2.1").module("locations").from_wire(wire)
        with transaction.atomic():
            locations.put_location(
                tenant=cpo, partner=None, country_code="NL", party_id="CPO", location_id="LOC1", data=data
            )
        Delivery.objects.all().delete()  # the creation is not what is measured

        workers = start_workers(args.workers, args.concurrency, database_url, name="fanout")
        try:
            wait_for_workers(len(workers))
            cpu_before = worker_cpu(workers)
            evse = Evse.objects.filter(uid="3256").first()
            with transaction.atomic():
                locations.set_evse_status(evse=evse, status="CHARGING")
            fan_out = wait_until_delivered(args.partners)
            spent = worker_cpu(workers) - cpu_before
        finally:
            stop_workers(workers)
        server.terminate()
        print(
            f"\nPush fan-out: {args.partners} partners (half 2.1.1, half 2.2.1), {args.workers} Celery workers x "
            f"{args.concurrency} processes, Redis, PostgreSQL, partners answered on loopback (keep-alive), "
            f"{os.cpu_count()}-core machine, load average {os.getloadavg()[0]:.2f} at the end\n"
        )
        print("| measure | result |")
        print("| --- | ---: |")
        print(f"| one EVSE status change delivered to all {args.partners} partners | {fan_out:.2f} s |")
        print(f"| CPU of the Celery workers per delivery | {spent / args.partners * 1000:.2f} ms |")
        print(f"| requests the partners received | {sum(counts):,} |")


if __name__ == "__main__":
    main()
