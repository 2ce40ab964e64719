"""The Celery application: workers carry out deliveries and handshakes, beat runs the sync jobs."""

import logging
import os

from celery import Celery
from celery.signals import task_prerun
from celery.worker.consumer import Consumer as CeleryConsumer
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("roaming")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class Consumer(CeleryConsumer):
    """Celery's consumer, kept alive when the Redis broker goes away while the worker holds tasks.

    On a lost connection Celery collects the connection, then closes it. With the Redis transport
    that close restores the unacknowledged messages through the connection just collected and raises
    AttributeError ('NoneType' object has no attribute 'hostname'), which escapes Celery's
    connection-error handling: the worker logs "Unrecoverable error" and exits. Those messages cannot
    be restored while the broker is down anyway (the outbox sweep re-queues due deliveries), so the
    close is made quiet and Celery reconnects as after any connection error.
    """

    def on_connection_error_after_connected(self, exc):
        connection = self.connection
        if connection is not None:
            close = connection.close

            def close_quietly():
                try:
                    close()
                except AttributeError as error:
                    logger.warning("closing the lost broker connection failed (%s); reconnecting", error)

            connection.close = close_quietly
        super().on_connection_error_after_connected(exc)


@task_prerun.connect
def _reuse_connections_as_requests_do(sender=None, **kwargs):
    """With CELERY_DB_REUSE_MAX a worker keeps its database connection between tasks (opening one costs more
    than most tasks); each task starts as a request does, so DB_CONN_MAX_AGE and DB_CONN_HEALTH_CHECKS apply
    to it: a connection past its age or broken (a restarted server) is replaced before the task uses it. A task
    run inline (eager) is part of its caller's transaction and leaves the connection alone."""
    if not getattr(sender.request, "is_eager", False):
        close_old_connections()
