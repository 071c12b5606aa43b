"""The investigator console in headless Chromium against a real server: search, open an entity,
see its records and score, see the linkage graph drawn and expand it, find a path.
Screenshots go to tests/artifacts/ for a person to look at."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

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
from tests.test_api_investigation import C, rows

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
    # The public is told that people are left out, not shown an answer that looks complete.
    expect(page.get_by_test_id("excluded")).to_contain_text("People are not searchable")
    shot(page, "1-search")

    # Without a key the public sees the company's file, but its linkage is refused.
    results.first.click()
    expect(page.get_by_test_id("file-name")).to_have_text("北京测试608科技有限公司")
    expect(page.locator("#status")).to_contain_text("linkage: needs the role investigator")
    # Told by the error's code in the reader's language, the server's words after it.
    expect(page.locator("#status")).to_contain_text("Not allowed for your role: linkage")
    expect(page.locator("#file")).not_to_contain_text("null")
    shot(page, "1b-public-file")
    page.get_by_text("API key", exact=True).click()
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

    # Find the paths from C8 to P2 (P2 holds C3, which holds C1, whose legal rep is P1 ...),
    # P2 chosen from the suggestions.
    choose_target(page, "张602", "张602")
    page.get_by_test_id("find-paths").click()
    paths = page.get_by_test_id("path")
    expect(paths.first).to_contain_text("张602")
    expect(paths.first).to_contain_text("北京测试608科技有限公司")
    expect(paths.first).to_contain_text("4 links")
    expect(page.get_by_test_id("paths-head")).to_contain_text(f"from {C8_NAME} to 张602")
    shot(page, "3-paths")

    choose_target(page, "张604", "张604")
    page.locator("#path-hops").select_option("2")
    page.get_by_test_id("find-paths").click()
    expect(page.get_by_test_id("no-path")).to_have_text(
        f"No path from {C8_NAME} to 张604 within 2 links."
    )
    expect(paths).to_have_count(0)


def choose_target(page: Page, text: str, name: str) -> None:
    """Types ``text`` into the path finder and picks ``name`` from its suggestions."""
    page.get_by_test_id("path-target").fill(text)
    page.get_by_test_id("target-option").filter(has_text=name).first.click()
    expect(page.get_by_test_id("target-chosen")).to_have_text(f"Chosen: {name}")


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


def api_data(base: str, key: str, query: str, **variables: object) -> dict[str, Any]:
    """What the API itself answers, to hold the console's screen against."""
    body = httpx.post(
        base + "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ).json()
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]
    return found


def test_console_search_results_say_why_and_page_on(
    site: tuple[str, str], browser: Browser
) -> None:
    base, key = site
    page = signed_in(browser, base, key, 1440)
    search = page.get_by_test_id("search")
    search.fill("张601")
    search.press("Enter")
    results = page.get_by_test_id("result")
    expect(results.first).to_contain_text("张601")
    # The companies 张601 represents are there, and say through whom they matched.
    for name in (C1_NAME, "北京测试602科技有限公司"):
        company = results.filter(has_text=name)
        expect(company.get_by_test_id("result-why")).to_have_text("via legal representative 张601")
    total = api_data(base, key, '{ search(query: "张601") { totalCount } }')["search"]
    expect(page.get_by_test_id("results-count")).to_have_text(f"{total['totalCount']} results")
    # Every result shows its level (or that it has none): a badge.
    assert results.count() == results.locator(".level").count()
    # Keyboard: from the search box, Tab reaches the first result, Enter opens it.
    search.focus()
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.testid") == "result":
            break
    assert page.evaluate("document.activeElement.dataset.testid") == "result"
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("file-name")).to_have_text("张601")
    # The kind filter, and pages past the first twenty.
    page.get_by_test_id("search-kind").select_option("PERSON")
    search.fill("张")
    search.press("Enter")
    people = api_data(base, key, '{ search(query: "张", kind: PERSON) { totalCount } }')
    count = people["search"]["totalCount"]
    assert count > 40
    expect(page.get_by_test_id("results-count")).to_have_text(f"{count} results")
    expect(results).to_have_count(20)
    kinds = page.locator("[data-testid=result] .meta:not(.why)").all_inner_texts()
    assert len(kinds) == 20 and all(k.startswith("Person · ") for k in kinds), kinds
    page.get_by_test_id("more-results").click()
    expect(results).to_have_count(40)
    assert page.evaluate("document.activeElement.dataset.testid") == "result"
    page.screenshot(path=str(ARTIFACTS / "console-8-search.png"))
    page.context.close()


