"""Statements the adapter runs itself on a client's PostgreSQL session, inside the client's transaction.

PostgreSQL answers every Query and every Sync with replies ending in one ReadyForQuery. The router keeps, in
order, who gets each such reply group: the client (forwarded) or an exchange the adapter started (kept from the
client). So the adapter can run a catalog query, a SAVEPOINT or a `COPY ... FROM STDIN` between two client
messages, and the client never sees it.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from dataclasses import dataclass, field

from order_pipeline_tests.redshift_endpoint import messages as m

REPLY_TIMEOUT_SECONDS = 900.0


class Exchange:
    """The server's replies to one injected message group, handed from the server thread to the client thread."""

    def __init__(self) -> None:
        self._replies: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue()

    def deliver(self, code: bytes, body: bytes) -> None:
        self._replies.put((code, body))

    def close(self) -> None:
        self._replies.put(None)

    def next(self) -> tuple[bytes, bytes]:
        try:
            reply = self._replies.get(timeout=REPLY_TIMEOUT_SECONDS)
        except queue.Empty as error:
            raise ConnectionError("no reply from PostgreSQL to an injected statement") from error
        if reply is None:
            raise ConnectionError("PostgreSQL closed the connection during an injected statement")
        return reply


@dataclass
class Result:
    """What an injected exchange returned: rows (text), the error fields if any, the transaction status."""

    rows: list[list[str | None]] = field(default_factory=list)
    error: dict[str, str] | None = None
    status: str = "I"

    @property
    def ok(self) -> bool:
        return self.error is None


def collect(exchange: Exchange, result: Result | None = None) -> Result:
    """Read an exchange's replies up to and including its ReadyForQuery."""
    result = result or Result()
    while True:
        code, body = exchange.next()
        absorb(result, code, body)
        if code == b"Z":
            return result


def absorb(result: Result, code: bytes, body: bytes) -> None:
    if code == b"D":
        result.rows.append(m.parse_data_row(body))
    elif code == b"E" and result.error is None:
        result.error = dict(m.parse_fields(body))
    elif code == b"Z":
        result.status = body[:1].decode()


class ReplyRouter:
    """Who gets each server reply group, in the order the groups were requested."""

    def __init__(self) -> None:
        self._routes: deque[Exchange | None] = deque([None])  # the startup's ReadyForQuery goes to the client
        self._lock = threading.Lock()

    def expect_client(self) -> None:
        with self._lock:
            self._routes.append(None)

    def expect_exchange(self) -> Exchange:
        exchange = Exchange()
        with self._lock:
            self._routes.append(exchange)
        return exchange

    def current(self) -> Exchange | None:
        with self._lock:
            return self._routes[0] if self._routes else None

    def ready(self) -> None:
        """A ReadyForQuery went by: the current group is complete."""
        with self._lock:
            if self._routes:
                self._routes.popleft()

    def close(self) -> None:
        with self._lock:
            routes, self._routes = list(self._routes), deque()
        for route in routes:
            if route is not None:
                route.close()
