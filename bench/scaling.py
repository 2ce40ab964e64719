"""Scale-out curve: sustained deliveries/s with 1, 2 and 4 Celery worker processes on one queue.

    .venv/bin/python bench/scaling.py [--processes 1 2 4] [--partners 20] [--changes 300] [--evses 400]

Runs bench/deliveries.py once per count (that many `celery worker` processes of one pool process each, all
consuming one queue over one PostgreSQL and one Redis, as separate machines would) and prints one table.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(processes: int, args) -> dict:
    command = [
        sys.executable,
        str(ROOT / "bench" / "deliveries.py"),
        *("--workers", str(processes), "--concurrency", "1"),
        *("--partners", str(args.partners), "--changes", str(args.changes), "--evses", str(args.evses)),
    ]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout

    def cell(label: str) -> str:
        match = re.search(rf"^\| {re.escape(label)}[^|]* \| (.+?) \|$", out, re.MULTILINE)
        return match.group(1) if match else "?"

    load = re.search(r"load average ([\d.]+)", out)
    return {
        "processes": processes,
        "delivered": cell("deliveries completed (DELIVERED)"),
        "drained": cell("outbox drained after"),
        "cpu": cell("CPU of the Celery workers per delivery"),
        "nothing lost": "yes" if "nothing lost: yes" in out else "NO",
        "load": load.group(1) if load else "?",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--changes", type=int, default=300)
    parser.add_argument("--evses", type=int, default=400)
    args = parser.parse_args()
    rows = [measure(n, args) for n in args.processes]
    print(
        f"\nDeliveries by worker processes: {args.changes} EVSE status changes owed to {args.partners} partners "
        f"(bench/deliveries.py), each `celery worker` with one pool process, one queue, PostgreSQL and Redis, "
        f"{os.cpu_count()}-core machine\n"
    )
    print(
        "| worker processes | deliveries completed | outbox drained after | worker CPU per delivery | "
        "every change carried | load average at the end |"
    )
    print("| ---: | ---: | ---: | ---: | --- | ---: |")
    for r in rows:
        print(
            f"| {r['processes']} | {r['delivered']} | {r['drained']} | {r['cpu']} | {r['nothing lost']} | {r['load']} |"
        )


if __name__ == "__main__":
    main()
