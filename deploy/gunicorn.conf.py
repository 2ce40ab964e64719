"""gunicorn settings for the web processes.

Threads matter: during a credentials POST the partner calls back into our versions and details
endpoints while the POST is still open, so every process needs spare threads to answer.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", 8))
timeout = int(os.environ.get("WEB_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
max_requests = 10000
max_requests_jitter = 1000
accesslog = None  # the platform logs each OCPI request itself, with its ids
wsgi_app = "config.wsgi:application"

# Requests served on one keep-alive connection before it is closed (with "Connection: close", so clients
# simply reconnect), as nginx's keepalive_requests. A worker keeps the connections it accepted: a few busy
# partners that connected at once can all land on one process while the others idle. Closing now and
# then lets the next connection go to whichever worker is free. 0 keeps connections open indefinitely.
keepalive_requests = int(os.environ.get("WEB_KEEPALIVE_REQUESTS", 100))


def pre_request(worker, req):
    if keepalive_requests and req.req_number >= keepalive_requests:
        req.must_close = True


def post_worker_init(worker):
    """Move everything the worker loaded (Django, the URLconf and every view it imports) into the garbage
    collector's permanent generation (gc.freeze). Otherwise each full collection walks those hundreds of
    thousands of objects again; a page of 1000 locations allocates enough to trigger several, which cost
    more CPU than building the page."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the views now, so they are frozen with the rest
    _freeze()


def post_request(worker, req, environ, resp):
    # Once more after the worker's first request: what Django and DRF build lazily on first use is frozen too.
    if not getattr(worker, "frozen_after_first_request", False):
        worker.frozen_after_first_request = True
        _freeze()


def _freeze():
    gc.collect()
    gc.freeze()
