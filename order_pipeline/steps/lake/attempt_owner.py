"""Who started a crash-guarded attempt, and whether it is dead: overlapping runs of one date must not count each
other's attempts in flight as crashes (issue 25 item 8). Pure: the run status comes from the caller.

An attempt is dead when the Dagster instance says its run has ended (an attempt still marked then never
finished: the process died), or, on this host, when the process that started it is gone (a SIGKILLed run stays
"started" until run monitoring fails it). An attempt of another host whose run the instance does not know is
counted dead, as every leftover was before (callers without a Dagster instance).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# run id -> True when the run has ended, False while it is queued or running, None when unknown
RunEnded = Callable[[str], "bool | None"]


def _unknown(_run_id: str) -> bool | None:
    return None


@dataclass(frozen=True)
class AttemptOwner:
    run_id: str
    host: str
    pid: int
    run_ended: RunEnded = _unknown

    @property
    def attempt_id(self) -> str:
        return f"{self.run_id}.{self.pid}"

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "host": self.host, "pid": self.pid}

    def is_dead(self, other: dict[str, Any] | None) -> bool:
        """Whether the attempt `other` (an owner's JSON; None: written before owners were recorded) is dead."""
        if not isinstance(other, dict) or "run_id" not in other:
            return True
        if (other.get("run_id"), other.get("host"), other.get("pid")) == (self.run_id, self.host, self.pid):
            return False  # this very attempt
        if self.run_ended(str(other["run_id"])):
            return True
        if other.get("host") == self.host:
            return not _process_alive(int(other.get("pid", 0)))
        return self.run_ended(str(other["run_id"])) is None


def current_owner(run_id: str | None = None, run_ended: RunEnded = _unknown) -> AttemptOwner:
    """This process's attempts: of the Dagster run `run_id` (None outside Dagster: a local id)."""
    return AttemptOwner(run_id or f"local-{uuid.uuid4().hex[:12]}", socket.gethostname(), os.getpid(), run_ended)


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
