"""The investigator console in headless Chromium against a real server: search, open an entity,
see its records and score, see the linkage graph drawn and expand it, find a path.
Screenshots go to tests/artifacts/ for a person to look at."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
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
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs its own event loop: it is started and stopped inside this
    # module, so the asyncio tests that come after it run as usual.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # English: the browser prefers it (a test below prefers Chinese).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    server = make_server(tmp_path_factory.mktemp("console"))
    server.start()
    try:
        settings = settings_for(server)

        migrate(settings)
        import_rows(settings, rows(), tmp_path_factory.mktemp("console-rows"))
        # Two passes: the scores of a year ago (before C8's judgment) and today's, so that
        # the file has a history to draw.
        for day in (date.today() - timedelta(days=365), date.today()):
            with Progress(console=Console(quiet=True)) as progress:
                asyncio.run(
                    score_all(
                        settings.graph_config(), load_schemes(settings.schemes_dir), day, progress
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
    records = page.get_by_test_id("records")
    expect(records).to_contain_text("Records (1 of 1)")
    expect(records).to_contain_text("Court judgment not complied with")  # JUDGMENT_DEFAULT
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
    page.locator("#graph").scroll_into_view_if_needed()
    # Cytoscape learns of a scroll on its next frames (it keeps where its canvas is).
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
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


C8_NAME, C1_NAME, P3_NAME = "北京测试608科技有限公司", "北京测试601科技有限公司", "张603"


def signed_in(browser: Browser, base: str, key: str, width: int, locale: str = "en-US") -> Page:
    """A page at ``width`` px whose browser prefers ``locale``, with the investigator's key."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    page.goto(base + "/")
    page.evaluate("key => localStorage.setItem('credgraph.key', key)", key)
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return page


def open_by_search(page: Page, text: str, name: str) -> None:
    page.get_by_test_id("search").fill(text)
    page.get_by_test_id("search").press("Enter")
    page.get_by_test_id("result").filter(has_text=name).first.click()
    expect(page.get_by_test_id("file-name")).to_have_text(name)


# Whether an element is on screen and on top at its centre: scrolled into view, inside the
# viewport, and the element found there is it or inside it (not another pane over it).
VISIBLE_ON_TOP = """(node) => {
  node.scrollIntoView({ block: "center", inline: "center" });
  const r = node.getBoundingClientRect();
  const inside = r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0
    && r.right <= window.innerWidth && r.bottom <= window.innerHeight;
  const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return { inside, onTop: !!top && (top === node || node.contains(top)), text: node.innerText,
           right: r.right, width: window.innerWidth };
}"""


@pytest.mark.parametrize("width", [1024, 1440, 1920])
def test_console_every_point_is_visible_at_each_width(
    site: tuple[str, str], browser: Browser, width: int
) -> None:
    base, key = site
    page = signed_in(browser, base, key, width)
    open_by_search(page, "北京测试608", C8_NAME)
    cells = page.get_by_test_id("contribution-points")
    expect(cells.first).to_be_visible()
    assert cells.count() >= 1
    seen = [cells.nth(i).evaluate(VISIBLE_ON_TOP) for i in range(cells.count())]
    seen += [
        page.get_by_test_id("record-points").nth(i).evaluate(VISIBLE_ON_TOP)
        for i in range(page.get_by_test_id("record-points").count())
    ]
    seen.append(page.get_by_test_id("score-total").locator("td.points").evaluate(VISIBLE_ON_TOP))
    for cell in seen:
        assert cell["inside"] and cell["onTop"], (width, cell)
        assert cell["text"].strip() not in ("", "-")
    # No pane is wider than the page: nothing to scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"console-4-file-{width}.png"), full_page=True)
    page.context.close()


