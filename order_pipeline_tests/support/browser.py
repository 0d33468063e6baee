"""A real browser for UI tests: Debian's chromium (scripts/ensure-chromium.sh installs it; `make test` runs that)
driven by Playwright from pip. Playwright's own browser download is never used."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# headless on a machine without a display or outside network: no sandbox (root), no GPU, no background traffic
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def chromium_page(timeout_ms: float = 60_000) -> Iterator[Page]:
    """A page in a fresh headless chromium, in UTC and US English (the UI formats times with both). Actions and
    `expect` assertions wait up to `timeout_ms` (expect's own default, 5 s, is short for a UI on a busy machine)."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        expect.set_options(timeout=timeout_ms)
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 1000}, timezone_id="UTC", locale="en-US")
            context.set_default_timeout(timeout_ms)
            page = context.new_page()
            # the fresh instance's community modal may come late (after open_ui looked for it): whenever it shows
            # up, Playwright skips it before the next action or assertion instead of clicking under it in vain
            page.add_locator_handler(
                page.get_by_text("Join the Dagster community"),
                lambda _: page.get_by_role("button", name="Skip").click(),
            )
            yield page
        finally:
            expect.set_options(timeout=None)  # back to Playwright's default
            browser.close()


def open_ui(page: Page, url: str) -> None:
    """Go to a Dagster UI page; a fresh instance greets a new browser with a community modal: skip it."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.click(timeout=3_000)
    except PlaywrightError:
        pass  # no modal (already skipped in this browser)


def metadata_value(page: Page, label: str) -> Locator:
    """The value cell of a metadata table's row `label` (an event's or a check evaluation's metadata)."""
    row = page.locator("tr").filter(has=page.locator("td", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    return row.locator("td").nth(1)


def open_tab(page: Page, name: str) -> None:
    """Click a tab inside a page (an asset check's Overview, Execution history, Partitions…): buttons, where the
    asset page's own tabs are links (both have role tab, and an asset and its check both have "Partitions")."""
    page.locator("button[role=tab]", has_text=name).click()
