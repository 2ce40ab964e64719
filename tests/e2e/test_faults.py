"""Faults on private servers: PostgreSQL or Redis restarted in a push burst, a partner failing or hanging.

The module runs its own throw-away PostgreSQL cluster and redis-server, so restarting them disturbs
no other test. The platform's Celery worker runs against them as in production (persistent database
connections, beat sweeping), and this process plays the web side: it changes EVSE statuses through
the services, on the same private database and broker. Each scenario counts what arrived.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis
from django.db import connections
from django.db.models import Sum

from config.celery import app as celery_app
from partners.models import PartnerEndpoint
from roaming.models import Delivery, DeliveryStatus, Evse
from roaming.services import locations
from roaming.tasks import deliver_task
from tests.e2e.conftest import ROOT, start_worker, stop_worker
from tests.factories import make_partner, make_tenant, own_location
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e]

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
LOCATIONS = 8  # objects in a burst; each EVSE changes status once per round
STATUSES = ("CHARGING", "BLOCKED", "OUTOFORDER", "AVAILABLE")
QUEUE = f"faults-{os.getpid()}"  # the private worker's; what this process sends goes elsewhere (tests/e2e/conftest.py)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary directory: trust auth, loopback, a free port, no fsync."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.port = free_port()
        # initdb refuses to run as root: the cluster then belongs to the postgres system user.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.dir, "postgres")

    def _pg(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as, str(PG_BIN / tool), *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._pg("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._pg("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres").replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A redis-server on a free port that keeps nothing on disk: a restart loses every queued task."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _answers(client), timeout=10, interval=0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _answers(client: redis.Redis) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@pytest.fixture(scope="module")
def servers(django_db_blocker):
    """Private PostgreSQL (platform database migrated) and Redis, a worker with beat against them; for the
    module this process's database connection and Celery producer point at them too."""
    queue = QUEUE
    with ExitStack() as cleanup:  # undoes whatever was set up, also when setting up fails half-way
        pg, broker = PrivatePostgres(), PrivateRedis()
        cleanup.callback(pg.remove)
        pg.init()
        pg.start()
        cleanup.callback(pg.stop, "immediate")
        broker.start()
        cleanup.callback(broker.stop)
        pg.create_database("platform")
        env = {**os.environ, "DATABASE_URL": pg.url("platform")}
        migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
        subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=120)
        worker = start_worker(
            queue,
            base_url="http://127.0.0.1:9",
            db_url=pg.url("platform"),
            broker_url=broker.url,
            DB_CONN_MAX_AGE="60",  # persistent connections, as in production: they must survive a restart
            OCPI_CLIENT_READ_TIMEOUT="1",
            PUSH_SENDING_TIMEOUT_SECONDS="3",
        )
        cleanup.callback(lambda: [path.unlink() for path in (ROOT / "var").glob(f"beat-{queue}*")])
        cleanup.callback(stop_worker, worker)
        cleanup.enter_context(django_db_blocker.unblock())
        cleanup.enter_context(_pointed_at(pg, broker, queue))
        yield pg, broker


@contextmanager
def _pointed_at(pg: PrivatePostgres, broker: PrivateRedis, queue: str):
    """This process's default database connection and Celery producer on the private servers, then back."""
    connection = connections["default"]
    saved_db = dict(connection.settings_dict)
    saved_broker, saved_queue = celery_app.conf.broker_url, celery_app.conf.task_default_queue
    connection.close()
    connection.settings_dict.update(NAME="platform", HOST="127.0.0.1", PORT=str(pg.port), USER="postgres")
    connection.settings_dict["PASSWORD"] = ""
    celery_app.conf.broker_url, celery_app.conf.task_default_queue = broker.url, queue
    _drop_producer_pool()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved_db)
        celery_app.conf.broker_url, celery_app.conf.task_default_queue = saved_broker, saved_queue
        _drop_producer_pool()


def _drop_producer_pool() -> None:
    """Make the app's next publish connect to its broker_url of now: Celery keeps a connection pool and a
    producer pool from its first publish (app.close() forgets only the former). The old pools are left
    open: the app's control mailbox keeps using the ones of its first ping."""
    celery_app._pool = None
    if "amqp" in celery_app.__dict__:
        celery_app.amqp._producer_pool = None


