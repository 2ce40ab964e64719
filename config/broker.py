"""The Redis broker transport, publishing through one Redis client per channel.

kombu's Redis channel builds a new redis-py client object for every message it publishes (the
connection itself comes from the channel's pool either way), and building one costs about as much
CPU as the rest of the publish. A status PATCH queues its delivery from the web process, so this is
on the request path. A redis-py client is safe to share: it takes a pooled connection per command.
"""

from __future__ import annotations

from contextlib import contextmanager

from kombu.transport import redis


class Channel(redis.Channel):
    _publishing_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        shared = self._publishing_client
        if shared is None or shared.connection_pool is not self.pool:
            shared = self._publishing_client = self._create_client()
        yield shared


class Transport(redis.Transport):
    Channel = Channel
