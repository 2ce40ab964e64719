"""Hanging partners: how long healthy partners wait for their deliveries while other partners hang.

    .venv/bin/python bench/hanging.py [--healthy 10] [--hanging 10] [--seconds 20] [--rate 10]

Two runs (three with --without-breaker), each in a database of its own: first every partner healthy, then
`--hanging` more partners whose server never answers within the workers' read timeout. Meanwhile EVSE
statuses change at `--rate` a second (one set_evse_status transaction each, every change owed to every
partner); 2 Celery workers x 2 processes on Redis deliver. The figure is each healthy partner's delivery
latency: from the delivery's recording (its first change) until it was recorded DELIVERED.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import (  # noqa: E402
    bench_database,
    free_port,
    percentile,
    start_workers,
    stop_workers,
    wait_for_workers,
    worker_cpu,
)
from bench.deliveries import ANSWER, seed  # noqa: E402

READ_TIMEOUT = 2.0  # the workers' OCPI_CLIENT_READ_TIMEOUT in this bench (30 s by default)


class Partners(BaseHTTPRequestHandler):
    """Partner n is /p{n}/...: those from `hanging_from` on take far longer than the read timeout to answer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    hanging_from = 10**9

    def log_message(self, *args):
        pass

    def _answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if int(self.path.split("/")[1].removeprefix("p")) >= self.hanging_from:
            time.sleep(READ_TIMEOUT * 5)
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(ANSWER)}\r\n\r\n"
        self.wfile.write(head.encode() + ANSWER)

    do_PUT = do_PATCH = do_POST = _answer


def serve(port: int, hanging_from: int) -> None:
    Partners.hanging_from = hanging_from
    server = ThreadingHTTPServer(("127.0.0.1", port), Partners)
    server.daemon_threads = True
    server.serve_forever()


def run(name: str, healthy: int, hanging: int, args, extra_env: dict[str, str]) -> dict:
    port = free_port()
    server = multiprocessing.Process(target=serve, args=(port, healthy), daemon=True)
    server.start()
    saved = {key: os.environ.get(key) for key in extra_env}
    os.environ.update({"OCPI_CLIENT_READ_TIMEOUT": str(READ_TIMEOUT), **extra_env})
    try:
        with bench_database(f"roaming_bench_hanging_{os.getpid()}") as database_url:
            from roaming.models import Delivery, DeliveryStatus, Evse
            from roaming.services import locations

            evse_ids = seed(400, healthy + hanging, f"http://127.0.0.1:{port}")
            healthy_names = [f"emsp-{n}" for n in range(healthy)]
            workers = start_workers(2, 2, database_url, name="hang")
            try:
                wait_for_workers(len(workers))
                cpu_before = worker_cpu(workers)
                rng, statuses = random.Random(7), ["AVAILABLE", "CHARGING", "BLOCKED", "OUTOFORDER"]
                started = time.perf_counter()
                for n in range(int(args.seconds * args.rate)):
                    while time.perf_counter() < started + n / args.rate:
                        time.sleep(0.005)
                    evse = Evse.objects.select_related("location", "tenant").get(pk=rng.choice(evse_ids))
                    locations.set_evse_status(evse=evse, status=statuses[n % len(statuses)])
                to_healthy = Delivery.objects.filter(partner__name__in=healthy_names)
                unfinished = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
                while to_healthy.filter(status__in=unfinished).exists():
                    if time.perf_counter() - started > args.seconds + 300:
                        raise RuntimeError("healthy partners' deliveries did not finish")
                    time.sleep(0.1)
                spent = worker_cpu(workers) - cpu_before
                delivered = list(
                    to_healthy.filter(status=DeliveryStatus.DELIVERED).values_list("created", "delivered_at")
                )
                to_hanging = Delivery.objects.exclude(partner__name__in=healthy_names)
                hanging_delivered = to_hanging.filter(status=DeliveryStatus.DELIVERED).count()
                hanging_requests = sum(to_hanging.values_list("attempts", flat=True))
            finally:
                stop_workers(workers, timeout=5)
    finally:
        server.terminate()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    latencies = [(done - created).total_seconds() for created, done in delivered]
    return {
        "name": name,
        "delivered": len(latencies),
        "p50": statistics.median(latencies) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "cpu": spent * 1000 / max(len(latencies), 1),
        "hanging_attempts": hanging_requests,
        "hanging_delivered": hanging_delivered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthy", type=int, default=10)
    parser.add_argument("--hanging", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=10, help="EVSE status changes per second")
    parser.add_argument("--without-breaker", action="store_true", help="also a run with the breaker turned off")
    args = parser.parse_args()
    runs = [
        run(f"{args.healthy} healthy partners alone", args.healthy, 0, args, {}),
        run(f"{args.healthy} healthy beside {args.hanging} hanging", args.healthy, args.hanging, args, {}),
    ]
    if args.without_breaker:
        off = {"PUSH_BREAKER_FAILURES": "1000000"}
        runs.append(
            run(
                f"{args.healthy} healthy beside {args.hanging} hanging, no breaker",
                args.healthy,
                args.hanging,
                args,
                off,
            )
        )
    print(
        f"\nHanging partners: {args.rate:g} EVSE status changes a second for {args.seconds:g} s, each owed to every "
        f"partner; 2 Celery workers x 2 processes on Redis, read timeout {READ_TIMEOUT:g} s (hanging partners "
        f"answer after {READ_TIMEOUT * 5:g} s), PostgreSQL, {os.cpu_count()}-core machine, load average "
        f"{os.getloadavg()[0]:.2f} at the end\n"
    )
    print(
        "| run | healthy deliveries | latency p50 | latency p99 | worker CPU per healthy delivery | "
        "attempts at hanging partners |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in runs:
        print(
            f"| {r['name']} | {r['delivered']:,} | {r['p50']:.0f} ms | {r['p99']:.0f} ms | {r['cpu']:.2f} ms | "
            f"{r['hanging_attempts']:,} |"
        )
    ratio = runs[1]["p99"] / max(runs[0]["p99"], 1e-9)
    print(f"\nHealthy p99 beside hanging partners / alone: {ratio:.2f}x (target <= 2x).")


if __name__ == "__main__":
    main()