def test_console_path_finder_never_guesses(site: tuple[str, str], browser: Browser) -> None:
    base, key = site
    page = signed_in(browser, base, key, 1440)
    open_by_search(page, "北京测试608", C8_NAME)
    target = page.get_by_test_id("path-target")
    # A made-up name: told so, and nothing to search paths to.
    target.fill("不存在的公司XYZ")
    expect(page.get_by_test_id("no-target")).to_have_text("No entity matches “不存在的公司XYZ”.")
    expect(page.get_by_test_id("find-paths")).to_be_disabled()
    target.press("Enter")
    expect(page.locator("#status")).to_contain_text("No entity matches “不存在的公司XYZ”.")
    expect(page.get_by_test_id("path")).to_have_count(0)
    # Chosen with the keyboard from the suggestions.
    target.fill("张602")
    expect(page.get_by_test_id("target-option").first).to_contain_text("张602")
    target.press("ArrowDown")
    expect(target).to_have_attribute("aria-activedescendant", "target-option-0")
    target.press("Enter")
    expect(page.get_by_test_id("target-chosen")).to_have_text("Chosen: 张602")
    page.get_by_test_id("find-paths").click()
    head = page.get_by_test_id("paths-head")
    expect(head).to_contain_text(f"from {C8_NAME} to 张602 within 4 links")
    first = page.get_by_test_id("path").first
    hops = first.get_by_test_id("hop").all_inner_texts()
    assert any("shareholder 50%" in h for h in hops), hops  # C3 holds half of C1
    assert any("shareholder 60%" in h for h in hops), hops  # P2 holds 60% of C3
    # The risk, party by party, adds up to the figure shown.
    title = first.locator(".path-title").inner_text()
    risk = float(title.rsplit(" ", 1)[1])
    words = first.get_by_test_id("risk-words").inner_text()
    assert f"{C8_NAME} is blacklisted (+1.00)" in words
    parts = [float(x) for x in re.findall(r"\(\+([0-9.]+)\)", words)]
    assert abs(sum(parts) - risk) < 0.01 * len(parts) + 0.005, (words, risk)
    # The path stays in its level colours when highlighted: a ring, not a red bar.
    styles = page.evaluate(
        """() => window.credgraph.graph().nodes('.on-path').map(n =>
             [n.data('colour'), n.style('background-color'), n.width(), n.data('kind')])"""
    )
    assert styles
    for colour, background, width, _kind in styles:
        assert width >= 18, styles
        assert background.replace(" ", "") == _rgb(colour), styles
    page.screenshot(path=str(ARTIFACTS / "console-9-path-finder.png"), full_page=True)
    # By code: C2's USCC names it exactly.
    target.fill(C[2])
    target.press("Enter")
    expect(page.get_by_test_id("target-chosen")).to_have_text("Chosen: 北京测试602科技有限公司")
    expect(head).to_contain_text(f"from {C8_NAME} to 北京测试602科技有限公司")
    # Another entity opened: the old answer is gone rather than mislabelled.
    open_by_search(page, "北京测试601", C1_NAME)
    expect(page.locator("#paths-head")).to_be_hidden()
    expect(page.get_by_test_id("path")).to_have_count(0)
    page.context.close()


def _rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r},{g},{b})"


