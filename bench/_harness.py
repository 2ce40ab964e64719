"""Shared bench plumbing: a throw-away PostgreSQL database, a gunicorn server on loopback, load clients.

Every bench creates its own database (dropped at the end), serves the platform with the
production gunicorn configuration on 127.0.0.1, and measures from client processes on the same
machine. Request loops are bounded in count and time.
"""

from __future__ import annotations

import os
import socket
import statistics
import string
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
    """A fresh, migrated database; DATABASE_URL points at it for this process and its children.
    BENCH_DATABASE names it instead of `name` (a machine shared by several benches gives each its own)."""
    name = os.environ.get("BENCH_DATABASE", name)
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


_SERVERS: dict[str, int] = {}  # base URL -> gunicorn master pid


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (0 if it is gone), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


def _database_backends() -> list[int]:
    """Server processes of the other sessions on the bench database (PostgreSQL on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


class CpuMeter:
    """CPU seconds the web workers and the database's server processes spend while the block runs:
    a figure per request that noise on a shared machine moves far less than throughput."""

    def __init__(self, base: str):
        self.master = _SERVERS[base]
        self.web = self.database = 0.0

    def _sample(self) -> dict[tuple[str, int], float]:
        workers = _children(self.master)
        return {
            **{("web", pid): _cpu_seconds(pid) for pid in workers},
            **{("database", pid): _cpu_seconds(pid) for pid in _database_backends()},
        }

    def __enter__(self):
        self.before = self._sample()
        return self

    def __exit__(self, *exc):
        after = self._sample()
        for (kind, pid), seconds in after.items():
            spent = seconds - self.before.get((kind, pid), 0.0)
            setattr(self, kind, getattr(self, kind) + spent)
        return False


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
    _SERVERS[base] = process.pid
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


def row(
    name: str,
    count: int,
    seconds: float,
    latencies: list[float],
    unit_per_request: int = 1,
    cpu: CpuMeter | None = None,
) -> dict:
    requests = max(len(latencies), 1)
    return {
        "web_cpu_ms": cpu.web * 1000 / requests if cpu else None,
        "database_cpu_ms": cpu.database * 1000 / requests if cpu else None,
        "measure": name,
        "requests": len(latencies),
        "per_second": count / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "unit_per_request": unit_per_request,
    }


def print_table(title: str, rows: list[dict], notes: list[str]) -> None:
    print(f"\n{title}\n")
    with_cpu = any(r["web_cpu_ms"] is not None for r in rows)
    cpu_header, cpu_rule = (" web CPU/request | database CPU/request |", " ---: | ---: |") if with_cpu else ("", "")
    print(f"| measure | requests | throughput | p50 | p99 |{cpu_header}")
    print(f"| --- | ---: | ---: | ---: | ---: |{cpu_rule}")
    for r in rows:
        cpu = ""
        if with_cpu:
            cpu = (
                " - | - |"
                if r["web_cpu_ms"] is None
                else f" {r['web_cpu_ms']:.2f} ms | {r['database_cpu_ms']:.2f} ms |"
            )
        print(
            f"| {r['measure']} | {r['requests']} | {r['per_second']:,.0f}/s "
            f"| {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms |{cpu}"
        )
    for note in notes:
        print(f"\n{note}")


# -- Celery workers ---------------------------------------------------------------------------------------


def start_workers(count: int, concurrency: int, database_url: str, *, name: str) -> list[subprocess.Popen]:
    """`count` Celery worker processes (each with `concurrency` pool processes) on the bench's queue."""
    queue = os.environ["CELERY_TASK_DEFAULT_QUEUE"]
    return [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue),
                *("--concurrency", str(concurrency), "--loglevel", "WARNING", "-n", f"{name}{n}-{os.getpid()}@%h"),
            ],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]


def wait_for_workers(count: int, timeout: float = 120) -> None:
    """Until every worker answers a ping: a burst that starts while workers boot measures their boot."""
    from config.celery import app

    deadline = time.monotonic() + timeout
    while len(app.control.ping(timeout=1.0)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("Celery workers did not come up")


def stop_workers(workers: list[subprocess.Popen], timeout: float = 30) -> None:
    """Stop the workers (a warm shutdown lets running tasks finish); kill those still running after `timeout`."""
    for worker in workers:
        worker.terminate()
    deadline = time.monotonic() + timeout
    for worker in workers:
        try:
            worker.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def worker_cpu(workers: list[subprocess.Popen]) -> float:
    """CPU seconds of the workers and their pool processes so far."""
    return sum(_cpu_seconds(pid) for w in workers for pid in (w.pid, *_children(w.pid)))


def cpu_seconds(pid: int) -> float:
    return _cpu_seconds(pid)


_DIGITS = string.digits + string.ascii_uppercase


def party_id(n: int) -> str:
    """A party id of three characters per partner (OCPI's CiString(3)): enough for 46,656 partners."""
    return "".join(_DIGITS[n // 36**k % 36] for k in (2, 1, 0))
