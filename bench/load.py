"""Mixed load: concurrent partners for a fixed time against one gunicorn-served instance on PostgreSQL.

    .venv/bin/python bench/load.py [--seconds 20] [--pagers 2] [--patchers 2] [--authorizers 2]

Seeds the locations bench's CPO and hub tenants and the authorization bench's eMSP tenant into a
database of its own. Then, all at once and each in its own process: pagers walk the CPO's whole
locations list (pages of 100, following Link to the end, and again); patchers send EVSE status
PATCHes to the hub; authorizers ask the eMSP to authorize tokens. Prints requests/s, p50/p99 and
errors per kind; exits non-zero on any error.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import sys
import time
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path
from urllib.parse import urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import bench_database, gunicorn, percentile  # noqa: E402

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def _connection(base: str) -> http.client.HTTPConnection:
    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def _call(conn, method: str, path: str, token: str, body: bytes | None = None):
    headers = {"Authorization": f"Token {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response, orjson.loads(response.read())


def _timed_loop(seconds: float, step) -> tuple[list[float], int]:
    """Call `step()` until time is up; each returns (latency, ok) pairs. Exceptions count as errors.
    One unmeasured step first warms the connection and the server's caches."""
    step()
    latencies, errors = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            for latency, ok in step():
                latencies.append(latency)
                errors += not ok
        except Exception:  # noqa: BLE001 - a failed request is an error to count, not a reason to stop
            errors += 1
    return latencies, errors


def pager(job) -> tuple[str, list[float], int]:
    """Walk the whole list following Link, check each page's count against X-Total-Count."""
    base, token, seconds = job
    conn = _connection(base)

    def walk():
        results, path, seen, total = [], "/ocpi/cpo/2.2.1/sender/locations?limit=100", 0, None
        while path:
            started = time.perf_counter()
            response, body = _call(conn, "GET", path, token)
            latency = time.perf_counter() - started
            total = int(response.headers.get("X-Total-Count", -1))
            seen += len(body.get("data") or [])
            match = _LINK_NEXT.search(response.headers.get("Link", ""))
            path = urlsplit(match.group(1))._replace(scheme="", netloc="").geturl() if match else None
            results.append((latency, response.status == 200 and body.get("status_code") == 1000))
        results[-1] = (results[-1][0], results[-1][1] and seen == total)  # the walk saw every location
        return results

    latencies, errors = _timed_loop(seconds, walk)
    return "GET locations page of 100, following Link", latencies, errors


def patcher(job) -> tuple[str, list[float], int]:
    base, token, evses, seconds, seed_value = job
    rng = random.Random(seed_value)
    conn = _connection(base)

    def patch():
        uid = rng.choice(evses)
        body = orjson.dumps(
            {
                "status": rng.choice(["AVAILABLE", "CHARGING", "BLOCKED"]),
                "last_updated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        path = f"/ocpi/hub/2.2.1/receiver/locations/NL/CPO/{uid.rsplit('-', 1)[0]}/{uid}"
        started = time.perf_counter()
        response, answer = _call(conn, "PATCH", path, token, body)
        return [(time.perf_counter() - started, response.status == 200 and answer.get("status_code") == 1000)]

    latencies, errors = _timed_loop(seconds, patch)
    return "PATCH EVSE status", latencies, errors


def authorizer(job) -> tuple[str, list[float], int]:
    base, token, tokens, seconds, seed_value = job
    rng = random.Random(seed_value)
    conn = _connection(base)
    body = orjson.dumps({"location_id": "LOC1", "evse_uids": ["E1"]})

    def authorize():
        path = f"/ocpi/emsp/2.2.1/sender/tokens/U{rng.randrange(tokens):08d}/authorize"
        started = time.perf_counter()
        response, answer = _call(conn, "POST", path, token, body)
        allowed = (answer.get("data") or {}).get("allowed")
        return [(time.perf_counter() - started, response.status == 200 and allowed in ("ALLOWED", "BLOCKED"))]

    latencies, errors = _timed_loop(seconds, authorize)
    return "POST tokens/{uid}/authorize", latencies, errors


def _dispatch(job):
    kind, rest = job
    return {"pager": pager, "patcher": patcher, "authorizer": authorizer}[kind](rest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--locations", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--pagers", type=int, default=2)
    parser.add_argument("--patchers", type=int, default=2)
    parser.add_argument("--authorizers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    from bench.authorization import seed as seed_tokens
    from bench.locations import seed as seed_locations

    with bench_database(f"roaming_bench_load_{os.getpid()}"):
        seeded = seed_locations(args.locations)
        auth_token = seed_tokens(args.tokens)
        with gunicorn(workers=args.workers, threads=args.threads) as base:
            jobs = (
                [("pager", (base, seeded["read_token"], args.seconds))] * args.pagers
                + [
                    ("patcher", (base, seeded["write_token"], seeded["evses"], args.seconds, n))
                    for n in range(args.patchers)
                ]
                + [("authorizer", (base, auth_token, args.tokens, args.seconds, n)) for n in range(args.authorizers)]
            )
            with Pool(len(jobs)) as pool:
                results = pool.map(_dispatch, jobs)

    kinds: dict[str, tuple[list[float], int, int]] = {}
    for name, latencies, errors in results:
        collected, errs, clients = kinds.get(name, ([], 0, 0))
        kinds[name] = (collected + latencies, errs + errors, clients + 1)
    print(
        f"\nMixed load for {args.seconds:.0f} s: {args.locations} locations, {args.tokens} tokens, gunicorn "
        f"{args.workers} workers x {args.threads} threads, PostgreSQL, {len(jobs)} client processes on the same "
        f"{os.cpu_count()}-core machine\n"
    )
    print("| kind | clients | requests | requests/s | p50 | p99 | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    total_errors = 0
    for name, (latencies, errors, clients) in kinds.items():
        total_errors += errors
        p50 = percentile(latencies, 0.5) * 1000 if latencies else 0.0
        p99 = percentile(latencies, 0.99) * 1000 if latencies else 0.0
        print(
            f"| {name} | {clients} | {len(latencies)} | {len(latencies) / args.seconds:,.0f} "
            f"| {p50:.1f} ms | {p99:.1f} ms | {errors} |"
        )
    print(
        "\nEvery client warms up with one unmeasured step, then runs for the same fixed time; a page walk "
        "counts as an error too when it did not see X-Total-Count locations in all."
    )
    sys.exit(1 if total_errors else 0)


if __name__ == "__main__":
    main()
