"""Slack calls that answer a request after its acknowledgement went back.

A click is acknowledged once it is committed; telling the person "Thanks — recorded" is a second call to
Slack (the response_url, or chat.postEphemeral), and waiting for it would add a round trip to Slack to every
acknowledgement. Handlers hand such calls here: a few threads make them right after the listener returns.
They change nothing golive stores: if the process dies in between, what was recorded stays recorded and only
the courtesy message is missing (state that must reach Slack goes through the outbox instead).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger("golive.after_ack")
THREADS = 4


class AfterAck:
    def __init__(self, threads: int = THREADS):
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="golive-after-ack")
        self._idle = threading.Condition()
        self._pending = 0
        self._closed = False

    def submit(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Make `call(*args, **kwargs)` soon, on another thread; a failure is logged, never raised."""
        with self._idle:
            if self._closed:
                log.warning("shutting down: %s not made", getattr(call, "__name__", call))
                return
            self._pending += 1
        try:
            self._pool.submit(self._run, call, args, kwargs)
        except RuntimeError:  # the pool shut down meanwhile
            self._done()

    def _run(self, call: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        try:
            call(*args, **kwargs)
        except Exception:  # noqa: BLE001 - the person misses a confirmation; nothing stored depends on it
            log.warning("a follow-up to an acknowledged request failed", exc_info=True)
        finally:
            self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until every call handed over so far is made (tests and the demo wait on it); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Make what is queued (for up to `timeout` seconds), then stop."""
        self.wait_idle(timeout)
        with self._idle:
            self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
