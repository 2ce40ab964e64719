"""Memory: the RSS of the process doing the work while it walks, pulls or pushes a network of N locations.

    .venv/bin/python bench/memory.py [--locations 1000000] [--walks page pull push]

Three walks over N locations, each watched from outside by reading the working process's VmRSS from /proc
every quarter second:
- page: a partner GETs every page of 1000 of a CPO's N locations (gunicorn, production configuration, one
  worker process of one thread), following the Link headers; the process is that gunicorn worker.
- pull: sync.pull fetches N locations, page by page, from a scripted 2.2.1 CPO on loopback (a child process
  rendering each page when asked, so none is held) into PostgreSQL; the process is the puller (this one,
  running the code a worker's pull task runs).
- push: a newly registered 2.2.1 eMSP on loopback (a child process) is pushed the tenant's N locations by the
  initial sync (2 Celery workers x 2 processes); the processes are the workers' pool processes.
The baseline is the RSS once a tenth of the walk is done (imports, caches and connection set-up are then in
place); growth is the peak after it minus the baseline. Locations carry `--evses` EVSEs of one connector.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import (  # noqa: E402
    _SERVERS,
    _children,
    bench_database,
    free_port,
    gunicorn,
    start_workers,
    stop_workers,
    wait_for_workers,
)
from bench.initial_sync import partner_get, serve_partner  # noqa: E402
from bench.pull import STAMP, wire_location  # noqa: E402

TARGET_MB = 50


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


class RssWatch:
    """Samples the RSS of the processes `pids()` names (re-asked at each sample: pools replace processes)
    until stopped; `progress()` says how far the walk is, from 0 to 1."""

    def __init__(self, pids, progress):
        self.pids, self.progress = pids, progress
        self.samples: list[tuple[float, float]] = []  # (progress, largest RSS of the watched processes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.25):
            self.sample()

    def sample(self):
        sizes = [rss_mb(pid) for pid in self.pids()]
        if sizes:
            self.samples.append((self.progress(), max(sizes)))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()
        return False

    def figures(self) -> tuple[float, float, float]:
        """(baseline, peak after it, at the end), MB."""
        after = [rss for done, rss in self.samples if done >= 0.1] or [self.samples[-1][1]]
        return after[0], max(after), self.samples[-1][1]


def location(i: int, evses: int) -> dict:
    wire = wire_location(i)
    wire["evses"] = [{**evse, "connectors": evse["connectors"][:1]} for evse in wire["evses"][:evses]]
    return wire


class PagesOnDemand(BaseHTTPRequestHandler):
    """A CPO's locations sender over N locations whose pages are rendered when asked for."""

    protocol_version = "HTTP/1.1"
    count = evses = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        offset = int(parse_qs(urlsplit(self.path).query).get("offset", ["0"])[0])
        end = min(offset + 1000, self.count)
        data = [location(i, self.evses) for i in range(offset, end)]
        body = orjson.dumps({"data": data, "status_code": 1000, "timestamp": STAMP})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Total-Count", str(self.count))
        if end < self.count:
            base = f"http://127.0.0.1:{self.server.server_port}/locations"
            self.send_header("Link", f'<{base}?offset={end}&limit=1000>; rel="next"')
        self.end_headers()
        self.wfile.write(body)


def seed(count: int, evses: int) -> None:
    """The CPO tenant's N locations (each with `evses` EVSEs of one connector), inserted by SQL in a few
    statements, quiet for a day."""
    from django.db import connection

    from bench.initial_sync import seed as seed_network
    from roaming.models import Connector, Evse, Location

    seed_network(1)  # the tenant, and one location, EVSE and connector whose rows are copied
    template = Location.objects.get()
    Evse.objects.filter(position__gte=evses).delete()
    Connector.objects.filter(position__gte=1).delete()

    with connection.cursor() as cursor:
        names = _columns(Location, skip=("location_id",))
        cursor.execute(
            f'INSERT INTO roaming_location ({names}, "location_id") '  # noqa: S608 - the model's own columns
            f"SELECT {names}, 'L' || n FROM roaming_location, generate_series(1, %s) AS n WHERE id = %s",
            [count - 1, template.pk],
        )
        skip = ("location_id", "uid", "evse_id")
        cursor.execute(
            f'INSERT INTO roaming_evse ({_columns(Evse, skip=skip)}, "location_id", "uid", "evse_id") '  # noqa: S608
            f"SELECT {_columns(Evse, skip=skip, alias='e')}, l.id, l.location_id || '-' || e.position, "
            f"'NL*CPO*E' || l.location_id || e.position "
            f"FROM roaming_evse e, roaming_location l WHERE e.location_id = %s AND l.id <> %s",
            [template.pk, template.pk],
        )
        skip = ("evse_id",)
        cursor.execute(
            f'INSERT INTO roaming_connector ({_columns(Connector, skip=skip)}, "evse_id") '  # noqa: S608
            f"SELECT {_columns(Connector, skip=skip, alias='c')}, e.id FROM roaming_connector c, roaming_evse e "
            f"WHERE c.evse_id = (SELECT id FROM roaming_evse WHERE location_id = %s LIMIT 1) AND e.location_id <> %s",
            [template.pk, template.pk],
        )
        cursor.execute("VACUUM ANALYZE")


