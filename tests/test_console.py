"""The investigator console in headless Chromium against a real server: search, open an entity,
see its records and score, see the linkage graph drawn and expand it, find a path.
Screenshots go to tests/artifacts/ for a person to look at."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright
from rich.console import Console
from rich.progress import Progress

from api.app import create_app
from cli.score_command import score_all
from scoring.scheme import load_schemes
from tests.conftest import free_port, make_server, settings_for
from tests.factories import api_key, import_rows, migrate, wait_until_ready
from tests.test_api_investigation import rows

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# Debian's Chromium, offline: Playwright never downloads a browser here (see ../shared/BROWSER.md).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    # Playwright's sync API runs its own event loop: it is started and stopped inside this
    # module, so the asyncio tests that come after it run as usual.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            yield context.new_page()
            context.close()
        finally:
            browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    server = make_server(tmp_path_factory.mktemp("console"))
    server.start()
    try:
        settings = settings_for(server)

        migrate(settings)
        import_rows(settings, rows(), tmp_path_factory.mktemp("console-rows"))
        with Progress(console=Console(quiet=True)) as progress:
            asyncio.run(
                score_all(
                    settings.graph_config(),
                    load_schemes(settings.schemes_dir),
                    date.today(),
                    progress,
                )
            )
        key = api_key(settings, "investigator", name="console test")
        port = free_port()
        web = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=web.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base)
        try:
            yield base, key
        finally:
            web.should_exit = True
            thread.join(timeout=10)
    finally:
        server.stop()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def test_console_is_served_with_its_security_headers(site: tuple[str, str]) -> None:
    page = httpx.get(site[0] + "/")
    assert page.status_code == 200 and "investigator console" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    script = httpx.get(site[0] + "/console/console.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]


def test_console_search_file_graph_and_paths(site: tuple[str, str], page: Page) -> None:
    base, key = site
    page.goto(base + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.get_by_test_id("search").fill("北京测试608")
    page.get_by_test_id("search").press("Enter")
    results = page.get_by_test_id("result")
    expect(results.first).to_contain_text("北京测试608科技有限公司")
    shot(page, "1-search")

    # Without a key the public sees the company's file, but its linkage is refused.
    results.first.click()
    expect(page.get_by_test_id("file-name")).to_have_text("北京测试608科技有限公司")
    expect(page.locator("#status")).to_contain_text("linkage: needs the role investigator")
    expect(page.locator("#file")).not_to_contain_text("null")
    shot(page, "1b-public-file")
    page.get_by_text("API key").click()
    page.get_by_test_id("api-key").fill(key)
    results.first.click()
    expect(page.locator("#status")).to_have_text("")
    warnings = page.get_by_test_id("warning-records")
    expect(warnings).to_contain_text("Warning records (1)")
    expect(warnings).to_contain_text("JUDGMENT_DEFAULT")
    expect(page.get_by_test_id("good-records")).to_contain_text("Good records (0)")
    expect(page.get_by_test_id("score")).to_contain_text("enterprise")
    expect(page.get_by_test_id("blacklisted")).to_be_visible()  # a judgment not complied with
    expect(page.get_by_test_id("contribution").first).to_contain_text("INV-C8")
    # The total row: base + the contributions shown = the value shown, to the cent.
    value = page.get_by_test_id("score-value").inner_text()
    total = page.get_by_test_id("score-total")
    expect(total).to_contain_text(f"= {value}")
    words = total.inner_text().split()
    assert Decimal(words[1]) + Decimal(words[4]) == Decimal(value), words
    # Linkage with 2 hops from C8: P3, C2 (1 hop); C1, C7, C6, P1 (2 hops), drawn on a canvas.
    expect(page.get_by_test_id("graph")).to_have_attribute("data-nodes", "7")
    expect(page.locator("#graph canvas").first).to_be_visible()
    expect(page.get_by_test_id("graph-info")).to_contain_text("7 entities")
    shot(page, "2-file-and-graph")

    # A click on C1 expands it: its shareholders C3 and C4 join the drawing.
    box = page.locator("#graph").bounding_box()
    assert box is not None
    where = page.evaluate(
        """() => { const cy = window.credgraph.graph();
                   const node = cy.nodes().filter(n => n.data('label') === '北京测试601科技有限公司');
                   return node.renderedPosition(); }"""
    )
    page.mouse.click(box["x"] + where["x"], box["y"] + where["y"])
    expect(page.get_by_test_id("graph")).to_have_attribute("data-nodes", "9")

    # Find the paths from C8 to P2 (P2 holds C3, which holds C1, whose legal rep is P1 ...).
    page.get_by_test_id("path-target").fill("张602")
    page.get_by_test_id("find-paths").click()
    paths = page.get_by_test_id("path")
    expect(paths.first).to_contain_text("张602")
    expect(paths.first).to_contain_text("北京测试608科技有限公司")
    expect(paths.first).to_contain_text("4 links")
    shot(page, "3-paths")

    page.get_by_test_id("path-target").fill("张604")
    page.locator("#path-hops").select_option("2")
    page.get_by_test_id("find-paths").click()
    expect(page.get_by_test_id("no-path")).to_contain_text("No path to 张604 within 2 links")
