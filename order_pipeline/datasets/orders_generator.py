"""Synthetic orders for tests and benchmarks: pure, deterministic, streaming.

`generate_orders` yields order records shaped like the files that land in S3 (see `ORDERS`). The same
arguments always yield the same records, byte for byte once encoded.

Money encoding: every amount is computed in integer cents and put in the record as the float `cents / 100`.
Python (`repr`) and orjson write a float as the shortest text that reads back to the same float, so the JSON
text of an amount is exactly its decimal value with at most 2 decimals (`19.99`, `5.0`, `3.2`): a reader
parsing numbers as decimals (`json.loads(..., parse_float=Decimal)`, Arrow's decimal128(12, 2)) gets the
exact amount. In Python, convert with `Decimal(repr(x))`, never `Decimal(x)` (which exposes the binary value).

(The oracles tests compare the warehouse with are in `order_pipeline_tests/support/oracles.py`.)
"""

from __future__ import annotations

import gzip as gzip_module
import random
from bisect import bisect
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

from order_pipeline.datasets.orders import ORDER_STATUSES, PAYMENT_METHODS

# country -> (currency, tax rate in basis points, postal code template: 9 = digit, A = letter)
_COUNTRIES: dict[str, tuple[str, int, str]] = {
    "US": ("USD", 725, "99999"),
    "CA": ("CAD", 1300, "A9A 9A9"),
    "GB": ("GBP", 2000, "AA9 9AA"),
    "DE": ("EUR", 1900, "99999"),
    "FR": ("EUR", 2000, "99999"),
    "NL": ("EUR", 2100, "9999 AA"),
    "ES": ("EUR", 2100, "99999"),
    "AU": ("AUD", 1000, "9999"),
    "CH": ("CHF", 810, "9999"),
}
_COUNTRY_WEIGHTS = (40, 8, 12, 12, 8, 5, 5, 6, 4)
_CITIES: dict[str, tuple[str, ...]] = {
    "US": ("Springfield", "Portland", "Austin", "Denver", "Boston"),
    "CA": ("Toronto", "Montréal", "Calgary", "Québec"),
    "GB": ("London", "Leeds", "Bristol", "Glasgow"),
    "DE": ("Berlin", "München", "Köln", "Düsseldorf"),
    "FR": ("Paris", "Lyon", "Orléans", "Besançon"),
    "NL": ("Amsterdam", "Utrecht", "Den Haag"),
    "ES": ("Madrid", "Málaga", "Córdoba", "A Coruña"),
    "AU": ("Sydney", "Melbourne", "Brisbane"),
    "CH": ("Zürich", "Genève", "Bern"),
}
_FIRST_NAMES = (
    "Ana",
    "Ben",
    "Chloé",
    "Dmitri",
    "Eve",
    "François",
    "Grace",
    "Hiro",
    "Inés",
    "Jürgen",
    "Kofi",
    "Łucja",
    "Mia",
    "Noah",
    "Olga",
    "Pedro",
    "Quinn",
    "Søren",
    "Tomás",
    "Zoë",
)
_LAST_NAMES = (
    "Smith",
    "Müller",
    "García",
    "O'Brien",
    "Nguyen",
    "Kowalski",
    "Rossi",
    "Dubois",
    "Johansson",
    "Silva",
    "Brown",
    "Núñez",
    "Okafor",
    "Tanaka",
    "Van der Berg",
)
_STREETS = ("Main", "Oak", "Maple", "Station", "High", "Church", "Mill", "Park", "Lake", "Hill")
_STREET_KINDS = ("St", "Ave", "Rd", "Lane", "Way")

_NEW_STATUS_WEIGHTS = (15, 45, 20, 10, 5, 5)  # aligned with ORDER_STATUSES
# Status changes an update may make; statuses absent here are final (no more updates).
_NEXT_STATUS: dict[str, tuple[str, ...]] = {
    "pending": ("paid", "paid", "paid", "cancelled"),
    "paid": ("shipped", "shipped", "shipped", "cancelled", "refunded"),
    "shipped": ("delivered",),
    "delivered": ("refunded",),
}
_PAYMENT_WEIGHTS = (55, 20, 8, 5, 12)  # aligned with PAYMENT_METHODS
_ITEM_COUNT_WEIGHTS = (45, 25, 15, 10, 5)  # 1..5 line items
_QUANTITY_WEIGHTS = (60, 20, 8, 5, 3, 1, 1, 1, 0.5, 0.5)  # 1..10 units
_CATALOGUE_SIZE = 5000
_UPDATE_WINDOW = 5000  # updates pick among up to this many not-yet-final orders
_US_PER_DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1)
_GZIP_LEVEL = 6  # gzip's usual default; level 9 costs twice the time for a few percent


def _format_ts(micros: int) -> str:
    """UTC ISO-8601 with 6 fractional digits and a `Z`, from microseconds since the epoch."""
    return (_EPOCH + timedelta(microseconds=micros)).isoformat(timespec="microseconds") + "Z"