def _columns(model, *, skip: tuple[str, ...], alias: str | None = None) -> str:
    """The model's columns but its id and `skip`, quoted (and qualified by `alias`), for INSERT … SELECT copies."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{f.column}"' for f in model._meta.concrete_fields if f.column not in ("id", *skip))


def walk_pages(count: int) -> tuple[RssWatch, float]:
    """Every page of the CPO's locations, read by one partner following the Link headers."""
    import requests

    from partners.models import Tenant
    from tests.factories import make_partner

    _, token = make_partner(Tenant.objects.get(slug="cpo"), "DE:EMS:EMSP", name="reader")
    from django.db import connections

    connections.close_all()
    with gunicorn(workers=1, threads=1) as base:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        master, done = _SERVERS[base], [0]
        url = f"{base}/ocpi/cpo/2.2.1/sender/locations?offset=0&limit=1000"
        started = time.perf_counter()
        with RssWatch(lambda: _children(master), lambda: done[0] / count) as watch:
            while url:
                response = session.get(url, timeout=120)
                assert response.status_code == 200, response.text[:200]
                done[0] += len(response.json()["data"])
                url = response.links.get("next", {}).get("url")
        assert done[0] == count, done
        return watch, time.perf_counter() - started


def walk_pull(count: int, evses: int) -> tuple[RssWatch, float]:
    """sync.pull of a CPO partner's N locations into the eMSP tenant, in this process."""
    from partners.models import PartnerEndpoint
    from partners.services import PartySpec, provision_tenant
    from roaming.models import Location
    from roaming.services import sync
    from tests.factories import make_partner

    PagesOnDemand.count, PagesOnDemand.evses = count, evses
    server = ThreadingHTTPServer(("127.0.0.1", 0), PagesOnDemand)
    child = multiprocessing.get_context("fork").Process(target=server.serve_forever, daemon=True)
    child.start()
    server.server_close()
    try:
        emsp = provision_tenant(slug="emsp", name="eMSP", parties=[PartySpec("DE", "EMS", "EMSP")])
        partner, _ = make_partner(emsp, "NL:CPO:CPO", name="cpo", token_to_them="t", page_size=1000)
        url = f"http://127.0.0.1:{server.server_port}/locations"
        PartnerEndpoint.objects.create(tenant=emsp, partner=partner, identifier="locations", role="SENDER", url=url)
        [state] = sync.ensure_sync_states(partner=partner)
        stored = Location.objects.filter(partner=partner)
        started = time.perf_counter()
        # Progress by time: the pull runs to its end in one call; an estimate from the first pages is enough.
        expected = count / 2000
        with RssWatch(lambda: [os.getpid()], lambda: (time.perf_counter() - started) / expected) as watch:
            result = sync.pull(state_id=state.pk, full=True)
        elapsed = time.perf_counter() - started
        assert result.complete and result.objects == count and result.rejected == 0, result
        assert stored.count() == count
        # Rescale progress to the real duration, now known.
        watch.samples = [(done * expected / elapsed, rss) for done, rss in watch.samples]
        return watch, elapsed
    finally:
        child.terminate()


def walk_push(count: int, database_url: str) -> tuple[RssWatch, float]:
    """The initial sync of a newly registered eMSP: every location pushed by the Celery workers."""
    from partners import handshake
    from partners.models import Partner, Tenant

    port = free_port()
    partner_process = multiprocessing.get_context("spawn").Process(target=serve_partner, args=(port,), daemon=True)
    partner_process.start()
    base = f"http://127.0.0.1:{port}"
    partner = Partner.objects.create(
        tenant=Tenant.objects.get(slug="cpo"), name="push-emsp", versions_url=f"{base}/versions", token_to_them="a"
    )
    workers = start_workers(2, 2, database_url, name="memory")
    try:
        wait_for_workers(len(workers))
        held = [0]

        def pool_processes():
            return [pid for worker in workers for pid in _children(worker.pid)]

        started = time.perf_counter()
        with RssWatch(pool_processes, lambda: held[0] / count) as watch:
            assert handshake.register_with_partner(partner=partner).succeeded
            while held[0] < count:
                time.sleep(0.25)
                held[0] = partner_get(base, "/stats")["locations"]
        return watch, time.perf_counter() - started
    finally:
        stop_workers(workers)
        partner_process.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=1_000_000)
    parser.add_argument("--evses", type=int, default=1, help="EVSEs per location, one connector each")
    parser.add_argument("--walks", nargs="+", default=["page", "pull", "push"], choices=["page", "pull", "push"])
    args = parser.parse_args()
    print(
        f"\nMemory: {args.locations:,} locations x {args.evses} EVSE(s) x 1 connector, 2.2.1, PostgreSQL, Redis, "
        f"{os.cpu_count()}-core machine\n"
    )
    print("| walk | took | RSS after 10% | peak after | at the end | growth | target ≤ 50 MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |", flush=True)
    with bench_database(f"roaming_bench_memory_{os.getpid()}") as database_url:
        started = time.perf_counter()
        seed(args.locations, args.evses)
        seeded = time.perf_counter() - started
        walks = {
            "page": ("GET every page of 1000 (gunicorn worker)", lambda: walk_pages(args.locations)),
            "pull": ("sync.pull of every page of 1000 (the puller)", lambda: walk_pull(args.locations, args.evses)),
            "push": (
                "initial sync to a new partner (largest pool process)",
                lambda: walk_push(args.locations, database_url),
            ),
        }
        for name in args.walks:  # each row as soon as its walk ends: a long run cut short keeps what it did
            label, run = walks[name]
            watch, seconds = run()
            baseline, peak, end = watch.figures()
            verdict = "met" if peak - baseline <= TARGET_MB else "NOT met"
            print(
                f"| {label} | {seconds:.0f} s | {baseline:.0f} MB | {peak:.0f} MB | {end:.0f} MB | "
                f"{peak - baseline:+.0f} MB | {verdict} |",
                flush=True,
            )
    print(f"\nSeeded in {seeded:.0f} s; load average {os.getloadavg()[0]:.2f} at the end.")


if __name__ == "__main__":
    main()
