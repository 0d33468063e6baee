"""Markdown metadata shows S3 keys and reasons as text, never as markup (issue 25, item 6: a landing key holding
`![x](https://example.org/t.png)` rendered a remote image on the asset page)."""

from __future__ import annotations

from datetime import datetime, timezone

from markdown_it import MarkdownIt

from order_pipeline.components.metadata import lake_metadata, markdown_table
from order_pipeline.datasets.orders import ORDERS
from order_pipeline.landing import FileVersion
from order_pipeline.layout import LakeLayout
from order_pipeline.steps.lake.convert_partition import LakeRun
from order_pipeline.steps.lake.lake_files import ConvertedFile
from order_pipeline.steps.lake.lake_summary import LakeSummary

IMAGE = "![x](https://example.org/t.png)"
KEY = f"landing/orders/2026/11/20/{IMAGE} <img src=x onerror=alert(1)> *b* `c` www.example.org|d.jsonl"


def rendered(markdown: str) -> str:
    """HTML as a CommonMark renderer with GitHub's tables makes it (raw HTML passed through, as a lax UI would)."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_a_key_holding_markdown_shows_as_text_in_the_files_table() -> None:
    source = FileVersion("bucket", KEY, "e1", 10, datetime(2026, 11, 20, tzinfo=timezone.utc))
    record = ConvertedFile(source=source, partition="2026-11-20", status="converted", total_records=3)
    summary = LakeSummary()
    summary.add(record, converted_now=True)
    run = LakeRun(partition="2026-11-20", summary=summary, seconds=0.1)
    markdown = lake_metadata(ORDERS, "orders", LakeLayout("bucket"), run)["files_processed"].value
    html = rendered(markdown)
    assert "<img" not in html and "<a " not in html and "<em>" not in html and "<code>" not in html, html
    # nothing left for an autolinker (bare URLs, www.) to find
    assert "https://" not in markdown and "www." not in markdown and "](" not in markdown, markdown
    # one row of five cells: the | in the key and its spaces are text of the first cell
    assert html.count("<td>") == 5, html
    assert IMAGE.replace("&", "&amp;") in html.replace("&amp;", "&")  # the key reads as written
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_reasons_and_line_breaks_stay_inside_their_cell() -> None:
    reason = "bad value [click](javascript:alert(1))\n| injected | row |"
    html = rendered(markdown_table(["file", "reason"], [("a.jsonl", reason)]).value)
    assert "<a " not in html and html.count("<tr>") == 2, html  # header and one row