def _partner_with_locations(peer, slug: str):
    tenant = make_tenant(slug, "NL:CPO:CPO")
    partner, _ = make_partner(tenant, "DE:EMS:EMSP", name=f"{slug}-emsp", token_to_them="t")
    PartnerEndpoint.objects.create(
        tenant=tenant, partner=partner, identifier="locations", role="RECEIVER", url=f"{peer.url}/locations"
    )
    for index in range(LOCATIONS):
        peer.ok(f"/locations/NL/CPO/L{index}", None)
        peer.ok(f"/locations/NL/CPO/L{index}/3256", None)
    evses = [own_location(tenant, location_id=f"L{index}").evses.get(uid="3256") for index in range(LOCATIONS)]
    return tenant, evses


def _round(evses, status: str) -> None:
    for evse in evses:
        locations.set_evse_status(evse=evse, status=status)


def _settle_and_count(tenant, peer, evses, *, changes: int, scenario: str, record_property) -> Counter:
    """Wait until nothing is left to send; then check the newest state of every EVSE arrived last, every
    delivery ended DELIVERED or SUPERSEDED, and every change is accounted for in a delivered one."""
    deliveries = Delivery.objects.for_tenant(tenant)
    wait_for(lambda: not deliveries.filter(status__in=UNFINISHED).exists(), timeout=45, interval=0.2)
    counts = Counter(deliveries.values_list("status", flat=True))
    assert set(counts) <= {DeliveryStatus.DELIVERED, DeliveryStatus.SUPERSEDED}, counts
    evse_deliveries = deliveries.filter(status=DeliveryStatus.DELIVERED, object_path__endswith="/3256")
    assert evse_deliveries.aggregate(total=Sum("changes"))["total"] == changes
    arrived = Counter()
    for evse in evses:
        path = f"/locations/NL/CPO/{evse.location.location_id}/3256"
        sent = sorted(
            (r for r in peer.requests if r["path"] == path and r["method"] in ("PUT", "PATCH")),
            key=lambda r: r["arrived"],
        )
        newest = Evse.objects.get(pk=evse.pk).status
        assert f'"{newest}"'.encode() in sent[-1]["body"], (path, newest, sent[-1]["body"])
        arrived["evse requests"] += len(sent)
    line = (
        f"faults: {scenario}: {len(evses)} EVSEs, {changes} status changes; deliveries "
        f"{dict(sorted(counts.items()))}; {arrived['evse requests']} EVSE requests and "
        f"{len(peer.requests)} requests in all arrived; newest state last for {len(evses)}/{len(evses)}"
    )
    record_property("fault_counts", line)  # printed at the end of the run (tests/conftest.py)
    print(f"\n{line}")
    return counts


def test_postgresql_restart_in_a_push_burst_loses_nothing(servers, peer, record_property):
    pg, _ = servers
    tenant, evses = _partner_with_locations(peer, "pg-restart")
    peer.delay = 0.1  # some 20 requests a second at two at a time: the burst outlasts the restart
    _round(evses, STATUSES[0])
    _round(evses, STATUSES[1])
    assert Delivery.objects.for_tenant(tenant).filter(status__in=UNFINISHED).exists()  # mid-burst
    pg.stop()
    time.sleep(1)  # the outage itself: the database stays down for a second while the worker keeps trying
    pg.start()
    connections["default"].close()  # what the web side does at its next request (health check)
    _round(evses, STATUSES[2])
    _round(evses, STATUSES[3])
    _settle_and_count(
        tenant, peer, evses, changes=4 * LOCATIONS, scenario="PostgreSQL restarted", record_property=record_property
    )


def test_redis_restart_in_a_push_burst_loses_nothing(servers, peer, record_property):
    _, broker = servers
    tenant, evses = _partner_with_locations(peer, "redis-restart")
    peer.delay = 0.1
    _round(evses, STATUSES[0])
    _round(evses, STATUSES[1])
    assert Delivery.objects.for_tenant(tenant).filter(status__in=UNFINISHED).exists()
    # A retry the worker holds for later (unacknowledged) when the broker goes: the case that used to end
    # the worker. The delivery does not exist, so the task does nothing if it ever runs.
    held = deliver_task.apply_async((0,), countdown=60, queue=QUEUE)
    unacked = redis.Redis.from_url(broker.url)  # where the broker keeps what a worker took and has not acknowledged
    wait_for(lambda: any(held.id.encode() in message for message in unacked.hvals("unacked")), timeout=10)
    broker.stop()  # every queued task is lost with it
    # Changes made while the broker is down commit, and the new location's delivery is left to the sweep.
    started = time.monotonic()
    _round(evses, STATUSES[2])
    peer.ok("/locations/NL/CPO/NEW", None)
    own_location(tenant, location_id="NEW")
    print(f"\n[faults] changes with the broker down took {time.monotonic() - started:.2f} s")
    # Down long enough for the worker's reconnect to fall into its third try (2, 4, then 6 s apart): a task
    # that finished meanwhile acknowledges through the collected channel, which used to end the worker.
    time.sleep(3.5)
    broker.start()
    _round(evses, STATUSES[3])
    _settle_and_count(
        tenant, peer, evses, changes=4 * LOCATIONS, scenario="Redis restarted", record_property=record_property
    )
    assert [r["method"] for r in peer.requests if r["path"] == "/locations/NL/CPO/NEW"] == ["PUT"]


