"""Push fan-out benchmark: one change delivered to 100 registered partners.

    .venv/bin/python bench/fanout.py [--partners 100] [--workers 2] [--concurrency 4]

Partners are answered by a local HTTP server in this process; Celery workers run on Redis against
a database of the bench's own. Loopback only, bounded.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import ROOT, bench_database  # noqa: E402

ANSWER = b'{"status_code": 1000, "status_message": "Success", "timestamp": "2026-01-01T00:00:00Z"}'


class Partners(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    do_PUT = do_PATCH = do_POST = _answer


def wait_until_delivered(expected: int, timeout: float = 60) -> float:
    from roaming.models import Delivery, DeliveryStatus

    started = time.perf_counter()
    while Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() < expected:
        if time.perf_counter() - started > timeout:
            from django.db.models import Count

            counts = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")))
            errors = list(Delivery.objects.exclude(last_error="").values_list("last_error", flat=True)[:3])
            raise RuntimeError(f"deliveries did not finish in time: {counts} {errors}")
        time.sleep(0.02)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Partners)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    peer = f"http://127.0.0.1:{server.server_port}"
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
                f"DE:E{n:02d}:EMSP" if n < 100 else "DE:EXX:EMSP",
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

        queue = os.environ["CELERY_TASK_DEFAULT_QUEUE"]
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    queue,
                    "--concurrency",
                    str(args.concurrency),
                    "--loglevel",
                    "WARNING",
                    "-n",
                    f"bench{n}-{os.getpid()}@%h",
                ],
                cwd=ROOT,
                env={**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for n in range(args.workers)
        ]
        try:
            time.sleep(6)  # workers up
            evse = Evse.objects.filter(uid="3256").first()
            with transaction.atomic():
                locations.set_evse_status(evse=evse, status="CHARGING")
            fan_out = wait_until_delivered(args.partners)

        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
        server.shutdown()
        print(
            f"\nPush fan-out: {args.partners} partners (half 2.1.1, half 2.2.1), {args.workers} Celery workers x "
            f"{args.concurrency} processes, Redis, PostgreSQL, partners answered on loopback, "
            f"{os.cpu_count()}-core machine\n"
        )
        print("| measure | result |")
        print("| --- | ---: |")
        print(f"| one EVSE status change delivered to all {args.partners} partners | {fan_out:.2f} s |")


if __name__ == "__main__":
    main()
