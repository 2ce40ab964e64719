"""Real-time authorization benchmark: POST {uid}/authorize round trips with 4 concurrent clients.

    .venv/bin/python bench/authorization.py [--tokens 20000] [--requests 4000]

Seeds an eMSP tenant with N tokens in a database of its own, serves it with gunicorn on loopback
and measures from client processes on the same machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import CpuMeter, bench_database, gunicorn, print_table, row, run_clients  # noqa: E402


def seed(count: int) -> str:
    from partners.services import PartySpec, provision_tenant
    from roaming.models import Token
    from tests.factories import make_partner

    emsp = provision_tenant(slug="emsp", name="eMSP", parties=[PartySpec("DE", "EMS", "EMSP")])
    _, token = make_partner(emsp, "NL:CPO:CPO", name="cpo")
    now = datetime.now(UTC)
    Token.objects.bulk_create(
        (
            Token(
                tenant=emsp,
                country_code="DE",
                party_id="EMS",
                uid=f"U{i:08d}",
                type="RFID",
                contract_id=f"DE-EMS-C{i:08d}",
                issuer="eMSP",
                valid=i % 10 != 0,
                whitelist="NEVER",
                last_updated=now,
            )
            for i in range(count)
        ),
        batch_size=5000,
    )
    return token


def client(job) -> list[float]:
    base, token, count, total, seed_value = job
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    rng = random.Random(seed_value)
    body = orjson.dumps({"location_id": "LOC1", "evse_uids": ["E1"]})
    latencies = []
    deadline = time.monotonic() + 120
    for _ in range(count):
        uid = f"U{rng.randrange(total):08d}"
        started = time.perf_counter()
        conn.request(
            "POST",
            f"/ocpi/emsp/2.2.1/sender/tokens/{uid}/authorize",
            body=body,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        answer = orjson.loads(response.read())
        latencies.append(time.perf_counter() - started)
        assert answer["data"]["allowed"] in ("ALLOWED", "BLOCKED"), answer
        if time.monotonic() > deadline:
            break
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    with bench_database(f"roaming_bench_authorization_{os.getpid()}"):
        token = seed(args.tokens)
        with gunicorn(workers=args.workers, threads=args.threads) as base:
            client((base, token, 50, args.tokens, 99))  # warm up
            with CpuMeter(base) as cpu:
                latencies, elapsed = run_clients(
                    client, [(base, token, args.requests // 4, args.tokens, n) for n in range(4)]
                )
        print_table(
            f"Real-time authorization: {args.tokens} tokens, gunicorn {args.workers} workers x {args.threads} threads, "
            f"PostgreSQL, 4 client processes on the same {os.cpu_count()}-core machine",
            [row("POST tokens/{uid}/authorize, 2.2.1 (4 clients)", len(latencies), elapsed, latencies, cpu=cpu)],
            [
                "Each authorization is two indexed queries: the caller's credentials token with its partner "
                "and tenant, and the driver's token."
            ],
        )


if __name__ == "__main__":
    main()
