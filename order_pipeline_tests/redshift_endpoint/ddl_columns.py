"""Column definitions in CREATE TABLE (...) and ALTER TABLE ... ADD [COLUMN]: where each type is written.

Works on masked text (sql_text.Masked), so names and literals never confuse it. CREATE TABLE ... AS SELECT and
CREATE TABLE ... (LIKE other) define no column types and yield nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from order_pipeline_tests.redshift_endpoint.sql_text import IDENT, Masked, matching_paren, split_top_level

_NAME = rf"{IDENT}(?:\s*\.\s*{IDENT}){{0,2}}"
_CREATE = re.compile(
    rf"^\s*CREATE\s+(?:(?:LOCAL\s+)?(?:TEMP|TEMPORARY)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<table>{_NAME})\s*\(",
    re.IGNORECASE,
)
_ALTER_ADD = re.compile(
    rf"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?P<table>{_NAME})\s+ADD\s+(?:COLUMN\s+)?(?P<column>{IDENT})\s+",
    re.IGNORECASE,
)
_NOT_A_COLUMN = {"CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "LIKE", "DISTKEY", "SORTKEY", "EXCLUDE"}
_TYPE_END = re.compile(
    r"\b(?:NOT|NULL|DEFAULT|ENCODE|DISTKEY|SORTKEY|PRIMARY|UNIQUE|REFERENCES|IDENTITY|GENERATED|COLLATE|CHECK|"
    r"CONSTRAINT)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ColumnType:
    table: str  # last part of the table name, folded
    column: str  # folded
    start: int  # the type's span in the masked text
    end: int

    def text(self, masked: Masked) -> str:
        return masked.text[self.start : self.end]


def _last_part(masked: Masked, name: str) -> str:
    part = re.split(r"\s*\.\s*", name.strip())[-1]
    found = masked.identifier(part)
    return found.name if found else part


def _type_span(text: str, start: int, end: int) -> tuple[int, int]:
    stop = _TYPE_END.search(text, start, end)
    type_end = stop.start() if stop else end
    while type_end > start and text[type_end - 1].isspace():
        type_end -= 1
    return start, type_end


def column_types(masked: Masked) -> Iterator[ColumnType]:
    text = masked.text
    create = _CREATE.match(text)
    if create:
        open_index = create.end() - 1
        close = matching_paren(text, open_index)
        if close < 0:
            return
        table = _last_part(masked, create.group("table"))
        offset = open_index + 1
        for element in split_top_level(text[open_index + 1 : close]):
            begin = offset + len(element) - len(element.lstrip())
            offset += len(element) + 1
            match = re.match(rf"({IDENT})\s+", text[begin : begin + len(element.strip())])
            if not match or match.group(1).upper() in _NOT_A_COLUMN:
                continue
            column = masked.identifier(match.group(1))
            if column is None:
                continue
            start, end = _type_span(text, begin + match.end(), begin + len(element.strip()))
            yield ColumnType(table, column.name, start, end)
        return
    alter = _ALTER_ADD.match(text)
    if alter:
        column = masked.identifier(alter.group("column"))
        if column is None or alter.group("column").upper() in _NOT_A_COLUMN:
            return
        end = len(text.rstrip().rstrip(";"))
        start, type_end = _type_span(text, alter.end(), end)
        yield ColumnType(_last_part(masked, alter.group("table")), column.name, start, type_end)
