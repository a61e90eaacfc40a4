"""Prometheus request counts and latency histograms per route template.

Each app gets its own registry, so several apps in one test process never clash.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class RequestMetrics:
    """The counters one service exposes at ``/metrics``."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["service", "route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from request start to the end of the response body, by route template.",
            ["service", "route", "method"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.service = service
        # Label children by key: ``.labels()`` takes a lock and builds a tuple on every call.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    def observe(self, route: str, method: str, status: int, duration_s: float) -> None:
        counter = self._counters.get((route, method, status))
        if counter is None:
            counter = self.requests.labels(self.service, route, method, str(status))
            self._counters[(route, method, status)] = counter
        counter.inc()
        histogram = self._histograms.get((route, method))
        if histogram is None:
            histogram = self.latency.labels(self.service, route, method)
            self._histograms[(route, method)] = histogram
        histogram.observe(duration_s)

    def render(self) -> bytes:
        return generate_latest(self.registry)
