"""Stopping a command that starts processes in sessions of their own (the local endpoint, Dagster's processes): a
person's Ctrl-C (SIGINT), a service manager or a container stop (SIGTERM to the whole process group, which GNU make
passes on once more), a closed terminal (SIGHUP) — any of them, any number of times, ends the same orderly way.

The first signal interrupts the command where it is (StopRequested, raised in the main thread). From then on, and
once the command has begun its cleanup, signals are counted and ignored, so the cleanup (stopping what was started,
the report) runs to its end. Inside `held_signals()` — starting a child process and recording it — the first signal
waits until the block ends: no child is started without being recorded for the cleanup.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopRequested(KeyboardInterrupt):
    """The first stop signal (a KeyboardInterrupt, so that it is treated as Ctrl-C is)."""


class Shutdown:
    """For the duration of a `with` block: stop signals handled as the module docstring says."""

    def __init__(self) -> None:
        self.first: str | None = None  # the signal that stopped the command
        self.ignored = 0  # signals received after it, or during the cleanup
        self._held = 0
        self._pending = False
        self._cleaning_up = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Shutdown:
        global _active
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        _active = self
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        global _active
        _active = None
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.first is not None or self._cleaning_up:
            self.ignored += 1
            return
        self.first = signal.Signals(signum).name
        if self._held:
            self._pending = True
            return
        raise StopRequested(self.first)

    def cleaning_up(self) -> None:
        """From here on a signal is noted, not obeyed."""
        self._cleaning_up = True

    @contextmanager
    def held(self) -> Iterator[None]:
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if not self._held and self._pending and not self._cleaning_up:
            self._pending = False
            raise StopRequested(self.first)

    def summary(self) -> str | None:
        """What stopped the command, for its last line (None when no signal came)."""
        if self.first is None:
            return f"{self.ignored} signal(s) while stopping, ignored" if self.ignored else None
        more = f"; {self.ignored} more signal(s) while stopping, ignored" if self.ignored else ""
        return f"stopped on {self.first}{more}"


_active: Shutdown | None = None


@contextmanager
def held_signals() -> Iterator[None]:
    """Start and record a child process here: a stop signal waits until the block ends (no-op outside a
    Shutdown)."""
    if _active is None:
        yield
        return
    with _active.held():
        yield
