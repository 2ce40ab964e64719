"""The Redis broker transport publishes through one Redis client per channel, and messages still arrive."""

import uuid

import redis

from config.broker import Channel, Transport
from config.celery import app


def test_the_platform_publishes_through_its_own_transport_with_one_client_per_channel(settings):
    queue = f"test-broker-{uuid.uuid4().hex}"
    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, Transport)
        channel = connection.default_channel
        assert isinstance(channel, Channel)
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is second
        try:
            with connection.Producer() as producer:
                for n in range(3):
                    producer.publish({"n": n}, routing_key=queue, declare=[], serializer="json")
            assert redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue) == 3
            consumed = [connection.SimpleQueue(queue).get(timeout=2).payload for _ in range(3)]
            assert sorted(m["n"] for m in consumed) == [0, 1, 2]
        finally:
            redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(queue)
