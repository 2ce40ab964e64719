"""The Redis broker transport, publishing through one Redis client per channel.

kombu's Redis channel builds a new redis-py client object for every message it publishes (the
connection itself comes from the channel's pool either way), and building one costs about as much
CPU as the rest of the publish. A status PATCH queues its delivery from the web process, so this is
on the request path. A redis-py client is safe to share: it takes a pooled connection per command.

The channel also answers for a lost broker: once Celery has collected the connection of a channel
(the broker went away), a task that finishes afterwards still acknowledges its message through the
old channel. Stock kombu then fails with AttributeError deep in its connection parameters, which ends
the worker; here it is the connection error Celery expects ("Couldn't ack", logged), and the worker
goes on with its new connection. The message is the broker's to redeliver, or the outbox sweep's.
"""

from __future__ import annotations

from contextlib import contextmanager

from kombu.transport import redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(redis.Channel):
    _publishing_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection of this channel was lost and collected")
        shared = self._publishing_client
        if shared is None or shared.connection_pool is not self.pool:
            shared = self._publishing_client = self._create_client()
        yield shared


class Transport(redis.Transport):
    Channel = Channel