@pytest.mark.parametrize("width", [1024, 1920])
def test_console_graph_tools(site: tuple[str, str], browser: Browser, width: int) -> None:
    base, key = site
    page = signed_in(browser, base, key, width)
    open_by_search(page, "北京测试608", C8_NAME)
    graph = page.get_by_test_id("graph")
    expect(graph).to_have_attribute("data-nodes", "7")
    info = page.get_by_test_id("graph-info")
    expect(info).to_contain_text("7 entities")
    # The legend: shapes, borders, and both level scales as the installed schemes have them.
    schemes = api_data(base, key, "{ schemes { id subjects levels { name } } }")["schemes"]
    scales = page.get_by_test_id("legend-scale")
    expect(scales).to_have_count(len(schemes))
    for scheme, row in zip(schemes, scales.all_inner_texts(), strict=True):
        assert scheme["id"] in row and all(lv["name"] in row for lv in scheme["levels"]), row
    legend = page.get_by_test_id("legend")
    for words in ("Company (square)", "Person (circle)", "Blacklisted", "Hub"):
        expect(legend).to_contain_text(words)
    # Zoom: the labels keep their size on screen.
    before = page.evaluate("() => window.credgraph.graph().zoom()")
    page.get_by_test_id("zoom-in").click()
    after = page.evaluate("() => window.credgraph.graph().zoom()")
    assert after == pytest.approx(before * 1.25, rel=0.01)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    on_screen = page.evaluate(
        """() => { const cy = window.credgraph.graph();
                   return parseFloat(cy.nodes()[0].style('font-size')) * cy.zoom(); }"""
    )
    assert on_screen == pytest.approx(12, rel=0.05)
    page.get_by_test_id("fit").click()
    assert page.evaluate("() => window.credgraph.graph().zoom()") <= 1.6
    # Expanding says what it did: new entities, nothing new, or already done.
    ids = page.evaluate(
        """() => Object.fromEntries(window.credgraph.graph().nodes().map(n => [n.data('label'), n.id()]))"""
    )
    page.evaluate("id => window.credgraph.expand(id)", ids[C1_NAME])
    expect(info).to_contain_text(f"2 entities added around {C1_NAME}")
    expect(graph).to_have_attribute("data-nodes", "9")
    page.evaluate("id => window.credgraph.expand(id)", ids[C1_NAME])
    expect(info).to_contain_text(f"{C1_NAME} is already expanded")
    page.evaluate("id => window.credgraph.expand(id)", ids["张601"])
    expect(info).to_contain_text("张601 has no links beyond those drawn")
    # Filters by relationship type hide those links (and who is left without one).
    page.get_by_test_id("rel-OFFICER_OF").uncheck()
    expect(info).to_contain_text("hidden by the filter")
    hidden = page.evaluate(
        """() => window.credgraph.graph().edges('[type = "OFFICER_OF"]')
                 .map(e => e.style('display'))"""
    )
    assert hidden and set(hidden) == {"none"}
    page.get_by_test_id("rel-OFFICER_OF").check()
    expect(info).not_to_contain_text("hidden by the filter")
    page.screenshot(path=str(ARTIFACTS / f"console-10-graph-{width}.png"))
    # Full screen, and back.
    page.get_by_test_id("fullscreen").click()
    page.wait_for_function(
        "() => document.fullscreenElement && document.fullscreenElement.id === 'graph-box'"
    )
    box = graph.bounding_box()
    assert box is not None and box["height"] > 500 and box["width"] > width * 0.9
    # Laid out again for the room, every entity inside it.
    page.wait_for_timeout(300)
    inside = page.evaluate(
        """() => { const cy = window.credgraph.graph(); const bb = cy.elements().renderedBoundingBox();
                   return bb.x1 >= 0 && bb.y1 >= 0 && bb.x2 <= cy.width() && bb.y2 <= cy.height(); }"""
    )
    assert inside
    page.screenshot(path=str(ARTIFACTS / f"console-11-graph-fullscreen-{width}.png"))
    page.get_by_test_id("fullscreen").click()
    page.wait_for_function("() => !document.fullscreenElement")
    # PNG export.
    with page.expect_download() as download:
        page.get_by_test_id("export-png").click()
    saved = download.value
    assert saved.suggested_filename == f"credgraph-linkage-{C8_NAME}.png"
    path = saved.path()
    assert path is not None and Path(path).read_bytes().startswith(b"\x89PNG")
    page.context.close()


COMMON = "query($a: ID!, $b: ID!) { commonLinks(a: $a, b: $b) { kind } }"
OWNERS = """query($uscc: String!) { ultimateOwners(uscc: $uscc, minStake: 0.01) {
  effectiveStake owner { name } } }"""
SCAN = "query($id: ID!) { riskScan(id: $id, hops: 3) { node { entity { name } } } }"


