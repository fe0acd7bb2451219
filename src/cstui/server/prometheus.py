"""`GET /metrics`: the team server's figures for Prometheus (its text format).

Two kinds, so that several server processes on one store add up right:

- what a process measures itself (each request's latency, by method, route template and
  status): in the process's memory, or, when `PROMETHEUS_MULTIPROC_DIR` names a directory
  (`cstui serve --workers N` sets one up), in files there that every worker's `/metrics`
  adds up (prometheus-client's multiprocess mode);
- what the store knows (queue depths, open tickets past their SLA deadline, deliveries per
  state, automation firings in the last 24 hours): read from the store when scraped, the
  same through every process, whichever process did the work, each by one indexed query.

The endpoint is answered here, before the API's routing: `/api/v1/metrics` is the quality
figures, and this one takes no token (put it behind the proxy's allow list; it names no
customer). Route templates, never raw paths, label the latency, so ids do not multiply
the series.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import anyio
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cstui.server.deps import API_PREFIX
from cstui.store.base import DEPTH_VIEWS
from cstui.store.sql import SqlStore

log = logging.getLogger("cstui.server")

METRICS_PATH = "/metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
FIRINGS_WINDOW = timedelta(hours=24)

REQUEST_SECONDS = Histogram(
    "cstui_http_request_duration_seconds",
    "Time to answer an HTTP request (to the start of the answer for a live stream)",
    ["method", "route", "status"],
)


class Metrics:
    """ASGI middleware: times every request and answers `GET /metrics`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == METRICS_PATH and scope["method"] in ("GET", "HEAD"):
            await self._answer(scope, send)
            return
        started = time.perf_counter()
        status = 500

        async def timing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                _observe(scope, status, started)
            await send(message)

        try:
            await self.app(scope, receive, timing_send)
        except BaseException:
            _observe(scope, status, started)
            raise

    async def _answer(self, scope: Scope, send: Send) -> None:
        store: SqlStore = scope["app"].state.cstui.store
        body = await anyio.to_thread.run_sync(scrape, store)
        headers = [
            (b"content-type", CONTENT_TYPE_LATEST.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )


def _observe(scope: Scope, status: int, started: float) -> None:
    route = scope.get("route")
    template = str(getattr(route, "path_format", "") or "unmatched")
    if route is not None and scope["path"].startswith(f"{API_PREFIX}/"):
        template = API_PREFIX + template  # routes declare their path within the API's
    REQUEST_SECONDS.labels(scope["method"], template, str(status)).observe(
        time.perf_counter() - started
    )


def scrape(store: SqlStore) -> bytes:
    """The text of one scrape: this process's (or every worker's) figures, then the store's."""
    processes: CollectorRegistry = REGISTRY
    if os.environ.get(MULTIPROC_ENV):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
    stored = CollectorRegistry()
    stored.register(StoreCollector(store))
    return generate_latest(processes) + generate_latest(stored)


class StoreCollector(Collector):
    """The store's figures at the moment of the scrape; `cstui_store_up` 0 when it fails."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("cstui_store_up", "1 when the store answered this scrape")
        try:
            figures = list(_store_figures(self.store))
        except Exception as exc:  # the store is down: say so, and still answer the rest
            log.warning("metrics: the store did not answer: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures


def _store_figures(store: SqlStore) -> Iterator[Metric]:
    views = {view.value: store.count_tickets(view, actor=None) for view in DEPTH_VIEWS}
    yield _labelled("cstui_queue_tickets", "Tickets in each queue view", "view", views)
    breached = GaugeMetricFamily(
        "cstui_sla_breached_tickets", "Open tickets past their nearest SLA deadline"
    )
    breached.add_metric([], store.sla_breached())
    yield breached
    deliveries = {state.value: n for state, n in store.delivery_counts().items()}
    yield _labelled(
        "cstui_channel_deliveries", "Outgoing deliveries in each state", "state", deliveries
    )
    fired = store.automations_fired(since=store.clock() - FIRINGS_WINDOW)
    yield _labelled(
        "cstui_automation_firings_24h", "Automation firings in the last 24 hours", "rule", fired
    )


def _labelled(name: str, doc: str, label: str, values: dict[str, Any]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([str(key)], float(value))
    return family
