"""The documented production configuration starts: gunicorn with ENVIRONMENT=production answers ready."""

import os
import re
import subprocess
import sys
import time

import pytest
import requests

from tests.e2e.conftest import ROOT, database_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_gunicorn_starts_in_production_mode_and_is_ready(settings, tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "SECRET_KEY": "p" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "OCPI_BASE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "1",
        "WEB_THREADS": "2",
        "WEB_KEEPALIVE_REQUESTS": "3",
        "STATIC_ROOT": str(tmp_path),
    }
    # The release step of the Procfile: static files collected for whitenoise to serve.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
                break
            except requests.RequestException:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["status"] == "ready"
        login = requests.get(f"http://127.0.0.1:{port}/admin/login/", timeout=2)
        assert login.status_code == 200 and login.headers["X-Content-Type-Options"] == "nosniff"
        # The manifest storage: pages link the collected files by hashed names, which may be cached forever.
        [hashed] = re.findall(r"/static/admin/css/base\.[0-9a-f]{12}\.css", login.text)
        css = requests.get(f"http://127.0.0.1:{port}{hashed}", timeout=2)
        assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]
        assert "immutable" in css.headers["Cache-Control"]
        # A keep-alive connection is closed politely after WEB_KEEPALIVE_REQUESTS requests.
        with requests.Session() as session:
            answers = [session.get(f"http://127.0.0.1:{port}/health/live", timeout=2) for _ in range(4)]
        assert [a.headers.get("Connection", "keep-alive").lower() for a in answers] == [
            "keep-alive",
            "keep-alive",
            "close",
            "keep-alive",
        ]
        assert all(a.status_code == 200 for a in answers)
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_production_refuses_to_start_without_its_settings():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**env, "ENVIRONMENT": "production"},
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr and "DATABASE_URL must be set" in result.stderr
