"""The one way tests change the environment: set (or, with None, unset) variables for a `with` block, restored
after it whatever happens (pytest's MonkeyPatch, usable at any fixture scope and outside fixtures)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest


@contextmanager
def patched_environ(values: Mapping[str, str | None]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        yield
