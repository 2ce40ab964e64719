"""gunicorn settings for the web processes.

Threads matter: during a credentials POST the partner calls back into our versions and details
endpoints while the POST is still open, so every process needs spare threads to answer.
"""

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
