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
