"""Django's PostgreSQL backend with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django checks a persistent connection before each request or task reuses it,
by running SELECT 1: one more round trip, and one more statement for the server, on every request. An
idle connection in autocommit hears nothing from the server unless the server is going away (a FATAL
notice when it shuts down or the session is terminated, then EOF), so a connection whose socket has
nothing to read is as good as SELECT 1 would find it; only one with something to read gets that check.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper
from psycopg import pq


class DatabaseWrapper(PostgresDatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.pgconn.status != pq.ConnStatus.OK:
            return False
        if conn.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        poller = select.poll()
        poller.register(conn.pgconn.socket, select.POLLIN)
        if not poller.poll(0):
            return True
        return super().is_usable()
