"""One resource `order-pipeline aws bootstrap` compared with what it wants, and what it did (or would do)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Action = Literal["create", "update", "unchanged"]


@dataclass(frozen=True)
class Change:
    action: Action
    resource: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.action:<10} {self.resource}" + (f"  ({self.detail})" if self.detail else "")