def test_console_records_are_tied_to_their_points_and_filterable(
    site: tuple[str, str], browser: Browser
) -> None:
    base, key = site
    page = signed_in(browser, base, key, 1440)
    open_by_search(page, "北京测试602", "北京测试602科技有限公司")
    records = page.get_by_test_id("record")
    expect(records.first).to_be_visible()
    # Each record's points and status are its contribution's.
    contributions = {}
    for i in range(page.get_by_test_id("contribution").count()):
        row = page.get_by_test_id("contribution").nth(i)
        cells = row.locator("td").all_inner_texts()
        if cells[0] == "own record":
            contributions[cells[1].split()[0]] = (cells[3], cells[4])
    assert contributions, "the company has own records"
    for i in range(records.count()):
        record = records.nth(i)
        record_id = record.get_attribute("data-record-id") or ""
        status, points = contributions[record_id]
        assert record.get_by_test_id("record-points").inner_text() == points
        assert (
            record.get_by_test_id("record-standing")
            .inner_text()
            .startswith(status.split(" on ")[0])
        ), (record_id, status)
        expect(record.get_by_test_id("record-standing")).to_contain_text("E-")  # the rule's id
    total = records.count()
    page.get_by_test_id("filter-polarity").select_option("GOOD")
    expect(page.get_by_test_id("records")).to_contain_text(f"Records (0 of {total})")
    page.get_by_test_id("filter-polarity").select_option("")
    page.get_by_test_id("filter-category").select_option("ADMINISTRATIVE")
    expect(page.get_by_test_id("record")).to_have_count(total)
    page.get_by_test_id("filter-status").select_option("REMOVED")
    expect(page.get_by_test_id("record")).to_have_count(0)
    # The bands: every level of the scheme with its meaning, the current one marked.
    bands = page.get_by_test_id("band")
    expect(bands).to_have_count(4)
    expect(page.locator("[data-testid=band][aria-current=true]")).to_contain_text("current level")
    page.context.close()


