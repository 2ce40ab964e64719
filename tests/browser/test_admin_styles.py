"""The admin is styled when the platform is served the way `make run` serves it: `manage.py runplatform` (runserver
with DEBUG off, beside a worker), with nothing collected into STATIC_ROOT."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model

from tests.e2e.conftest import database_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
#: The admin's header colour (--header-bg in admin/css/base.css); unstyled, a header is transparent.
ADMIN_HEADER_BG = "rgb(65, 118, 144)"
BROWSER_DEFAULT_BG = "rgba(0, 0, 0, 0)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def runplatform(tmp_path, worker_id):
    """`manage.py runplatform` against the test database, in a process group of its own, with an empty
    STATIC_ROOT (a fresh checkout never ran collectstatic) and the development defaults (no DEBUG)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "ENVIRONMENT")}
    env.update(
        DATABASE_URL=database_url(),
        OCPI_BASE_URL=base_url,
        STATIC_ROOT=str(tmp_path / "static"),
        CELERY_TASK_DEFAULT_QUEUE=f"runplatform-{worker_id}-{os.getpid()}",
        DB_CONN_MAX_AGE="0",
    )
    log = (tmp_path / "runplatform.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runplatform", "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "runplatform.log").read_text()
            try:
                if requests.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "runplatform did not answer within 60 s"
            time.sleep(0.3)
        yield base_url
    finally:
        stop_group(process)
        log.close()


def stop_group(process: subprocess.Popen) -> None:
    """Stop runplatform's whole process group (runserver, the worker, its pool and beat) and wait until it is
    gone: no process may keep a session on the test database, which is flushed after the test."""
    os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    process.wait(timeout=20)
    while True:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
        time.sleep(0.2)


def styles_of(page) -> dict:
    return page.evaluate(
        """() => ({
            header: getComputedStyle(document.querySelector('#header')).backgroundColor,
            font: getComputedStyle(document.body).fontFamily,
        })"""
    )


def test_admin_pages_load_their_css_from_runplatform(runplatform, tmp_path, browser, output_dir):
    get_user_model().objects.create_superuser("admin", "admin@example.com", "admin")
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="light")
    page = context.new_page()
    static = []  # what the browser was answered for static files (scripts, images; not refused stylesheets)
    page.on("response", lambda response: static.append(response) if "/static/" in response.url else None)

    page.goto(f"{runplatform}/admin/login/")
    # The browser fires no response event for a stylesheet it refuses (a 404 page is HTML, and nosniff forbids
    # guessing): ask for every stylesheet the page links to directly.
    hrefs = page.evaluate("[...document.querySelectorAll('link[rel=stylesheet]')].map(link => link.href)")
    assert f"{runplatform}/static/admin/css/base.css" in hrefs
    for href in hrefs:
        answer = page.request.get(href)
        assert (href, answer.status, answer.headers["content-type"].split(";")[0]) == (href, 200, "text/css")
    assert styles_of(page)["header"] == ADMIN_HEADER_BG != BROWSER_DEFAULT_BG

    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#roaming-dashboard").is_visible()
    styles = styles_of(page)
    assert styles["header"] == ADMIN_HEADER_BG
    assert styles["font"] != "Times New Roman" and "sans-serif" in styles["font"]
    dashboard_title = page.locator("#roaming-dashboard h2")
    assert dashboard_title.evaluate("e => getComputedStyle(e).backgroundColor") == ADMIN_HEADER_BG
    assert static and [f"{r.status} {r.url}" for r in static if r.status != 200] == []
    page.screenshot(path=str(output_dir / "admin-served-by-runplatform.png"), full_page=True)
    context.close()
    # Served from the apps' static folders: nothing had to be collected first.
    assert list((tmp_path / "static").iterdir()) == []
