"""Prometheus metrics: OCPI requests by module, version and status; deliveries and pulls per partner.

Request counts and latencies are counted in-process (set PROMETHEUS_MULTIPROC_DIR when gunicorn
runs several processes); delivery and pull figures are read from the database at scrape time, so
every web process reports the same truth.
"""

from __future__ import annotations

import hmac
import os
import time

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from roaming.models import Delivery, SyncState

ocpi_requests = Counter("ocpi_requests_total", "OCPI requests served", ["module", "version", "method", "status"])
authorization_latency = Histogram(
    "roaming_authorization_seconds",
    "Real-time token authorization latency",
    ["version"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1),
)
ocpi_latency = Histogram(
    "ocpi_request_seconds",
    "OCPI request latency",
    ["module", "version"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class MetricsMiddleware:
    """Counts every OCPI request by module, version, method and HTTP status, and its latency."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/ocpi/"):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        module = getattr(request, "ocpi_module", "-")
        version = str(getattr(request, "dialect", None) or "-")
        ocpi_requests.labels(module, version, request.method, str(response.status_code)).inc()
        elapsed = time.perf_counter() - started
        ocpi_latency.labels(module, version).observe(elapsed)
        if module == "tokens" and request.method == "POST" and request.path.rstrip("/").endswith("/authorize"):
            authorization_latency.labels(version).observe(elapsed)
        return response


class DatabaseCollector(Collector):
    """Deliveries by partner and status, and pull state per partner module, read at scrape time."""

    def collect(self):
        deliveries = GaugeMetricFamily(
            "roaming_deliveries",
            "Deliveries in the outbox by partner and status",
            labels=["tenant", "partner", "status"],
        )
        rows = Delivery.objects.values("tenant__slug", "partner__name", "status").annotate(n=Count("pk"))
        for row in rows:
            deliveries.add_metric([row["tenant__slug"], row["partner__name"], row["status"]], row["n"])
        yield deliveries
        pulls = GaugeMetricFamily(
            "roaming_pull_last_objects", "Objects ingested by the last pull", labels=["tenant", "partner", "module"]
        )
        durations = GaugeMetricFamily(
            "roaming_pull_last_seconds", "Duration of the last complete pull", labels=["tenant", "partner", "module"]
        )
        for state in SyncState.objects.select_related("partner", "tenant"):
            labels = [state.tenant.slug, state.partner.name, state.module]
            pulls.add_metric(labels, state.last_objects)
            if state.last_completed_at and state.last_started_at:
                durations.add_metric(labels, (state.last_completed_at - state.last_started_at).total_seconds())
        yield pulls
        yield durations


_database_registry = CollectorRegistry()
_database_registry.register(DatabaseCollector())


def metrics_view(request) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if token and not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        return HttpResponse(status=401)
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    body += generate_latest(_database_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