def test_console_history_companies_and_back_and_forward(
    site: tuple[str, str], browser: Browser
) -> None:
    base, key = site
    page = signed_in(browser, base, key, 1440)
    open_by_search(page, "北京测试608", C8_NAME)
    # Two stored scores: a year ago (base) and today (after the judgment): a chart of two points.
    chart = page.get_by_test_id("history-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("circle")).to_have_count(2)
    first_url = page.url
    assert "?entity=" in first_url
    # A person's file lists the companies they represent, hold or serve.
    open_by_search(page, P3_NAME, P3_NAME)
    companies = page.get_by_test_id("company-row")
    expect(companies).to_have_count(3)
    expect(page.get_by_test_id("companies")).to_contain_text("shareholder")
    expect(page.get_by_test_id("companies")).to_contain_text("30.0%")
    expect(page.get_by_test_id("companies")).to_contain_text("officer (supervisor)")
    page.screenshot(path=str(ARTIFACTS / "console-5-person.png"), full_page=True)
    second_url = page.url
    # A company link opens its file: a third entry in the browser's history.
    page.get_by_role("link", name=C1_NAME).click()
    expect(page.get_by_test_id("file-name")).to_have_text(C1_NAME)
    page.go_back()
    expect(page.get_by_test_id("file-name")).to_have_text(P3_NAME)
    assert page.url == second_url
    page.go_back()
    expect(page.get_by_test_id("file-name")).to_have_text(C8_NAME)
    assert page.url == first_url
    page.go_forward()
    expect(page.get_by_test_id("file-name")).to_have_text(P3_NAME)
    # A file's URL opens it in a fresh page.
    fresh = page.context.new_page()
    fresh.goto(second_url)
    expect(fresh.get_by_test_id("file-name")).to_have_text(P3_NAME)
    page.context.close()


def test_console_speaks_chinese_when_asked_and_remembers(
    site: tuple[str, str], browser: Browser
) -> None:
    base, key = site
    # A browser that prefers Chinese gets Chinese.
    page = signed_in(browser, base, key, 1440, locale="zh-CN")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    expect(page.get_by_role("button", name="检索")).to_be_visible()
    open_by_search(page, "北京测试608", C8_NAME)
    expect(page.get_by_test_id("score")).to_contain_text("信用评分")
    expect(page.get_by_test_id("records")).to_contain_text("失信被执行人")  # the code's title
    expect(page.get_by_test_id("contribution").first).to_contain_text("本主体记录")
    expect(page.get_by_test_id("bands")).to_contain_text("高风险")  # level D's meaning
    page.screenshot(path=str(ARTIFACTS / "console-6-chinese.png"), full_page=True)
    # The switch changes every label, the open file's too, and is remembered.
    page.get_by_test_id("lang").select_option("en")
    expect(page.get_by_test_id("score")).to_contain_text("Score")
    expect(page.get_by_test_id("records")).to_contain_text("Court judgment not complied with")
    expect(page.get_by_role("button", name="Search")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    expect(page.get_by_test_id("file-name")).to_have_text(C8_NAME)  # the URL keeps the file
    expect(page.get_by_test_id("score")).to_contain_text("Score")
    assert page.get_by_test_id("lang").input_value() == "en"
    page.context.close()


def test_console_message_catalogue_is_complete_in_both_languages(
    site: tuple[str, str], browser: Browser
) -> None:
    base, key = site
    page = signed_in(browser, base, key, 1024)
    # Every label of the page translated: no element keeps a data-i18n key as its text.
    for lang in ("zh", "en"):
        page.get_by_test_id("lang").select_option(lang)
        texts = page.eval_on_selector_all(
            "[data-i18n]", "nodes => nodes.map(n => [n.dataset.i18n, n.textContent])"
        )
        assert texts and all(text and text != name for name, text in texts), texts
    page.context.close()


def test_console_exports_the_report_and_prints_the_file_alone(
    site: tuple[str, str], browser: Browser
) -> None:
    base, key = site
    page = signed_in(browser, base, key, 1440)
    open_by_search(page, "北京测试608", C8_NAME)
    with page.expect_download() as download:
        page.get_by_test_id("export-pdf").click()
    saved = download.value
    assert saved.suggested_filename.startswith(
        "credit-report-"
    ) and saved.suggested_filename.endswith(".pdf")
    path = saved.path()
    assert path is not None and Path(path).read_bytes().startswith(b"%PDF")
    expect(page.locator("#status")).to_contain_text("Exported credit-report-")
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    # Printing shows the file alone: no search, no results, no graph, no buttons.
    page.emulate_media(media="print")
    for hidden in ("header", "#results-pane", "#graph-pane", "[data-testid=export-pdf]"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.get_by_test_id("score-total")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "console-7-print.png"), full_page=True)
    page.context.close()


def test_graphiql_references_no_host_but_our_own(site: tuple[str, str]) -> None:
    import re

    page = httpx.get(site[0] + "/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    # Every script and style sheet is ours; the only absolute URL left is SVG's namespace.
    loaded = re.findall(r"(?:src|href)=\"([^\"]+)\"", page.text)
    loaded = [u for u in loaded if not u.startswith("data:")]  # the inline favicon
    assert loaded and all(u.startswith("/console/vendor/") for u in loaded), loaded
    hosts = set(re.findall(r"https?://([^/\"'\s]+)", page.text))
    assert hosts <= {"www.w3.org"}, hosts
    for url in loaded:
        asset = httpx.get(site[0] + url)
        assert asset.status_code == 200 and len(asset.content) > 500, url


def test_graphiql_runs_a_query_without_internet(site: tuple[str, str], page: Page) -> None:
    base, _ = site
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(base + "/graphql")
    editor = page.locator(".graphiql-query-editor .CodeMirror").first
    expect(editor).to_be_visible(timeout=15000)
    page.evaluate(
        """() => document.querySelector('.graphiql-query-editor .CodeMirror')
              .CodeMirror.setValue('{ schemes { id version } }')"""
    )
    page.locator(".graphiql-execute-button").click()
    expect(page.locator(".graphiql-response")).to_contain_text('"version"', timeout=15000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "graphiql.png"))
    assert not failed, failed
    assert requested and all(u.startswith(base) or u.startswith("data:") for u in requested)
