"""The sender's pacer: one token bucket per Slack method, shared by every caller of a workspace.

Each call takes its turn before it goes out, at the rate of the method's tier. A 429 holds the
method for `Retry-After` for *every* caller and slows the method down until calls succeed
again. slack_sdk's own retry handlers decide what is retried; their sleeps go through the pacer,
whose `sleep` and `clock` are injectable so tests never really wait.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse


@dataclass(frozen=True)
class Rate:
    """Calls per second sustained, and how many may go at once after a quiet spell."""

    per_second: float
    burst: int = 1


# Slack's published tiers (per method, per workspace): 1+, 20+, 50+ and 100+ calls a minute.
TIER_1, TIER_2 = Rate(1 / 60), Rate(20 / 60, 3)
TIER_3, TIER_4 = Rate(50 / 60, 5), Rate(100 / 60, 10)
# chat.postMessage has its own limit; ours posts DMs to many channels, so the workspace-wide
# rate is the one that binds. Its burst lets the sender catch up after a retry's pause.
POST_MESSAGE = Rate(20.0, 10)
TIERS: Mapping[str, Rate] = {
    "auth.test": TIER_4,
    "chat.postEphemeral": TIER_4,
    "chat.update": TIER_3,
    "conversations.open": TIER_3,
    "files.completeUploadExternal": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "team.info": TIER_3,
    "users.info": TIER_4,
    "users.list": TIER_2,
    "users.lookupByEmail": TIER_3,
    "views.open": TIER_4,
    "views.publish": TIER_4,
    "views.push": TIER_4,
    "views.update": TIER_4,
}
SLOWER, MAX_SLOWDOWN, RECOVERY = 1.5, 8.0, 0.98  # on a 429; at most; per call after it


class _Bucket:
    """A token bucket kept as its theoretical arrival time (GCRA), plus a hold."""

    def __init__(self, rate: Rate, now: float) -> None:
        self.base = 1.0 / rate.per_second
        self.interval = self.base
        self.burst = max(1, rate.burst)
        self.tat = now
        self.held_until = now

    def reserve(self, now: float) -> float:
        """The time this call may go; the slot is taken."""
        start = max(now, self.held_until, self.tat - (self.burst - 1) * self.interval)
        self.tat = max(self.tat, start) + self.interval
        self.interval = max(self.base, self.interval * RECOVERY)
        return start


class Pacer:
    """Thread-safe pacing of one workspace's Web API calls."""

    def __init__(
        self,
        rates: Mapping[str, Rate] | None = None,
        *,
        post_message: Rate = POST_MESSAGE,
        default: Rate = TIER_3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rates = {**TIERS, **(rates or {}), "chat.postMessage": post_message}
        self.default = default
        self.clock = clock
        self.sleep = sleep
        self.limited = 0  # 429s seen
        self.waited = 0.0  # seconds spent waiting, all callers together
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def rate(self, method: str) -> Rate:
        return self.rates.get(method, self.default)

    def acquire(self, method: str) -> float:
        """Wait for `method`'s turn; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                bucket = self._bucket(method)
                now = self.clock()
                delay = bucket.reserve(now) - now
            if delay > 0:
                self.pause(delay)
                waited += delay
            with self._lock:
                if bucket.held_until <= self.clock():  # no 429 arrived while we waited
                    return waited

    def hold(self, method: str, seconds: float) -> None:
        """Slack said `Retry-After: seconds`: nobody calls `method` before then, and after
        that it goes slower until calls succeed again."""
        with self._lock:
            bucket = self._bucket(method)
            until = self.clock() + max(0.0, seconds)
            bucket.held_until = max(bucket.held_until, until)
            bucket.tat = max(bucket.tat, bucket.held_until)
            bucket.interval = min(bucket.base * MAX_SLOWDOWN, bucket.interval * SLOWER)
            self.limited += 1

    def pause(self, seconds: float) -> None:
        """Sleep through the injectable `sleep` (a retry's backoff, or a turn's wait)."""
        with self._lock:
            self.waited += seconds
        self.sleep(seconds)

    def _bucket(self, method: str) -> _Bucket:
        bucket = self._buckets.get(method)
        if bucket is None:
            bucket = self._buckets[method] = _Bucket(self.rate(method), self.clock())
        return bucket


def method_of(url: str) -> str:
    """`https://slack.com/api/chat.postMessage?x=1` → `chat.postMessage`."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def retry_after(headers: Mapping[str, Any]) -> float:
    """Seconds from a `Retry-After` header (slack_sdk gives header values as lists)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            text = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(text))
            except (TypeError, ValueError):
                break
    return 1.0


class ProportionalJitter(Jitter):
    """Up to half again the backoff, so retries from many callers spread out."""

    def recalculate(self, duration: float) -> float:
        return duration * (1 + random.random() / 2)  # noqa: S311 - spreading, not secrecy


BACKOFF = BackoffRetryIntervalCalculator(backoff_factor=0.25, jitter=ProportionalJitter())


class _Paced:
    """What the three handlers share: wait through the pacer, then take a turn."""

    pacer: Pacer
    interval_calculator: Any

    def _next(self, state: RetryState, request: HttpRequest, hold: float | None) -> None:
        state.next_attempt_requested = True
        method = method_of(request.url)
        if hold is not None:
            self.pacer.hold(method, hold)
        else:
            self.pacer.pause(
                self.interval_calculator.calculate_sleep_duration(state.current_attempt)
            )
        self.pacer.acquire(method)
        state.increment_current_attempt()


class PacedRateLimitRetry(_Paced, RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler; `Retry-After` holds every caller of the method."""

    def __init__(self, pacer: Pacer, max_retry_count: int = 10) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]  # as slack_sdk's own handler does
        self._next(state, request, retry_after(response.headers))


class _PacedBackoff(_Paced):
    """A slack_sdk handler whose backoff sleeps through the pacer (5xx, connection errors)."""

    def __init__(self, pacer: Pacer, max_retry_count: int = 2) -> None:
        super().__init__(max_retry_count=max_retry_count, interval_calculator=BACKOFF)  # type: ignore[call-arg]
        self.pacer = pacer

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self._next(state, request, None)


class PacedServerErrorRetry(_PacedBackoff, ServerErrorRetryHandler):
    """slack_sdk's 500/503 handler, backing off through the pacer."""


class PacedConnectionErrorRetry(_PacedBackoff, ConnectionErrorRetryHandler):
    """slack_sdk's connection-error handler, backing off through the pacer."""


class PacedClient(WebClient):
    """A WebClient whose every call first takes its turn from the pacer."""

    def __init__(self, *, pacer: Pacer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pacer = pacer

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        self.pacer.acquire(api_method)
        return super().api_call(api_method, **kwargs)  # type: ignore[return-value]


def paced_client(token: str, base_url: str, pacer: Pacer, *, timeout: int = 30) -> PacedClient:
    """The sender's client: paced, retrying 429s, 5xx and connection errors through `pacer`."""
    return PacedClient(
        pacer=pacer,
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            PacedRateLimitRetry(pacer),
            PacedServerErrorRetry(pacer),
            PacedConnectionErrorRetry(pacer),
        ],
    )