def parse_ts(text: str) -> datetime:
    """An ISO-8601 timestamp with zone as an aware UTC datetime (accepts the `Z` suffix)."""
    parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without zone: {text!r}")
    return parsed.astimezone(timezone.utc)


def _money(cents: int) -> float:
    return cents / 100


def _catalogue(rng: random.Random) -> list[int]:
    """Unit prices in cents for SKU-0000..SKU-4999: mostly cheap, a long tail, charm endings."""
    prices = []
    for _ in range(_CATALOGUE_SIZE):
        dollars = max(1, min(999, int(rng.lognormvariate(3.0, 1.0))))
        prices.append(dollars * 100 + rng.choice((99, 99, 95, 49, 0)))
    return prices


def _postal_code(rng: random.Random, template: str) -> str:
    return "".join(
        str(rng.randrange(10)) if ch == "9" else chr(65 + rng.randrange(26)) if ch == "A" else ch for ch in template
    )


class _Picker:
    """Weighted choice with precomputed cumulative weights (faster than `random.choices` per call)."""

    def __init__(self, values: tuple, weights: tuple) -> None:
        self.values = values
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect(self.cumulative, rng.random() * self.total)]


_COUNTRY = _Picker(tuple(_COUNTRIES), _COUNTRY_WEIGHTS)
_STATUS = _Picker(ORDER_STATUSES, _NEW_STATUS_WEIGHTS)
_PAYMENT = _Picker(PAYMENT_METHODS, _PAYMENT_WEIGHTS)
_ITEM_COUNT = _Picker((1, 2, 3, 4, 5), _ITEM_COUNT_WEIGHTS)
_QUANTITY = _Picker(tuple(range(1, 11)), _QUANTITY_WEIGHTS)


def _new_order(
    rng: random.Random, number: int, order_us: int, prices: list[int], customers: int, id_prefix: str
) -> dict:
    country = _COUNTRY(rng)
    currency, tax_bp, postal = _COUNTRIES[country]
    items = []
    subtotal = 0
    for _ in range(_ITEM_COUNT(rng)):
        sku = rng.randrange(_CATALOGUE_SIZE)
        quantity = _QUANTITY(rng)
        price = prices[sku]
        subtotal += quantity * price
        items.append({"sku": f"SKU-{sku:04d}", "quantity": quantity, "unit_price": _money(price)})
    shipping = 0 if subtotal >= 10_000 else rng.choice((499, 500, 599, 999))
    tax = (subtotal * tax_bp + 5_000) // 10_000  # rate of the subtotal, rounded half up to the cent
    updated_us = order_us + rng.randrange(120_000_000)  # the first version is written within 2 minutes
    order_ts = _format_ts(order_us)
    return {
        "order_id": f"{id_prefix}-{order_ts[0:4]}{order_ts[5:7]}{order_ts[8:10]}-{number:06d}",
        "customer_id": f"CUST-{rng.randrange(1, customers + 1):05d}",
        "order_ts": order_ts,
        "status": _STATUS(rng),
        "currency": currency,
        "payment_method": _PAYMENT(rng),
        "shipping_address": {
            "name": f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
            "street": f"{rng.randrange(1, 2000)} {rng.choice(_STREETS)} {rng.choice(_STREET_KINDS)}",
            "city": rng.choice(_CITIES[country]),
            "postal_code": _postal_code(rng, postal),
            "country": country,
        },
        "items": items,
        "subtotal": _money(subtotal),
        "shipping": _money(shipping),
        "tax": _money(tax),
        "total": _money(subtotal + shipping + tax),
        "updated_at": _format_ts(updated_us),
    }


def _updated(rng: random.Random, order: dict, now_us: int) -> dict:
    """A later version of `order`: a changed status, `updated_at` after both its last version and `now_us`."""
    previous_us = (parse_ts(order["updated_at"]).replace(tzinfo=None) - _EPOCH) // timedelta(microseconds=1)
    choices = _NEXT_STATUS.get(order["status"]) or tuple(s for s in ORDER_STATUSES if s != order["status"])
    updated = dict(order)
    updated["items"] = [dict(item) for item in order["items"]]
    updated["shipping_address"] = dict(order["shipping_address"])
    updated["status"] = rng.choice(choices)
    updated["updated_at"] = _format_ts(max(previous_us, now_us) + rng.randrange(1, 3_600_000_000))
    return updated


