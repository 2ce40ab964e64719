"""Pull ingestion benchmark: a partner's locations pulled page by page into PostgreSQL through the sync service.

    .venv/bin/python bench/pull.py [--locations 10000 2000] [--page-size 1000]

A scripted 2.2.1 CPO on loopback (a child process, so that its pages do not count in the puller's
memory) serves pre-rendered pages of a network of N locations (4 EVSEs x 2 connectors each) with
Link headers; roaming.services.sync.pull fetches and ingests them into a database of the bench's
own. Each size is pulled three times: into an empty database (all new), again (all unchanged, the
steady state of a full resync), and once more after every stored location and EVSE was altered
(all changed: each location updated and its EVSEs replaced). Peak RSS is the process's high-water
mark after each pull, so a pull that kept pages would show it growing with N.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import bench_database  # noqa: E402

STAMP = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def wire_location(i: int) -> dict:
    return {
        "country_code": "NL",
        "party_id": "CPO",
        "id": f"L{i}",
        "publish": True,
        "name": f"Station {i}",
        "address": f"Street {i}",
        "city": "Utrecht",
        "postal_code": "3511",
        "country": "NLD",
        "coordinates": {"latitude": f"52.{i % 100000:05d}0", "longitude": f"5.{i % 100000:05d}0"},
        "parking_type": "ON_STREET",
        "evses": [
            {
                "uid": f"L{i}-{n}",
                "evse_id": f"NL*CPO*EL{i}{n}",
                "status": "AVAILABLE",
                "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
                "connectors": [
                    {
                        "id": str(c),
                        "standard": "IEC_62196_T2",
                        "format": "SOCKET",
                        "power_type": "AC_3_PHASE",
                        "max_voltage": 230,
                        "max_amperage": 32,
                        "tariff_ids": ["AC-1"],
                        "last_updated": STAMP,
                    }
                    for c in (1, 2)
                ],
                "last_updated": STAMP,
            }
            for n in range(4)
        ],
        "operator": {"name": "Bench CPO"},
        "facilities": ["CAFE"],
        "time_zone": "Europe/Amsterdam",
        "opening_times": {"twentyfourseven": True},
        "last_updated": STAMP,
    }


class Handler(BaseHTTPRequestHandler):
    """Serves /n<N>/locations?offset=…: every page of a network of N locations rendered once, up front."""

    protocol_version = "HTTP/1.1"
    page_size = 1000
    networks: dict[int, dict[int, tuple[bytes, str | None]]] = {}

    def log_message(self, *args):
        pass

    def pages(self, count: int) -> dict:
        if count not in self.networks:
            base = f"http://127.0.0.1:{self.server.server_port}/n{count}/locations"
            size, pages = self.page_size, {}
            for offset in range(0, count, size):
                data = [wire_location(i) for i in range(offset, min(offset + size, count))]
                body = orjson.dumps({"data": data, "status_code": 1000, "timestamp": STAMP})
                more = offset + size < count
                pages[offset] = (body, f'<{base}?offset={offset + size}&limit={size}>; rel="next"' if more else None)
            self.networks[count] = pages
        return self.networks[count]

    def do_GET(self):
        url = urlsplit(self.path)
        count = int(url.path.split("/")[1][1:])
        body, link = self.pages(count)[int(parse_qs(url.query).get("offset", ["0"])[0])]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Total-Count", str(count))
        if link:
            self.send_header("Link", link)
        self.end_headers()
        self.wfile.write(body)


def start_partner(page_size: int) -> tuple[str, multiprocessing.Process]:
    Handler.page_size = page_size
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    process = multiprocessing.get_context("fork").Process(target=server.serve_forever, daemon=True)
    process.start()
    server.server_close()  # the child serves; this process keeps no copy of the pages
    return f"http://127.0.0.1:{server.server_port}", process


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pull_once(state_id: int) -> tuple[float, object]:
    from roaming.services import sync

    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = sync.pull(state_id=state_id, full=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    return seconds, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()

    base, partner_process = start_partner(args.page_size)
    for count in args.locations:  # the partner renders each network's pages before anything is timed
        urlopen(f"{base}/n{count}/locations", timeout=120).read()
    rows = []
    with bench_database(f"roaming_bench_pull_{os.getpid()}"):
        from partners.models import PartnerEndpoint
        from partners.services import PartySpec, provision_tenant
        from roaming.models import Connector, Evse, Location
        from roaming.services import sync
        from tests.factories import make_partner

        emsp = provision_tenant(slug="emsp", name="eMSP", parties=[PartySpec("DE", "EMS", "EMSP")])
        for count in sorted(args.locations):
            partner, _ = make_partner(
                emsp, "NL:CPO:CPO", name=f"cpo-{count}", token_to_them="t", page_size=args.page_size
            )
            PartnerEndpoint.objects.create(
                tenant=emsp, partner=partner, identifier="locations", role="SENDER", url=f"{base}/n{count}/locations"
            )
            [state] = sync.ensure_sync_states(partner=partner)
            for label in ("new", "unchanged", "all changed"):
                if label == "all changed":  # what is stored differs from every location and EVSE served
                    Location.objects.filter(partner=partner).update(name="")
                    Evse.objects.filter(location__partner=partner).update(status="UNKNOWN")
                seconds, cpu, result = pull_once(state.pk)
                assert result.complete and result.objects == count and result.rejected == 0, result
                rows.append((count, label, count / seconds, seconds, cpu, result.pages, peak_rss_mb()))
            stored = Location.objects.filter(partner=partner).count()
            evses = Evse.objects.filter(location__partner=partner).count()
            connectors = Connector.objects.filter(evse__location__partner=partner).count()
            assert (stored, evses, connectors) == (count, 4 * count, 8 * count), (stored, evses, connectors)
            # The next size is another partner's network under the same ids: clear this one.
            Location.objects.filter(partner=partner).delete()
    partner_process.terminate()

    print(
        f"\nPull ingestion: 2.2.1 partner on loopback, pages of {args.page_size} locations x 4 EVSEs x 2 connectors, "
        f"one sync.pull into PostgreSQL, {os.cpu_count()}-core machine\n"
    )
    print("| locations | pull | locations/s | total | CPU of the puller | pages | peak RSS |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for count, label, per_second, seconds, cpu, pages, rss in rows:
        print(f"| {count:,} | {label} | {per_second:,.0f} | {seconds:.1f} s | {cpu:.1f} s | {pages} | {rss:.0f} MB |")
    smallest = min(r[-1] for r in rows if r[0] == min(args.locations))
    largest = max(r[-1] for r in rows if r[0] == max(args.locations))
    print(
        f"\nPeak RSS (high-water mark of the pulling process) {smallest:.0f} MB after "
        f"{min(args.locations):,} locations, {largest:.0f} MB after {max(args.locations):,}: "
        f"{'flat, pages are streamed' if largest - smallest < 0.25 * smallest else 'GROWS with the pages'}. "
        f"Load average at the end: {os.getloadavg()[0]:.2f} (the database server shares the machine)."
    )


if __name__ == "__main__":
    main()
