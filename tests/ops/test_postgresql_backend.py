"""The health check before a persistent connection is reused: no round trip for a live connection,
and a connection the server ended is replaced before the request's first query."""

import pytest
from django.db import connection, connections

from tests.waiting import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def persistent():
    """A connection of its own, as a web worker holds one between requests (health checks on)."""
    db = connections.create_connection("default")
    db.health_check_enabled = True
    db.ensure_connection()
    yield db
    db.close()


def backend_pid(db) -> int:
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_backend_is_ours():
    assert type(connections["default"]).__module__ == "ops.postgresql.base"
    assert connections["default"].vendor == "postgresql"


def last_statement_of(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_a_live_idle_connection_passes_without_a_statement(persistent):
    pid = backend_pid(persistent)
    assert persistent.is_usable()
    persistent.health_check_done = False
    persistent.close_if_health_check_failed()
    assert persistent.connection is not None
    assert last_statement_of(pid) == "SELECT pg_backend_pid()"  # no SELECT 1 ran
    assert backend_pid(persistent) == pid


def test_a_connection_the_server_ended_is_replaced_before_the_next_query(persistent):
    pid = backend_pid(persistent)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])  # waits until the session has ended
        assert cursor.fetchone()[0] is True
    # The FATAL notice reaches the socket as the session ends.
    wait_for(
        lambda: not persistent.is_usable(), timeout=5, interval=0.02, message="a terminated session still looked usable"
    )
    persistent.health_check_done = False
    persistent.close_if_health_check_failed()
    assert backend_pid(persistent) != pid