def test_console_common_links_owners_and_risk_scan(site: tuple[str, str], browser: Browser) -> None:
    base, key = site
    page = signed_in(browser, base, key, 1440)
    open_by_search(page, "北京测试601", C1_NAME)
    c1 = page.get_by_test_id("file").get_attribute("data-id")
    choose_target(page, "北京测试602", "北京测试602科技有限公司")
    page.get_by_test_id("common-links").click()
    links = page.get_by_test_id("common-link")
    expect(page.get_by_test_id("common-head")).to_contain_text(
        f"connect {C1_NAME} and 北京测试602科技有限公司"
    )
    c2 = api_data(
        base, key, '{ search(query: "北京测试602") { edges { node { entity { id } } } } }'
    )
    expected = api_data(
        base, key, COMMON, a=c1, b=c2["search"]["edges"][0]["node"]["entity"]["id"]
    )["commonLinks"]
    expect(links).to_have_count(len(expected))
    text = " ".join(links.all_inner_texts())
    for words in ("Shared party: 张601", "Same registered address", "Same phone"):
        assert words in text, text
    page.locator("#path-form").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "console-12a-common-links.png"))
    # Ultimate owners, as the API computes them.
    page.get_by_test_id("owners-min").select_option("0.01")
    page.get_by_test_id("owners").click()
    owners = api_data(base, key, OWNERS, uscc=C[1])["ultimateOwners"]
    rows = page.get_by_test_id("owner")
    expect(rows).to_have_count(len(owners))
    for owner, row in zip(owners, rows.all_inner_texts(), strict=True):
        stake = round(owner["effectiveStake"] * 100, 1)
        assert owner["owner"]["name"] in row and f"effective stake {stake:g}%" in row, row
    page.locator("#investigate").screenshot(path=str(ARTIFACTS / "console-12-owners.png"))
    # A risk scan of three links around.
    page.get_by_test_id("scan-hops").select_option("3")
    page.get_by_test_id("risk-scan").click()
    hits = api_data(base, key, SCAN, id=c1)["riskScan"]
    assert hits
    scanned = page.get_by_test_id("scan-hit")
    expect(scanned).to_have_count(len(hits))
    for hit, row in zip(hits, scanned.all_inner_texts(), strict=True):
        assert hit["node"]["entity"]["name"] in row
    expect(page.get_by_test_id("scan-head")).to_contain_text(f"within 3 links of {C1_NAME}")
    page.locator("#investigate").screenshot(path=str(ARTIFACTS / "console-13-risk-scan.png"))
    # In Chinese, the answer's heading too.
    page.get_by_test_id("lang").select_option("zh")
    expect(page.get_by_test_id("scan-head")).to_contain_text("个风险主体")
    page.context.close()


NAMELESS = """() => [...document.querySelectorAll('button, input, select, [tabindex], [role=option]')]
  .filter(n => n.offsetParent !== null || n.closest('#graph-box'))
  .filter(n => !((n.getAttribute('aria-label') || '').trim()
                 || (n.labels && n.labels.length && n.labels[0].textContent.trim())
                 || (n.textContent || '').trim() || (n.title || '').trim()))
  .map(n => n.outerHTML.slice(0, 120))"""


def test_console_controls_are_named_and_in_reading_order(
    site: tuple[str, str], browser: Browser
) -> None:
    base, key = site
    page = signed_in(browser, base, key, 1440)
    open_by_search(page, "北京测试608", C8_NAME)
    page.get_by_test_id("path-target").fill("张60")
    expect(page.get_by_test_id("target-option").first).to_be_visible()
    for lang in ("en", "zh"):
        page.get_by_test_id("lang").select_option(lang)
        assert page.evaluate(NAMELESS) == [], lang
    # Keyboard order is the page's order: nothing jumps the queue with a positive tabindex.
    assert (
        page.evaluate(
            'document.querySelectorAll(\'[tabindex]:not([tabindex="0"]):not([tabindex="-1"])\').length'
        )
        == 0
    )
    # Tab walks from the search box through the results into the file, then the graph's tools.
    page.get_by_test_id("search").focus()
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate(
                "document.activeElement.closest('section') ? document.activeElement.closest('section').id : 'header'"
            )
        )
    order = [s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]]
    assert order.index("results-pane") < order.index("file-pane") < order.index("graph-pane"), order
    page.context.close()
