"""Shared bench plumbing: a throw-away PostgreSQL database, a gunicorn server on loopback, load clients.

Every bench creates its own database (dropped at the end), serves the platform with the
production gunicorn configuration on 127.0.0.1, and measures from client processes on the same
machine. Request loops are bounded in count and time.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def bench_database(name: str):
    """A fresh, migrated database; DATABASE_URL points at it for this process and its children."""
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{name}"
    os.environ["DATABASE_URL"] = url
    # Tasks the measured requests queue go to a queue of the bench's own on Redis, dropped at the end.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue = f"bench-{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    import django

    django.setup()
    try:
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)


@contextmanager
def gunicorn(*, workers: int, threads: int):
    import requests

    port = free_port()
    env = {
        **os.environ,
        "BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": str(workers),
        "WEB_THREADS": str(threads),
        "OCPI_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        # The benches measure the platform, not the per-partner rate limit (each load partner exceeds it).
        "OCPI_RATE_LIMIT": os.environ.get("OCPI_RATE_LIMIT", ""),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{base}/health/live", timeout=1)
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_clients(worker, jobs: list) -> tuple[list[float], float]:
    """Run `worker(job) -> list of latencies` in one process per job; returns all latencies and wall time."""
    started = time.perf_counter()
    with Pool(len(jobs)) as pool:
        results = pool.map(worker, jobs)
    elapsed = time.perf_counter() - started
    return [latency for result in results for latency in result], elapsed


def row(name: str, count: int, seconds: float, latencies: list[float], unit_per_request: int = 1) -> dict:
    return {
        "measure": name,
        "requests": len(latencies),
        "per_second": count / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "unit_per_request": unit_per_request,
    }


def print_table(title: str, rows: list[dict], notes: list[str]) -> None:
    print(f"\n{title}\n")
    print("| measure | requests | throughput | p50 | p99 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['measure']} | {r['requests']} | {r['per_second']:,.0f}/s "
            f"| {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms |"
        )
    for note in notes:
        print(f"\n{note}")
