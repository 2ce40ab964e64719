"""Pricing benchmark: CDRs priced per second by tariffs.pricing on realistic tariffs and long sessions.

    .venv/bin/python bench/pricing.py [--sessions 2000] [--periods 24-60]

The engine reads no database, so this measures it alone: sessions are generated in memory in the
shape they are stored (2.2.1 ChargingPeriod JSON, UTC text, float volumes), priced in one process
and then in one process per core.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import print_table, row  # noqa: E402
from tariffs.pricing import parse_terms, price_session  # noqa: E402

ZONE = "Europe/Amsterdam"


def pc(kind: str, price: float, step: int, vat: float | None = 21.0) -> dict:
    out = {"type": kind, "price": price, "step_size": step}
    if vat is not None:
        out["vat"] = vat
    return out


#: Tariffs of the kinds CPOs publish: peak/off-peak energy over midnight, weekend rates, power tiers,
#: an idle fee after some hours, business-hours parking, a start fee and price bounds.
TARIFFS = {
    "peak / off-peak + idle fee": {
        "elements": [
            {"price_components": [pc("FLAT", 0.35, 1)]},
            {"price_components": [pc("ENERGY", 0.29, 1)], "restrictions": {"start_time": "23:00", "end_time": "07:00"}},
            {
                "price_components": [pc("ENERGY", 0.39, 1)],
                "restrictions": {"day_of_week": ["SATURDAY", "SUNDAY"]},
            },
            {"price_components": [pc("ENERGY", 0.45, 1)]},
            {"price_components": [pc("TIME", 6.00, 60)], "restrictions": {"min_duration": 14400}},
            {
                "price_components": [pc("PARKING_TIME", 9.00, 300)],
                "restrictions": {
                    "start_time": "08:00",
                    "end_time": "20:00",
                    "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
                },
            },
        ],
        "max_price": {"excl_vat": 80.0, "incl_vat": 96.8},
    },
    "power tiers + current + kWh blocks": {
        "elements": [
            {"price_components": [pc("FLAT", 1.00, 1)], "restrictions": {"start_date": "2024-01-01"}},
            {"price_components": [pc("ENERGY", 0.49, 100)], "restrictions": {"min_power": 50}},
            {"price_components": [pc("ENERGY", 0.39, 100)], "restrictions": {"min_power": 22, "max_power": 50}},
            {"price_components": [pc("ENERGY", 0.25, 100)], "restrictions": {"min_kwh": 60}},
            {"price_components": [pc("ENERGY", 0.33, 100)], "restrictions": {"max_current": 32}},
            {"price_components": [pc("ENERGY", 0.35, 100), pc("TIME", 0.60, 300)]},
            {"price_components": [pc("PARKING_TIME", 4.00, 600)], "restrictions": {"max_duration": 43200}},
        ],
        "min_price": {"excl_vat": 2.0, "incl_vat": 2.42},
    },
    "time of use, 8 windows": {
        "elements": [
            {
                "price_components": [pc("ENERGY", 0.20 + 0.03 * hour, 1), pc("TIME", 0.5 + 0.1 * hour, 60)],
                "restrictions": {"start_time": f"{hour * 3:02d}:00", "end_time": f"{(hour * 3 + 3) % 24:02d}:00"},
            }
            for hour in range(8)
        ]
        + [{"price_components": [pc("PARKING_TIME", 3.00, 900)]}],
    },
}


def make_session(rng: random.Random, periods: tuple[int, int]) -> dict:
    """One session: charging periods of 2-20 minutes with varying power, then parking."""
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(365 * 24 * 60))
    at, out = start, []
    count = rng.randint(*periods)
    for index in range(count):
        minutes = rng.randint(2, 20)
        hours = minutes / 60
        if index >= count - 2:
            dimensions = [{"type": "PARKING_TIME", "volume": hours}]
        else:
            power = rng.uniform(3, 150)
            dimensions = [
                {"type": "ENERGY", "volume": round(power * hours * 0.95, 3)},
                {"type": "TIME", "volume": hours},
                {"type": "MIN_POWER", "volume": round(power * 0.9, 2)},
                {"type": "MAX_POWER", "volume": round(power, 2)},
                {"type": "MIN_CURRENT", "volume": round(power * 1000 / 400 * 0.9, 1)},
                {"type": "MAX_CURRENT", "volume": round(power * 1000 / 400, 1)},
            ]
        out.append({"start_date_time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "dimensions": dimensions})
        at += timedelta(minutes=minutes)
    return {"start": start, "end": at, "charging_periods": out}


def price_all(job) -> tuple[list[float], float]:
    """Price each session under each tariff: one latency per CDR, and the wall time of the pricing loop."""
    count, periods, seed_value, parse_each_time = job
    rng = random.Random(seed_value)
    sessions = [make_session(rng, periods) for _ in range(count)]
    parsed = {name: parse_terms(**tariff) for name, tariff in TARIFFS.items()}
    latencies = []
    loop_started = time.perf_counter()
    for session in sessions:
        for name, tariff in TARIFFS.items():
            started = time.perf_counter()
            terms = parse_terms(**tariff) if parse_each_time else parsed[name]
            price_session(terms=terms, time_zone=ZONE, currency="EUR", **session)
            latencies.append(time.perf_counter() - started)
    return latencies, time.perf_counter() - loop_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000, help="sessions per process; each is priced per tariff")
    parser.add_argument("--periods", default="24-60", help="charging periods per session, as MIN-MAX")
    args = parser.parse_args()
    periods = tuple(int(n) for n in args.periods.split("-"))
    price_all((50, periods, 1, False))  # warm up
    rows = []
    for label, parse_each_time in (("terms parsed once per tariff", False), ("terms parsed for every CDR", True)):
        latencies, seconds = price_all((args.sessions, periods, 7, parse_each_time))
        rows.append(row(f"1 process, {label}", len(latencies), seconds, latencies))
    cores = os.cpu_count() or 1
    with Pool(cores) as pool:
        results = pool.map(price_all, [(args.sessions, periods, 11 + n, False) for n in range(cores)])
    latencies = [latency for result, _ in results for latency in result]
    # The processes price side by side: the slowest one's pricing loop is the wall time of all of them.
    rows.append(row(f"{cores} processes, terms parsed once", len(latencies), max(s for _, s in results), latencies))
    print_table(
        f"Pricing CDRs: {len(TARIFFS)} tariffs of 6-9 elements with restrictions, sessions of {args.periods} "
        f"charging periods, Python {sys.version.split()[0]}, {cores}-core machine",
        rows,
        [
            "requests = CDRs priced (each session under each tariff); throughput = CDRs per second of the pricing "
            "loop (generating the sessions is not timed); p50/p99 = time to price one CDR."
        ],
    )


if __name__ == "__main__":
    main()