def test_partner_answering_500_then_recovering_gets_everything(servers, peer, record_property):
    tenant, evses = _partner_with_locations(peer, "partner-500")
    for index in range(LOCATIONS):
        peer.routes[f"/locations/NL/CPO/L{index}"] = (500, {}, "boom")
        peer.routes[f"/locations/NL/CPO/L{index}/3256"] = (500, {}, "boom")
    _round(evses, STATUSES[0])
    _round(evses, STATUSES[1])
    deliveries = Delivery.objects.for_tenant(tenant)
    wait_for(lambda: deliveries.filter(attempts__gte=2).count() >= LOCATIONS, timeout=30)  # retried while failing
    for index in range(LOCATIONS):
        peer.ok(f"/locations/NL/CPO/L{index}", None)
        peer.ok(f"/locations/NL/CPO/L{index}/3256", None)
    counts = _settle_and_count(
        tenant, peer, evses, changes=2 * LOCATIONS, scenario="partner 500 then up", record_property=record_property
    )
    assert counts[DeliveryStatus.DELIVERED] >= LOCATIONS
    # The failed tries reached the partner too (as EVSE PATCHes or, folded into a pending location PUT, as PUTs).
    assert len(peer.requests) > sum(counts.values())


def test_partner_hanging_past_the_read_timeout_is_retried_and_delivered(servers, peer, record_property):
    tenant, evses = _partner_with_locations(peer, "partner-hangs")
    peer.delay = 2.5  # the worker's read timeout is 1 s
    _round(evses[:2], STATUSES[0])
    deliveries = Delivery.objects.for_tenant(tenant)
    wait_for(lambda: deliveries.filter(attempts__gte=2, last_error__icontains="timed out").exists(), timeout=30)
    peer.delay = 0
    _round(evses[:2], STATUSES[1])
    _settle_and_count(
        tenant, peer, evses[:2], changes=4, scenario="partner hanging then answering", record_property=record_property
    )


class _CollectedRedisConnection:
    """A lost broker connection whose close fails the way kombu's Redis channel does once collected."""

    connection_errors = channel_errors = ()

    def collect(self, socket_timeout=None):
        pass

    def close(self):
        raise AttributeError("'NoneType' object has no attribute 'hostname'")


@pytest.mark.filterwarnings("ignore::celery.exceptions.CPendingDeprecationWarning")  # Celery 6's new default
def test_the_worker_consumer_reconnects_when_closing_the_lost_connection_fails(settings, monkeypatch):
    from celery.worker.consumer import Consumer as CeleryConsumer

    from config.celery import Consumer

    assert settings.CELERY_WORKER_CONSUMER == "config.celery:Consumer"
    # Lowering the prefetch count of a consumer in the middle of a reconnect is beside the point here.
    monkeypatch.setitem(celery_app.conf, "worker_enable_prefetch_count_reduction", False)
    stock, ours = CeleryConsumer.__new__(CeleryConsumer), Consumer.__new__(Consumer)
    for consumer in (stock, ours):
        consumer.app, consumer.connection = celery_app, _CollectedRedisConnection()

    with pytest.raises(AttributeError, match="hostname"):  # what made the worker exit
        stock.on_connection_error_after_connected(ConnectionError("lost"))
    ours.on_connection_error_after_connected(ConnectionError("lost"))
    assert ours.connection is None  # dropped, for the consumer's restart to connect anew


def test_acknowledging_through_a_collected_channel_is_a_connection_error_not_the_end_of_the_worker(settings):
    from kombu import Connection

    from config.broker import Transport

    connection = Connection(settings.CELERY_BROKER_URL, transport=Transport)
    channel = connection.channel()
    channel.basic_publish(channel.prepare_message("{}"), exchange="", routing_key=QUEUE)
    message = channel.basic_get(QUEUE, no_ack=False)
    connection.collect()  # what Celery does with a connection it lost; then its close of the channel
    channel._disconnect_pools()  # drops the pools before it fails (see config.celery.Consumer)
    with pytest.raises(tuple(Transport.connection_errors), match="lost and collected"):
        message.ack()
