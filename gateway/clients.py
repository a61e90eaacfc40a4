"""One pooled HTTP client per upstream, behind a circuit breaker, with retries and metrics.

The client is pyreqwest (Rust's reqwest and hyper behind a Python API), chosen
over aiohttp, aiosonic, rnet and httpx by measurement: it costs the gateway the
least CPU per proxied request (bench/gateway_clients.py, docs/decisions/0300).
Every request goes through the upstream's breaker (aiobreaker) once: a request
that found the service down — refused connection, timeout, or a 502/503/504
answer, after its retries — counts as one failure; any other answer (a 4xx, or a
500 for that one request) counts as a success, since the service answered. After
``breaker_fail_max`` failed requests in a row the breaker opens and calls fail
at once (503, ``Retry-After``) until ``breaker_reset_s`` has passed; then one
trial request decides whether it closes again. aiobreaker itself lets every
concurrent call through while half-open, so ``Upstream`` lets one trial at a
time reach the upstream and refuses the others like an open breaker. Idempotent
methods are retried with exponential backoff and jitter after a refused
connection or a 502/503 only; POST and PATCH never are (docs/decisions/0302).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from aiobreaker import (
    CircuitBreaker,
    CircuitBreakerError,
    CircuitBreakerListener,
    CircuitBreakerState,
)
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from pyreqwest.client import Client, ClientBuilder
from pyreqwest.exceptions import TransportError
from pyreqwest.http import HeaderMap
from pyreqwest.request import RequestBuilder, StreamRequest
from pyreqwest.response import Response

from gateway.settings import GatewaySettings
from services.common.context import REQUEST_ID_HEADER, current_request_id
from services.common.errors import (
    PROBLEM_JSON,
    CareError,
    ServiceUnavailable,
    UpstreamError,
    UpstreamTimeout,
)

log = logging.getLogger("carecircle.gateway.upstream")

#: Bodies up to this size are read whole; larger or unsized ones are streamed to the caller.
WHOLE_BODY_MAX = 256 * 1024
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Answers that mean "the service is down", as a refused connection or a timeout does.
DOWN_STATUSES = frozenset({502, 503, 504})
OUTCOMES = ("ok", "http_5xx", "http_down", "timeout", "connect_error", "breaker_open", "retry")
BREAKER_STATE_VALUE = {
    CircuitBreakerState.CLOSED: 0,
    CircuitBreakerState.HALF_OPEN: 1,
    CircuitBreakerState.OPEN: 2,
}


class UpstreamMetrics:
    """Per-upstream latency, outcomes and breaker state, on the app's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.latency = Histogram(
            "gateway_upstream_duration_seconds",
            "Time to an upstream's response headers, per attempt.",
            ["upstream"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.outcomes = Counter(
            "gateway_upstream_calls",
            "Upstream calls by outcome (ok, http_5xx: a 500-class answer other than 502/503/504, "
            "http_down: 502/503/504, timeout, connect_error, breaker_open, retry).",
            ["upstream", "outcome"],
            registry=registry,
        )
        self.breaker_state = Gauge(
            "gateway_upstream_breaker_state",
            "Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.",
            ["upstream"],
            registry=registry,
        )


def _about_its_dependency(response: Response) -> bool:
    """A 502 or 504 our service rendered itself (problem+json): one of *its* dependencies failed
    for this request. The service is up and answering; only a 503, or a bare 502/504 from
    something in front of it (a proxy, an ingress), says the service itself is down."""
    return response.status != 503 and response.get_header("content-type") == PROBLEM_JSON


def _worth_retrying(exc: Exception) -> bool:
    """A refused or broken connection, a 502 or 503: the work was not done there. Not a
    timeout or a 504: the work may still be running. (pyreqwest 0.15 reports a slow answer
    as ``ConnectTimeoutError`` too, so no timeout is retried, connecting or not.)"""
    if isinstance(exc, _Down):
        return exc.status != 504
    return not isinstance(exc, TimeoutError)


class _Down(Exception):
    """An upstream 502, 503 or 504: the service (or what stands in front of it) says it is
    down; raised inside the breaker so it counts as a failure."""

    def __init__(self, status: int, headers: HeaderMap, body: bytes) -> None:
        super().__init__(f"upstream answered {status}")
        self.status = status
        self.headers = headers
        self.body = body


class _StateGauge(CircuitBreakerListener):  # type: ignore[misc]
    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream

    def state_change(self, breaker: CircuitBreaker, old: Any, new: Any) -> None:
        self.upstream.metrics.breaker_state.labels(self.upstream.name).set(
            BREAKER_STATE_VALUE[new.state]
        )
        log.warning(
            "breaker %s: %s -> %s", self.upstream.name, getattr(old, "state", old), new.state.name
        )


@dataclass
class OpenBody:
    """A large upstream body still being received: read it in chunks, then close it."""

    request: StreamRequest
    response: Response

    async def chunks(self) -> AsyncIterator[bytes]:
        reader = self.response.body_reader
        while (chunk := await reader.read_chunk()) is not None:
            yield bytes(chunk)

    async def close(self) -> None:
        """Give the connection back (or drop it, if the body was not read to its end)."""
        await self.request.__aexit__(None, None, None)


@dataclass
class UpstreamAnswer:
    """Status, headers and either the whole body or the still-open body to stream from."""

    status: int
    headers: Mapping[str, str]
    body: bytes | None
    open_body: OpenBody | None = None

    def json(self) -> Any:
        return orjson.loads(self.body or b"null")


class Upstream:
    """A named service behind the gateway: base URL, connection pool, breaker, retries."""

    def __init__(
        self, name: str, base_url: str, settings: GatewaySettings, metrics: UpstreamMetrics
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self.metrics = metrics
        self.breaker = CircuitBreaker(
            fail_max=settings.breaker_fail_max,
            timeout_duration=timedelta(seconds=settings.breaker_reset_s),
            listeners=[_StateGauge(self)],
            name=name,
        )
        self.timeout_s = settings.upstream_timeouts_s.get(name, settings.upstream_timeout_s)
        self._client: Client | None = None
        self._trial_in_flight = False  # set while the one half-open trial call runs
        metrics.breaker_state.labels(name).set(0)
        # Label children bound once: .labels() costs a lock and a dict lookup per call.
        self._latency = metrics.latency.labels(name)
        self._outcome = {o: metrics.outcomes.labels(name, o) for o in OUTCOMES}

    @property
    def client(self) -> Client:
        """The upstream's connection pool, made on first use (inside the running event loop)."""
        if self._client is None:
            self._client = (
                ClientBuilder()
                .max_connections(self.settings.pool_size)
                .pool_max_idle_per_host(self.settings.pool_size)
                .pool_idle_timeout(timedelta(seconds=30))
                .connect_timeout(timedelta(seconds=self.settings.upstream_connect_timeout_s))
                .timeout(timedelta(seconds=self.timeout_s))
                .follow_redirects(False)  # a redirect goes back to the caller, rewritten
                .gzip(False)  # the gateway drops Accept-Encoding and compresses once itself
                .brotli(False)
                .zstd(False)
                .deflate(False)
                .referer(False)
                .no_proxy()  # services are reached directly, whatever HTTP_PROXY says
                .user_agent("carecircle-gateway")
                .build()
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    @property
    def breaker_state(self) -> str:
        return str(self.breaker.current_state.name).lower()

    async def request(
        self,
        method: str,
        path_qs: str,
        *,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        body: bytes | AsyncIterator[bytes] | None = None,
        stream: bool = False,
        timeout_s: float | None = None,
    ) -> UpstreamAnswer:
        """One request, through the breaker once, retried inside it; raises 502/503/504 as
        :class:`CareError` only when the upstream is down (docs/decisions/0302).

        Any answer the service gives, 4xx and 500 included, is returned as it is: a
        caller's mistake, or a failure of that one request, says nothing about whether
        the service is up. With ``stream=True`` a large body is left unread: the caller
        must stream ``answer.open_body`` and close it.
        """
        try:
            return await self._through_breaker(method, path_qs, headers, body, stream, timeout_s)
        except CircuitBreakerError as exc:
            if exc.__cause__ is None:  # refused without calling (a tripping failure has a cause)
                self._outcome["breaker_open"].inc()
            raise ServiceUnavailable(
                f"upstream {self.name} is failing; its circuit breaker is open",
                retry_after_s=max(1, round(self.settings.breaker_reset_s)),
                upstream=self.name,
            ) from exc
        except (_Down, TimeoutError, TransportError) as exc:
            raise self._as_care_error(exc) from exc

    async def _through_breaker(self, *args: Any) -> UpstreamAnswer:
        """One request through the breaker, with at most one trial while it is not closed.

        aiobreaker 1.2.0 lets every concurrent call through in half-open state, so a burst
        would hit a recovering upstream at once. Here the first request after the reset time
        is the trial; the others are refused like an open breaker's until it has decided.
        """
        if self.breaker.current_state is CircuitBreakerState.CLOSED:
            return await self.breaker.call_async(self._attempts, *args)  # type: ignore[no-any-return]
        if self._trial_in_flight:
            raise CircuitBreakerError("a half-open trial call is in flight", None)
        self._trial_in_flight = True  # no await before this: nothing can slip in between
        try:
            return await self.breaker.call_async(self._attempts, *args)  # type: ignore[no-any-return]
        finally:
            self._trial_in_flight = False

    async def _attempts(
        self,
        method: str,
        path_qs: str,
        headers: Mapping[str, str] | list[tuple[str, str]] | None,
        body: bytes | AsyncIterator[bytes] | None,
        stream: bool,
        timeout_s: float | None,
    ) -> UpstreamAnswer:
        """The attempts of one request: idempotent ones are sent again after a sign that the
        service is down before it did the work (refused connection, 502/503), never after a
        timeout (the work may still be running there, and would run twice)."""
        replayable = body is None or isinstance(body, bytes)  # a streamed body cannot be sent twice
        attempts = 1 + (self.settings.retries if method in IDEMPOTENT_METHODS and replayable else 0)
        delay_s = self.settings.retry_backoff_s
        for attempt in range(1, attempts + 1):
            try:
                return await self._once(method, path_qs, headers, body, stream, timeout_s)
            except (_Down, TransportError) as exc:
                if attempt == attempts or not _worth_retrying(exc):
                    raise
            self._outcome["retry"].inc()
            await asyncio.sleep(delay_s * (0.5 + random.random()))
            delay_s *= 2
        raise AssertionError("unreachable")

    async def _once(
        self,
        method: str,
        path_qs: str,
        headers: Mapping[str, str] | list[tuple[str, str]] | None,
        body: bytes | AsyncIterator[bytes] | None,
        stream: bool,
        timeout_s: float | None,
    ) -> UpstreamAnswer:
        started = time.perf_counter()
        outcome = "ok"
        try:
            builder = self._build(method, path_qs, headers, body, timeout_s)
            if stream:
                request = builder.build_streamed()
                response = await request.__aenter__()
                length = response.get_header("content-length")
                if response.status < 500 and (length is None or int(length) > WHOLE_BODY_MAX):
                    return UpstreamAnswer(
                        response.status, response.headers, None, OpenBody(request, response)
                    )
                try:
                    data = bytes(await response.bytes())
                finally:
                    await request.__aexit__(None, None, None)
            else:
                response = await builder.build().send()
                data = bytes(await response.bytes())
            if response.status in DOWN_STATUSES and not _about_its_dependency(response):
                outcome = "http_down"
                raise _Down(response.status, response.headers, data)
            if response.status >= 500:
                outcome = "http_5xx"  # this request failed there; the service is up
            return UpstreamAnswer(response.status, response.headers, data)
        except TimeoutError:
            outcome = "timeout"
            raise
        except TransportError:
            outcome = "connect_error"
            raise
        finally:
            self._latency.observe(time.perf_counter() - started)
            self._outcome[outcome].inc()

    def _build(
        self,
        method: str,
        path_qs: str,
        headers: Mapping[str, str] | list[tuple[str, str]] | None,
        body: bytes | AsyncIterator[bytes] | None,
        timeout_s: float | None,
    ) -> RequestBuilder:
        builder = self.client.request(method, self.base_url + path_qs)
        if headers:
            builder = builder.headers(headers)
        if isinstance(body, bytes):
            builder = builder.body_bytes(body)
        elif body is not None:
            builder = builder.body_stream(body)
        if timeout_s:
            builder = builder.timeout(timedelta(seconds=timeout_s))
        return builder

    def _as_care_error(self, exc: Exception) -> CareError:
        if isinstance(exc, TimeoutError):
            return UpstreamTimeout(
                f"upstream {self.name} did not answer in time", upstream=self.name
            )
        if isinstance(exc, _Down):
            status = exc.status
            if status == 503:
                retry = exc.headers.get("Retry-After", "5")
                return ServiceUnavailable(
                    f"upstream {self.name} is unavailable (it answered 503)",
                    retry_after_s=int(retry) if retry.isdigit() else 5,
                    upstream=self.name,
                    upstream_status=status,
                )
            if status == 504:
                return UpstreamTimeout(
                    f"upstream {self.name} timed out (it answered 504)", upstream=self.name
                )
            return UpstreamError(
                f"upstream {self.name} failed (it answered {status})",
                upstream=self.name,
                upstream_status=status,
            )
        return ServiceUnavailable(
            f"upstream {self.name} is unreachable: {type(exc).__name__}",
            retry_after_s=max(1, round(self.settings.breaker_reset_s / 2)),
            upstream=self.name,
        )

    async def get_json(
        self,
        path_qs: str,
        *,
        timeout_s: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> UpstreamAnswer:
        """A GET for the aggregated views (request id forwarded)."""
        return await self.request(
            "GET", path_qs, headers=_with_request_id(headers), timeout_s=timeout_s
        )

    async def post_json(
        self,
        path: str,
        body: bytes,
        *,
        timeout_s: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> UpstreamAnswer:
        """A POST of a JSON ``body`` (already serialized: a signed identity covers its bytes)."""
        merged = _with_request_id(headers)
        merged["Content-Type"] = "application/json"
        return await self.request("POST", path, headers=merged, body=body, timeout_s=timeout_s)


def _with_request_id(headers: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(headers or {})
    request_id = current_request_id()
    if request_id:
        merged.setdefault(REQUEST_ID_HEADER, request_id)
    return merged