def generate_orders(
    count: int, *, seed: int = 42, start_date: date, days: int = 1, update_share: float = 0.0, id_prefix: str = "ORD"
) -> Iterator[dict]:
    """Yield `count` distinct orders, plus `round(count * update_share)` update records, deterministically.

    New orders come in `order_ts` order, spread evenly (with jitter) over `days` days from `start_date`
    00:00 UTC. Order ids are `<id_prefix>-<order date YYYYMMDD>-<n:06d>` with n = 1..count, so they are unique
    within a run and the same for every seed; pass another `id_prefix` for ids that must not collide with
    another run's. A new order's `updated_at` is 0-2 minutes after its `order_ts`.

    Update records are interleaved evenly among new orders. Each re-emits an order generated earlier (its
    latest version) with a changed status (following pending -> paid -> shipped -> delivered -> refunded,
    with cancellations) and an `updated_at` later than both its previous version and the newest `order_ts`
    so far, so it lands on the same or a later day. Updates may run past the last of the `days` days.
    Amounts are exact cents; see the module docstring for the money encoding.
    """
    if count < 0 or days < 1 or update_share < 0:
        raise ValueError("count must be >= 0, days >= 1 and update_share >= 0")
    rng = random.Random(seed)
    prices = _catalogue(rng)
    customers = max(100, count // 4)
    updates = round(count * update_share)
    start_us = (start_date - _EPOCH.date()).days * _US_PER_DAY
    step = days * _US_PER_DAY / max(count, 1)
    open_orders: list[dict] = []  # latest versions of orders whose status can still change
    last: dict | None = None
    emitted_updates = 0
    for index in range(count):
        order_us = start_us + int((index + rng.random()) * step)
        last = _new_order(rng, index + 1, order_us, prices, customers, id_prefix)
        yield last
        if last["status"] in _NEXT_STATUS:
            if len(open_orders) < _UPDATE_WINDOW:
                open_orders.append(last)
            else:
                open_orders[rng.randrange(_UPDATE_WINDOW)] = last
        while emitted_updates < (index + 1) * updates // count:
            emitted_updates += 1
            if open_orders:
                slot = rng.randrange(len(open_orders))
                update = _updated(rng, open_orders[slot], order_us)
                if update["status"] in _NEXT_STATUS:
                    open_orders[slot] = update
                else:
                    open_orders[slot] = open_orders[-1]
                    open_orders.pop()
            else:  # every order so far is final: change the newest one anyway
                update = _updated(rng, last, order_us)
            if update["order_id"] == last["order_id"]:
                last = update
            yield update


def landing_date(order: dict) -> date:
    """The day a record lands: the UTC date of its `updated_at`."""
    return parse_ts(order["updated_at"]).date()


def landing_key(day: date, index: int, *, prefix: str = "landing/orders", gzip: bool = False) -> str:
    """`landing/orders/YYYY/MM/DD/orders-<index>.jsonl[.gz]`."""
    return f"{prefix.rstrip('/')}/{day:%Y/%m/%d}/orders-{index}.jsonl{'.gz' if gzip else ''}"


def assign_landing_files(orders: Iterable[dict], files_per_day: int) -> dict[tuple[date, int], list[dict]]:
    """Group records into landing files: key (landing date, file index 1..files_per_day).

    A day's records, in input order, are cut into `files_per_day` contiguous chunks of near-equal size, so
    reading the files in index order replays the input order. Days with fewer records get fewer files; no
    file is empty. Keys come out sorted.
    """
    if files_per_day < 1:
        raise ValueError("files_per_day must be >= 1")
    by_day: dict[date, list[dict]] = {}
    for order in orders:
        by_day.setdefault(landing_date(order), []).append(order)
    files: dict[tuple[date, int], list[dict]] = {}
    for day in sorted(by_day):
        records = by_day[day]
        chunks = min(files_per_day, len(records))
        bounds = [index * len(records) // chunks for index in range(chunks + 1)]
        for index in range(chunks):
            files[(day, index + 1)] = records[bounds[index] : bounds[index + 1]]
    return files


def _lines(orders: Iterable[dict]) -> Iterator[bytes]:
    for order in orders:
        yield orjson.dumps(order) + b"\n"


def encode_jsonl(orders: Iterable[dict], *, gzip: bool = False) -> bytes:
    """JSON Lines (UTF-8, one record per line); gzip output is reproducible (no timestamp, no name)."""
    data = b"".join(_lines(orders))
    return gzip_module.compress(data, compresslevel=_GZIP_LEVEL, mtime=0) if gzip else data


def write_jsonl(orders: Iterable[dict], path: Path | str, *, gzip: bool = False, batch: int = 10_000) -> int:
    """Stream records to `path` as JSON Lines (optionally gzip), `batch` lines at a time; return the count."""
    written = 0
    with open(path, "wb") as raw:
        out = (
            gzip_module.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=_GZIP_LEVEL, mtime=0)
            if gzip
            else raw
        )
        try:
            pending: list[bytes] = []
            for line in _lines(orders):
                pending.append(line)
                if len(pending) >= batch:
                    out.write(b"".join(pending))
                    written += len(pending)
                    pending.clear()
            out.write(b"".join(pending))
            written += len(pending)
        finally:
            if out is not raw:
                out.close()
    return written
