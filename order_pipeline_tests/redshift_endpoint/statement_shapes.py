"""A statement's shape: its SQL with names, literals and repeated list items abstracted, so the compatibility
record (docs/redshift-compatibility.md) lists each kind of statement once, whatever table or value it names.

    MERGE INTO "orders" USING "stage_orders" AS "s" ON "orders"."order_id" = "s"."order_id" WHEN MATCHED ...
    -> MERGE INTO "x" USING "x" AS "x" ON "x" = "x" WHEN MATCHED THEN UPDATE SET "x" = "x", … WHEN NOT ...

Quoted identifiers become "x" (qualified names one "x"), string literals '…', numbers N, bound parameters ?
(`$n` as the driver sends them, or `?`), a CREATE TABLE column list `(<columns>)`, and runs of identical items
in a list `item, …`. Keywords and unquoted names are kept (upper-cased), whitespace collapsed.
"""

from __future__ import annotations

import re

from order_pipeline_tests.redshift_endpoint.sql_text import PLACEHOLDER, Masked, matching_paren

_CREATE_TABLE = re.compile(r"^CREATE (?:TEMP |TEMPORARY )?TABLE (?:IF NOT EXISTS )?\"x\" \(")
_WORD = re.compile(r"\b[A-Za-z_][\w$]*\b")


# A list item whose runs collapse: a name, a parameter, a literal (typed or not), an assignment, a parenthesised
# group. Runs of identical parenthesised conditions joined by OR collapse too (a set of date ranges).
_ITEM = r"(?:\"x\" = [^,()]*(?:\([^()]*\))?|\"x\"|\?|(?:DATE |TIMESTAMPTZ |TIMESTAMP )?'…'|\([^()]*\))"
_RUN = re.compile(rf"({_ITEM})(?:, \1)+")
_OR_RUN = re.compile(r"(\([^()]*\))(?: OR \1)+")


def shape(sql: str) -> str:
    masked = Masked(sql)
    text = _WORD.sub(lambda m: m.group(0).upper(), masked.text)
    text = PLACEHOLDER.sub(lambda m: '"x"' if masked.pieces[int(m.group(1))].startswith('"') else "'…'", text)
    text = re.sub(r"\$\d+|\?", "?", text)
    text = re.sub(r"(?<![\w$\"])\d+(?:\.\d+)?(?![\w$])", "N", text)
    text = re.sub(r"\s+", " ", text).strip().rstrip(";").strip()
    text = text.replace("( ", "(").replace(" )", ")")
    text = re.sub(r'"x"(?:\s*\.\s*"x")+', '"x"', text)
    create = _CREATE_TABLE.match(text)
    if create:
        close = matching_paren(text, create.end() - 1)
        text = text[: create.end()] + "<columns>" + text[close:]
    while True:
        collapsed = _RUN.sub(lambda m: f"{m.group(1)}, …", text)
        collapsed = _OR_RUN.sub(lambda m: f"{m.group(1)} OR …", collapsed)
        if collapsed == text:
            return text
        text = collapsed
