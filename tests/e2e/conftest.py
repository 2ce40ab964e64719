"""Real parts for end-to-end tests: a Celery worker (with beat) on Redis against the test database."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker_name(queue: str) -> str:
    return f"{queue}@{os.uname().nodename}"


@pytest.fixture(scope="session")
def celery_queue(worker_id) -> str:
    """A queue of this test process's own, so parallel test processes never take each other's tasks."""
    return f"e2e-{worker_id}-{os.getpid()}"


def start_worker(
    queue: str,
    *,
    base_url: str,
    beat: bool = True,
    db_url: str | None = None,
    broker_url: str | None = None,
    **extra_env: str,
) -> subprocess.Popen:
    """A real `celery worker` (with beat when asked) consuming `queue` from Redis, against the test database
    (or `db_url` and `broker_url` when given: the fault tests' private servers)."""
    broker_url = broker_url or settings.CELERY_BROKER_URL
    assert broker_url.startswith("redis://"), "end-to-end tests need REDIS_URL (make test sets it)"
    redis.Redis.from_url(broker_url).delete(queue)
    env = {
        **os.environ,
        "DATABASE_URL": db_url or database_url(),
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "OCPI_BASE_URL": base_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "PUSH_SWEEP_SECONDS": "1",
        "COMMAND_TIMEOUT_SWEEP_SECONDS": "1",
        "PUSH_RETRY_BASE_SECONDS": "0.5",
        "PUSH_RETRY_MAX_SECONDS": "2",
        "DB_CONN_MAX_AGE": "0",
        **extra_env,
    }
    schedule = ROOT / "var" / f"beat-{queue}"
    schedule.parent.mkdir(exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        queue,
        "--concurrency",
        "2",
        "--loglevel",
        "WARNING",
        "-n",
        f"{queue}@%h",
    ]
    if beat:
        command[6:6] = ["-B", "-s", str(schedule)]
    # A process group of its own, so stopping it also stops its pool processes and beat.
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    # A private broker is pinged through an app of its own (an app's control mailbox keeps the broker it first
    # used), never made the current app: shared tasks would be sent through it.
    pinger = (
        celery_app
        if broker_url == settings.CELERY_BROKER_URL
        else Celery("ping", broker=broker_url, set_as_current=False)
    )
    deadline = time.monotonic() + 30
    try:
        while not pinger.control.ping(destination=[_worker_name(queue)], timeout=0.5):
            assert process.poll() is None, "the Celery worker exited while starting"
            assert time.monotonic() < deadline, "the Celery worker did not answer within 30 s"
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)  # leave no worker (nor its pool) behind a failed start
        raise
    finally:
        if pinger is not celery_app:
            pinger.close()
    return process


def stop_worker(process: subprocess.Popen) -> None:
    """Stop the worker together with its pool processes and beat (its process group): an orphaned pool process
    would keep a session on the test database, which is dropped at the end."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, celery_queue, live_server):
    """A real `celery worker -B` consuming this test process's queue; its OCPI base URL is the live server's,
    so what it hands partners points at a running server."""
    process = start_worker(celery_queue, base_url=live_server.url)
    celery_app.conf.task_default_queue = celery_queue
    yield process
    stop_worker(process)
    for path in (ROOT / "var").glob(f"beat-{celery_queue}*"):
        path.unlink()


def quiesce_worker(queue: str, *, timeout: float = 20.0) -> None:
    """Drop what is still queued for the worker, revoke what it holds for later (countdowns) and wait for what
    it is running: a task outliving its test would work on rows of the next one, or block its flush."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(queue)
    inspect = celery_app.control.inspect(destination=[_worker_name(queue)], timeout=1)
    held = [*((inspect.scheduled() or {}).values()), *((inspect.reserved() or {}).values())]
    ids = [(entry.get("request") or entry)["id"] for entries in held for entry in entries]
    if ids:
        celery_app.control.revoke(ids, destination=[_worker_name(queue)])
    deadline = time.monotonic() + timeout
    while any((inspect.active() or {}).values()) and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.fixture(autouse=True)
def _tasks_stay_within_their_test(request, celery_queue):
    """A test with the worker leaves it idle; a test without it queues its tasks where no worker listens (the
    session's worker, started by an earlier test, would otherwise run them against a database being flushed)."""
    if "celery_worker" in request.fixturenames:
        yield
        quiesce_worker(celery_queue)
        return
    saved = celery_app.conf.task_default_queue
    if saved not in (celery_queue, settings.CELERY_TASK_DEFAULT_QUEUE):
        yield  # a queue of the test's own, with a worker of its own (tests/e2e/test_faults.py)
        return
    unconsumed = f"{celery_queue}-unconsumed"
    celery_app.conf.task_default_queue = unconsumed
    yield
    celery_app.conf.task_default_queue = saved
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(unconsumed)


class Instance:
    """A separately running platform: its own database, its own gunicorn, reached only over HTTP."""

    def __init__(self, name: str):
        import socket

        from django.db import connection

        self.name = name
        db = connection.settings_dict
        self.admin_url = database_url().rsplit("/", 1)[0] + "/postgres"
        self.database_url = database_url().rsplit("/", 1)[0] + f"/{name}"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "OCPI_BASE_URL": self.url,
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_WORKERS": "1",
            "WEB_THREADS": "4",
            "DB_CONN_MAX_AGE": "0",
        }
        self.env.pop("REDIS_URL", None)
        self.env["CELERY_TASK_ALWAYS_EAGER"] = "true"
        self.process = None
        self._db_user = db["USER"]
        # Everything the instance logs, its web server's and its management commands', one line a record.
        self.log_path = Path(tempfile.gettempdir()) / f"{name}.log"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(sql)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        with self.log_path.open("a") as log:
            log.write(result.stderr)
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start(self) -> None:
        import requests

        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.name}"')
        self.log_path.write_text("")
        self.manage("migrate", "--noinput", "-v", "0")
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            assert self.process.poll() is None, "the second instance exited while starting"
            assert time.monotonic() < deadline, "the second instance did not start within 30 s"
            time.sleep(0.2)

    def log_lines(self, *words: str) -> list[str]:
        """The lines of its log that contain every one of `words`."""
        return [line for line in self.log_path.read_text().splitlines() if all(word in line for word in words)]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        if not os.environ.get("KEEP_E2E_LOGS"):
            self.log_path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def other_instance(django_db_setup, django_db_blocker, worker_id):
    """A second platform instance with a CPO tenant `peer`, in its own PostgreSQL database."""
    instance = Instance(f"roaming_peer_{worker_id}_{os.getpid()}")
    instance.start()
    instance.manage("create_tenant", "peer", "--name", "Peer Charging", "--party", "NL:PEE:CPO:Peer Charging")
    yield instance
    instance.stop()
