"""Serve the platform locally: the web process plus a Celery worker with embedded beat.

The web process listens where OCPI_BASE_URL points (http://127.0.0.1:8000 by default): the URLs handed to
partners, and the demo's own handshake between its tenants, only work when the server answers there. Another
port is `OCPI_BASE_URL=http://127.0.0.1:8001 make run`. Ctrl-C (or SIGTERM) stops every process and waits.
"""

import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

FALLBACK_ADDR = "127.0.0.1:8000"


def base_url_addr(base_url: str) -> str | None:
    """host:port of a plain-HTTP OCPI_BASE_URL; None for HTTPS, which a TLS proxy in front answers."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{parts.port or 80}"


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and beat side by side until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--addr", help="host:port to listen on (default: that of OCPI_BASE_URL)")
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args, addr: str | None, concurrency: int, **options):
        advertised = base_url_addr(settings.OCPI_BASE_URL)
        addr = addr or advertised or FALLBACK_ADDR
        if advertised is not None and addr != advertised:
            self.stderr.write(
                f"Listening on {addr} but OCPI_BASE_URL is {settings.OCPI_BASE_URL}: partners (and the demo's own "
                "handshake) are sent there"
            )
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", "--noreload", addr],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
            ],
        }
        children = {name: subprocess.Popen(cmd, env=os.environ.copy()) for name, cmd in commands.items()}
        self.stdout.write(self.style.SUCCESS(f"Serving http://{addr}/ (Ctrl-C stops web, worker and beat)"))

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with {child.returncode}; stopping the rest")
                        stopping = True
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        self.stdout.write("Stopped.")
