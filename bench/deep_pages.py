"""Deep lists: a page of 1000 locations at offset 0 against one at offset 900,000 of 1,000,000.

    .venv/bin/python bench/deep_pages.py [--locations 1000000] [--requests 10]

Seeds N locations (copies of one, inserted by SQL) into a database of its own, serves them with gunicorn
(production configuration) on loopback and asks from one client on the same machine: the first page; the page
at 90% of the list reached by walking (the page before it asked just before, as a client counting offsets
itself does: the page before remembers where the next starts); and pages there jumped to directly (no page
led to them, so the database counts past the rows). Every page is rendered once before it is measured.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import CpuMeter, bench_database, gunicorn, print_table, row  # noqa: E402
from bench.locations import _connection  # noqa: E402


def seed(count: int) -> str:
    from django.db import connection

    from partners.services import PartySpec, provision_tenant
    from roaming.models import Location
    from tests.factories import make_partner

    cpo = provision_tenant(slug="cpo", name="CPO", parties=[PartySpec("NL", "CPO", "CPO")])
    _, token = make_partner(cpo, "DE:EMS:EMSP", name="reader")
    template = Location.objects.create(
        tenant=cpo,
        country_code="NL",
        party_id="CPO",
        location_id="L0",
        name="Station",
        address="Street 1",
        city="Utrecht",
        postal_code="3511",
        country="NLD",
        latitude="52.090000",
        longitude="5.120000",
        time_zone="Europe/Amsterdam",
        last_updated=datetime.now(UTC) - timedelta(days=1),  # quiet: pages are served from the render cache
    )
    columns = [f.column for f in Location._meta.concrete_fields if f.column not in ("id", "location_id")]
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO roaming_location ({names}, "location_id") '  # noqa: S608 - the model's own columns
            f"SELECT {names}, 'L' || n FROM roaming_location, generate_series(1, %s) AS n WHERE id = %s",
            [count - 1, template.pk],
        )
        cursor.execute("VACUUM ANALYZE roaming_location")
    return token


def get(conn, token: str, offset: int) -> float:
    started = time.perf_counter()
    conn.request(
        "GET",
        f"/ocpi/cpo/2.2.1/sender/locations?offset={offset}&limit=1000",
        headers={"Authorization": f"Token {token}"},
    )
    response = conn.getresponse()
    body = orjson.loads(response.read())
    elapsed = time.perf_counter() - started
    assert response.status == 200 and len(body["data"]) == 1000, (offset, response.status)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    deep = args.locations * 9 // 10
    with bench_database(f"roaming_bench_deep_{os.getpid()}"):
        started = time.perf_counter()
        token = seed(args.locations)
        seeded = time.perf_counter() - started
        from django.db import connections

        connections.close_all()  # the SQL connection of the seeding is not one of the measured backends
        rows = []
        with gunicorn(workers=1, threads=1) as base:
            conn = _connection(base)
            # Cold jumps: offsets no page leads to (pages end 1000 on from where they start).
            jumps = [deep + 1 + 37 * n for n in range(args.requests)]
            for offset in [0, deep - 1000, deep, *jumps]:
                get(conn, token, offset)  # rendered once, kept in the render cache
            for name, offsets in (
                ("page of 1000 at offset 0", [0] * args.requests),
                (f"page of 1000 at offset {deep:,}, walked to (the page before asked)", [deep] * args.requests),
                (f"page of 1000 at offset {deep + 1:,}+, jumped to (no page led there)", jumps),
            ):
                with CpuMeter(base) as cpu:
                    t0 = time.perf_counter()
                    latencies = [get(conn, token, offset) for offset in offsets]
                    elapsed = time.perf_counter() - t0
                rows.append(row(name, 1000 * len(latencies), elapsed, latencies, cpu=cpu))
    print_table(
        f"Deep lists: {args.locations:,} locations of one CPO (no EVSEs; seeded in {seeded:.0f} s), 2.2.1, gunicorn "
        f"1 worker x 1 thread, PostgreSQL, one client on the same {os.cpu_count()}-core machine, load average "
        f"{os.getloadavg()[0]:.2f} at the end",
        rows,
        [
            "Throughput counts locations (1000 per request). Every page also counts the list for X-Total-Count, "
            "which reads every row whatever the offset."
        ],
    )


if __name__ == "__main__":
    main()
