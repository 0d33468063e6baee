"""Resource attacks on the converter (issue 20), built on the fly: small files that cost a careless reader
gigabytes or minutes. Nothing large is kept in the repository; each builder writes one file and returns its path.
`scale` shrinks an attack for tests (the benchmark runs them at full size)."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from order_pipeline_tests.support.bad_inputs import _parquet
from order_pipeline_tests.support.order_samples import jsonl_bytes, order

PERSONAL_NAME = "Zelda Quixote-Marchbanks"  # a rejected record's personal data, searched for in every message
PERSONAL_EMAIL = "zelda.quixote@example.invalid"


def _gzip_repeated(path: Path, block: bytes, times: int) -> Path:
    """`block` × `times`, gzipped without holding the expansion in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    with open(path, "wb") as file:
        for _ in range(times):
            file.write(compressor.compress(block))
        file.write(compressor.flush())
    return path


def empty_objects_gzip(folder: Path, lines: int = 25_000_000) -> Path:
    """73 KB of gzip holding 25 million lines of `{}` (75 MB): every record invalid."""
    per_block = 100_000
    return _gzip_repeated(folder / "empty-objects.jsonl.gz", b"{}\n" * per_block, max(lines // per_block, 1))


def valid_lines_gzip(folder: Path, expanded_bytes: int) -> Path:
    """Valid orders, repeated until the gzip expands to about `expanded_bytes`."""
    block = jsonl_bytes([order(n) for n in range(1, 201)])
    return _gzip_repeated(folder / "expanding.jsonl.gz", block, max(expanded_bytes // len(block), 1))


def big_elements_array(folder: Path, elements: int = 1200, element_bytes: int = 512 << 10) -> Path:
    """A gzipped JSON array of valid orders, each carrying `element_bytes` of an undeclared note (644 KB
    compressed at full size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    path = folder / "big-elements.json.gz"
    with open(path, "wb") as file:
        file.write(compressor.compress(b"["))
        for n in range(1, elements + 1):
            element = orjson.dumps(order(n, note="n" * element_bytes))
            file.write(compressor.compress((b"," if n > 1 else b"") + element + b"\n"))
        file.write(compressor.compress(b"]"))
        file.write(compressor.flush())
    return path


def deep_element_document(folder: Path, nested_bytes: int = 16 << 20) -> Path:
    """A gzipped JSON array: a valid order, one element nested `nested_bytes / 2` levels deep, a valid order."""
    depth = nested_bytes // 2
    body = b"[" + orjson.dumps(order(1)) + b",\n" + b"[" * depth + b"]" * depth + b",\n" + orjson.dumps(order(2)) + b"]"
    path = folder / "deep-element.json.gz"
    path.write_bytes(gzip.compress(body, 9))
    return path


def _orders_table(rows: int) -> pa.Table:
    """`rows` valid orders as the declared Parquet columns (unit prices as numbers: `_parquet` wants floats)."""
    orders = [order(n) for n in range(1, rows + 1)]
    for record in orders:
        record["items"] = [dict(item, unit_price=float(item["unit_price"])) for item in record["items"]]
    return pq.read_table(io.BytesIO(_parquet(orders)))


def undeclared_blob_parquet(folder: Path, blob_bytes: int = 2 << 30, rows: int = 2048) -> Path:
    """Valid orders plus an undeclared binary column that expands to `blob_bytes` when read (one dictionary
    value repeated in every row: about 24 KB on disk at full size)."""
    value = b"x" * max(blob_bytes // rows, 1)
    blob = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array([value], pa.binary()))
    table = _orders_table(rows).append_column("blob", blob)
    path = folder / "undeclared-blob.parquet"
    pq.write_table(table, path, compression="zstd", dictionary_pagesize_limit=len(value) + (1 << 20))
    return path


def many_columns_parquet(folder: Path, columns: int = 3000, rows: int = 100) -> Path:
    """Valid orders plus `columns` undeclared integer columns."""
    table = _orders_table(rows)
    values = pa.array(range(rows), pa.int64())
    for index in range(columns):
        table = table.append_column(f"extra_{index:05d}", values)
    path = folder / "many-columns.parquet"
    pq.write_table(table, path, compression="zstd")
    return path


def data_keyed_fields(folder: Path, keys: int = 5000) -> Path:
    """Valid orders, the first with `keys` undeclared top-level fields and `keys` undeclared address fields keyed by
    data (SKUs, numbers), not names: 2 × `keys` undeclared paths."""
    folder.mkdir(parents=True, exist_ok=True)
    record = order(1, **{f"SKU-{index:05d}": index for index in range(keys)})
    record["shipping_address"] = dict(record["shipping_address"], **{f"{index:05d}": 1 for index in range(keys)})
    path = folder / "data-keyed.jsonl"
    path.write_bytes(jsonl_bytes([record, order(2)]))
    return path


def many_new_fields(folder: Path, fields: int = 2000) -> Path:
    """Valid orders with `fields` new top-level fields of plain names (each would become a column)."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = {f"field_{index:05d}": index for index in range(fields)}
    path = folder / "many-new-fields.jsonl"
    path.write_bytes(jsonl_bytes([order(n, **extra) for n in range(1, 4)]))
    return path


def personal_data_reject(folder: Path) -> Path:
    """One valid order and one rejected order (a negative total) holding a customer's name and e-mail address."""
    bad = order(2, total=-1, customer_email=PERSONAL_EMAIL)
    bad["shipping_address"] = dict(bad["shipping_address"], name=PERSONAL_NAME)
    path = folder / "personal.jsonl"
    path.write_bytes(jsonl_bytes([order(1), bad]))
    return path


# The attacks as the benchmark and the corpus tests run them: name -> builder of a full-size file.
ATTACKS: dict[str, Callable[[Path], Path]] = {
    "empty_objects_gzip": empty_objects_gzip,
    "big_elements_array": big_elements_array,
    "undeclared_blob_parquet": undeclared_blob_parquet,
    "many_columns_parquet": many_columns_parquet,
    "deep_element_document": deep_element_document,
}


@dataclass(frozen=True)
class Hostile:
    """One attack of the small corpus the tests run: its file and what must become of it."""

    path: Path
    status: str  # "rejected" (quarantined whole), "partial" (the attack element rejected), "converted"
    reason: str  # what the file's error (rejected) or its first reject's reason (partial) must contain
    good_rows: int  # orders that land


# The limits the small corpus is converted with (as the settings of `order-pipeline convert`).
SMALL_DECOMPRESSED_LIMIT = 8 << 20
SMALL_LIMITS = {"max_decompressed_bytes": SMALL_DECOMPRESSED_LIMIT, "document_chunk_bytes": 1 << 20}
SMALL_LIMIT_SETTINGS = {
    "ORDER_PIPELINE_MAX_DECOMPRESSED_BYTES": str(SMALL_DECOMPRESSED_LIMIT),
    "ORDER_PIPELINE_DOCUMENT_CHUNK_BYTES": str(1 << 20),
}


def small_corpus(folder: Path) -> dict[str, Hostile]:
    """Every attack at a size a test can afford (under SMALL_LIMIT_SETTINGS), plus a good neighbour.
    `name` -> Hostile; the files are written into `folder` (one subfolder each: names may repeat)."""

    def sub(name: str) -> Path:
        (folder / name).mkdir(parents=True, exist_ok=True)
        return folder / name

    neighbour = sub("neighbour") / "neighbour.jsonl"
    neighbour.write_bytes(jsonl_bytes([order(n) for n in range(900, 905)]))
    return {
        "neighbour": Hostile(neighbour, "converted", "", 5),
        "empty_objects": Hostile(
            empty_objects_gzip(sub("empty_objects"), 300_000), "rejected", "limit of 100 invalid records", 0
        ),
        "over_decompressed": Hostile(
            valid_lines_gzip(sub("over_decompressed"), 3 * SMALL_DECOMPRESSED_LIMIT),
            "rejected",
            "max_decompressed_bytes",
            0,
        ),
        "big_elements": Hostile(big_elements_array(sub("big_elements"), 16, 256 << 10), "converted", "", 16),
        "undeclared_blob": Hostile(undeclared_blob_parquet(sub("undeclared_blob"), 16 << 20, 64), "converted", "", 64),
        "many_columns": Hostile(
            many_columns_parquet(sub("many_columns"), 1500, 5), "rejected", "max_parquet_columns", 0
        ),
        "deep_element": Hostile(deep_element_document(sub("deep_element"), 1 << 20), "partial", "max_nesting_depth", 2),
    }
