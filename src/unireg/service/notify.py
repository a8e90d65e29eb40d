"""Webhook notifications: a JSON POST per event, delivered off the caller's path.

Deliveries run on a small thread pool, so the operation that triggered them never
waits for a webhook and never fails because of one. Each delivery is retried a bounded
number of times with exponential backoff on connection errors, timeouts, 429 and 5xx.
``close`` waits for pending deliveries up to a bound, so a CLI process delivers before
it exits.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_BACKOFF_SECONDS = 0.2
_RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class WebhookTarget:
    """One webhook: its URL, the event types it receives and its delivery bounds."""

    url: str
    events: frozenset[str]
    timeout_seconds: float = 5.0
    attempts: int = 3


@dataclass(frozen=True)
class Delivery:
    """The outcome of delivering one event to one URL."""

    url: str
    event: str
    delivered: bool
    attempts: int
    error: str | None = None


class Notifier:
    """Sends events to the webhooks configured for one client."""

    def __init__(self, targets: Sequence[WebhookTarget], workers: int = 4) -> None:
        self.targets = list(targets)
        self._pool: ThreadPoolExecutor | None = None
        self._workers = workers
        self._pending: list[Future[Delivery]] = []

    def send(self, event: str, payload: dict[str, Any]) -> list[Future[Delivery]]:
        """Queue ``payload`` for every webhook subscribed to ``event``."""
        futures = []
        body = json.dumps({"event": event, **payload}, sort_keys=True).encode("utf-8")
        for target in self.targets:
            if event not in target.events:
                continue
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, "unireg-webhook")
            futures.append(self._pool.submit(_deliver, target, event, body))
        self._pending += futures
        return futures

    def close(self, timeout: float = 30.0) -> list[Delivery]:
        """Wait up to ``timeout`` seconds for queued deliveries; return their
        outcomes and log the ones that failed or did not finish."""
        if self._pool is None:
            return []
        done, not_done = wait(self._pending, timeout=timeout)
        for future in not_done:
            future.cancel()
        if not_done:
            log.warning(
                "%d webhook deliveries did not finish in %.0f s", len(not_done), timeout
            )
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self._pending = []
        return [_outcome(future) for future in done]


def _outcome(future: Future[Delivery]) -> Delivery:
    """Return a delivery's outcome; an unexpected error becomes a failed delivery,
    so a webhook never fails the operation that triggered it."""
    error = future.exception()
    if error is None:
        return future.result()
    log.warning("webhook delivery failed unexpectedly: %r", error)
    return Delivery(url="", event="", delivered=False, attempts=0, error=repr(error))


def _deliver(target: WebhookTarget, event: str, body: bytes) -> Delivery:
    error = "not attempted"
    for attempt in range(1, target.attempts + 1):
        request = urllib.request.Request(  # noqa: S310 - URL scheme checked in config
            target.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "unireg"},
        )
        try:
            with urllib.request.urlopen(  # noqa: S310 - http(s) only, see config
                request, timeout=target.timeout_seconds
            ) as response:
                response.read()
            return Delivery(target.url, event, True, attempt)
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
            if exc.code not in _RETRYABLE_STATUS:
                break
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            error = str(getattr(exc, "reason", exc))
        if attempt < target.attempts:
            log.warning(
                "webhook %s for %s failed (%s); retrying", target.url, event, error
            )
            time.sleep(_BACKOFF_SECONDS * 2 ** (attempt - 1))
    log.warning(
        "webhook %s for %s failed after %d attempts: %s",
        target.url,
        event,
        attempt,
        error,
    )
    return Delivery(target.url, event, False, attempt, error)
