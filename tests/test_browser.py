"""The HTML report in a real browser: Debian's Chromium driven by Playwright.

Needs ``/usr/bin/chromium`` (apt package ``chromium``) and the ``playwright`` Python package; the
browser builds that Playwright can download are never used. Each launch gets a fresh temporary
profile from Playwright. Screenshots are left in tests/artifacts/ (report.png, demo.png) for a person
to look at.

Two kinds of page: reports rendered from the in-memory fixtures, and reports the CLI writes as a user
runs it: ``ssm-doctor demo --output demo.html`` over the whole sandbox fleet, and
``pwreset --from-facts`` over facts gathered from sandbox nodes with hostile Name tags and preferences.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import sync_playwright  # noqa: E402

from doctor.model import Report, Status  # noqa: E402
from reports.html import render_html  # noqa: E402
from tests import clikit  # noqa: E402
from tests.fixtures import make_facts  # noqa: E402
from tests.fixtures.reports import BOLD, FIXTURES, IMG, SCRIPT  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def write(tmp_path: Path, report: Report, name: str = "report.html") -> Path:
    path = tmp_path / name
    path.write_text(render_html(report), encoding="utf-8")
    return path


class Watch:
    """What a page asked for, printed to its console, threw, or tried to show in a dialog."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def open_page(browser: Browser, url: str, **context: Any) -> tuple[Page, Watch]:
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(15_000)
    watch = Watch(page)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, watch


def test_fleet_report_fetches_nothing_from_a_file(browser: Browser, tmp_path: Path) -> None:
    url = write(tmp_path, FIXTURES["hybrid_fleet"]()).as_uri()
    page, watch = open_page(browser, url)
    assert watch.requests == [url]
    assert not watch.errors
    assert not [c for c in watch.console if "Content Security Policy" in c or c.startswith("error")]
    # The hashed inline script ran (the CSP admits it): every command got a copy button.
    assert page.locator(".cmd").count() > 0
    assert page.locator(".copy").count() == page.locator(".cmd").count()
    page.context.close()


def test_fleet_report_fetches_nothing_from_set_content(browser: Browser) -> None:
    page = browser.new_context().new_page()
    watch = Watch(page)
    page.set_content(render_html(FIXTURES["hybrid_fleet"]()), wait_until="networkidle")
    assert watch.requests == []
    assert not watch.errors
    assert page.locator(".copy").count() == page.locator(".cmd").count() > 0
    page.context.close()


def _expect_content(page: Page, report: Report) -> None:
    body = page.inner_text("body")
    for target in report.targets:
        assert re.search(rf"\b{re.escape(target.verdict.value)}\b", body, re.IGNORECASE)
        assert target.target in body
        for finding in target.findings:
            assert finding.id in body
    details = page.locator("pre.evidence")
    assert details.count() == sum(1 for t in report.targets for f in t.findings if f.evidence)


def test_fleet_report_shows_verdicts_and_every_check(browser: Browser, tmp_path: Path) -> None:
    report = FIXTURES["hybrid_fleet"]()
    page, _ = open_page(browser, write(tmp_path, report).as_uri())
    _expect_content(page, report)
    # The summary table links to each target's section.
    rows = page.locator("main table").first.locator("tbody tr")
    assert rows.count() == len(report.targets)
    for i in range(rows.count()):
        href = rows.nth(i).locator("a").first.get_attribute("href")
        assert href and page.locator(href.replace(".", "\\.")).count() == 1
    assert "No managed node is named" in page.inner_text("body")
    page.context.close()


def test_report_is_complete_without_javascript(browser: Browser, tmp_path: Path) -> None:
    report = FIXTURES["hybrid_fleet"]()
    page, watch = open_page(browser, write(tmp_path, report).as_uri(), java_script_enabled=False)
    _expect_content(page, report)
    assert page.locator(".copy").count() == 0
    assert page.locator("pre code", has_text="aws ssm update-service-setting").count() == 1
    assert page.locator("svg.graph").count() == 2
    assert not watch.dialogs
    page.context.close()


def test_hostile_strings_stay_text(browser: Browser, tmp_path: Path) -> None:
    report = FIXTURES["hostile"]()
    for load in ("file", "set_content"):
        if load == "file":
            page, watch = open_page(browser, write(tmp_path, report).as_uri())
        else:
            page = browser.new_context().new_page()
            watch = Watch(page)
            page.set_content(render_html(report), wait_until="networkidle")
        page.locator("details").evaluate_all("(all) => all.forEach((d) => { d.open = true; })")
        page.locator("svg.graph a").first.hover()
        body = page.inner_text("body")
        for text in (IMG, SCRIPT, BOLD):
            assert text in body
        assert "echo '</code></pre><script>alert(1)</script>' | tee /tmp/x" in body
        assert page.locator("img").count() == 0
        assert page.locator("b").count() == 0
        assert page.locator("script").count() == 1  # the report's own, admitted by hash
        assert page.locator("[onerror], [onmouseover]").count() == 0
        assert page.locator("a[href^='javascript:' i]").count() == 0
        assert not watch.dialogs
        assert not watch.errors
        page.context.close()


def test_graph_marks_status_and_skipped_causes(browser: Browser, tmp_path: Path) -> None:
    report = FIXTURES["blocked_ec2"]()
    page, _ = open_page(browser, write(tmp_path, report).as_uri())
    nodes = page.locator("svg.graph g.node")
    assert nodes.count() == len(report.targets[0].findings)
    skipped = page.locator("svg.graph g.node.s-skip")
    assert skipped.count() == sum(1 for f in report.targets[0].findings if f.status is Status.SKIP)
    for i in range(skipped.count()):
        title = skipped.nth(i).locator("title").text_content() or ""
        assert "Blocked by node.identity" in title
        dash = skipped.nth(i).locator("rect").evaluate("(r) => getComputedStyle(r).strokeDasharray")
        assert dash not in ("", "none")
    failed = page.locator("svg.graph g.node.s-fail text")
    assert {t.strip() for t in failed.all_text_contents()} == {"✗ agent.version", "✗ node.identity"}
    page.context.close()


def test_dark_scheme(browser: Browser, tmp_path: Path) -> None:
    url = write(tmp_path, FIXTURES["blocked_ec2"]()).as_uri()
    colours = {}
    for scheme in ("light", "dark"):
        page, _ = open_page(browser, url, color_scheme=scheme)
        colours[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page.context.close()
    assert colours["light"] != colours["dark"]
    channels = [int(c) for c in re.findall(r"\d+", colours["dark"])[:3]]
    assert max(channels) < 64


def test_print_expands_evidence_of_problems_and_hides_buttons(browser: Browser, tmp_path: Path) -> None:
    page, _ = open_page(browser, write(tmp_path, FIXTURES["blocked_ec2"]()).as_uri())
    evidence = page.locator(".check.c-fail pre.evidence").first
    passed = page.locator(".check.c-pass pre.evidence").first
    assert not evidence.is_visible()
    page.emulate_media(media="print")
    assert evidence.is_visible()
    assert not passed.is_visible()  # on paper, evidence of what passed is left out to keep it short
    assert not page.locator(".copy").first.is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    page.context.close()


def test_screenshot(browser: Browser, tmp_path: Path) -> None:
    page, _ = open_page(browser, write(tmp_path, FIXTURES["hybrid_fleet"]()).as_uri(),
                        viewport={"width": 1280, "height": 900})
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG")
    page.context.close()


# --- reports the CLI writes -------------------------------------------------------------------------


def _offline_env() -> dict[str, str]:
    """No AWS configuration and an endpoint nothing listens on: these runs need no AWS at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SSM_SANDBOX"))}
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", NO_COLOR="1",
               AWS_ENDPOINT_URL="http://127.0.0.1:9")
    return env


@pytest.fixture(scope="module")
def demo_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ssm-doctor demo --output demo.html``: the whole sandbox fleet, as a user runs it."""
    path = tmp_path_factory.mktemp("demo") / "demo.html"
    env = _offline_env()
    del env["AWS_ENDPOINT_URL"]
    res = clikit.run(["demo", "--output", str(path)], env, timeout=300)
    assert res.code == 0, res.stderr
    return path


def test_demo_report_loads_with_no_network_request(browser: Browser, demo_html: Path) -> None:
    url = demo_html.as_uri()
    page, watch = open_page(browser, url)
    assert watch.requests == [url]
    assert not watch.errors and not watch.dialogs
    assert not [c for c in watch.console if "Content Security Policy" in c or c.startswith("error")]
    csp = page.locator("meta[http-equiv='Content-Security-Policy']").get_attribute("content") or ""
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
    # Nothing in the page points anywhere but at itself, except links a reader may follow.
    sources = page.evaluate("""() => [...document.querySelectorAll('[src], link[href], [srcset], object, embed,'
        + ' iframe, use[href]')].map((e) => e.outerHTML.slice(0, 80))""")
    assert sources == []
    page.context.close()

    page = browser.new_context().new_page()
    watch = Watch(page)
    page.set_content(demo_html.read_text(encoding="utf-8"), wait_until="networkidle")
    assert watch.requests == []
    page.context.close()


def test_demo_report_has_every_verdict_and_check_id(browser: Browser, demo_html: Path) -> None:
    from checks import specs
    from doctor.sandbox.fleet import SCENARIOS

    ids = [spec.id for spec in specs()]
    page, _ = open_page(browser, demo_html.as_uri(), java_script_enabled=False)
    rows = page.locator("main table").first.locator("tbody tr")
    assert rows.count() == len(SCENARIOS)
    verdicts = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        verdicts[cells.nth(1).inner_text().strip()] = cells.nth(3).inner_text().split()[-1].lower()
    assert verdicts == {s.name: s.expect_verdict for s in SCENARIOS}
    sections = page.locator("section.target")
    assert sections.count() == len(SCENARIOS)
    for i in range(sections.count()):
        section = sections.nth(i)
        text = section.inner_text()
        assert re.search(r"\b(ready|blocked|incomplete)\b", text, re.IGNORECASE)
        missing = [cid for cid in ids if cid not in text]
        assert not missing, (section.locator("h3").first.inner_text(), missing)
        assert section.locator("svg.graph g.node").count() == len(ids)
    # The fleet's root causes, counted.
    causes = page.locator("section[aria-labelledby=causes-title] tbody tr")
    expected: dict[str, int] = {}
    for s in SCENARIOS:
        for cause in s.expect_root_causes:
            expected[cause] = expected.get(cause, 0) + 1
    row_cells = [causes.nth(i).locator("td") for i in range(causes.count())]
    counted = {c.nth(0).inner_text().strip(): int(c.nth(2).inner_text()) for c in row_cells}
    assert counted == expected
    page.context.close()


def test_demo_report_screenshot_and_pdf(browser: Browser, demo_html: Path) -> None:
    from doctor.sandbox.fleet import SCENARIOS

    page, _ = open_page(browser, demo_html.as_uri(), viewport={"width": 1280, "height": 900})
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "demo.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
    # The graph fits the page: nothing to scroll sideways to.
    widths = page.locator(".graph-scroll").evaluate_all("(all) => all.map((b) => b.scrollWidth - b.clientWidth)")
    assert widths and max(widths) <= 1
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages > len(SCENARIOS)  # each target starts on a page of its own
    page.context.close()


@pytest.fixture(scope="module")
def hostile_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pwreset --from-facts`` on facts gathered from sandbox nodes with hostile Name tags and preferences."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.html"
    facts = make_facts.FACTS / "hostile_fleet.json"
    res = clikit.run(["pwreset", "--from-facts", str(facts), "--format", "html", "--output", str(path)],
                     _offline_env())
    assert res.code == 1, res.stderr
    return path


@pytest.mark.parametrize("javascript", [True, False])
def test_hostile_names_and_evidence_from_real_facts_stay_text(browser: Browser, hostile_html: Path,
                                                                javascript: bool) -> None:
    page, watch = open_page(browser, hostile_html.as_uri(), java_script_enabled=javascript)
    if javascript:
        page.locator("details").evaluate_all("(all) => all.forEach((d) => { d.open = true; })")
        for i in range(min(page.locator("svg.graph a").count(), 6)):
            page.locator("svg.graph a").nth(i).hover()
        page.locator(".copy").first.click()
    body = page.inner_text("body")
    # The Name tags, in the fleet table and the target headings.
    assert body.count(make_facts.IMG) >= 2 and body.count(make_facts.SCRIPT) >= 2
    assert page.locator("main table td", has_text=make_facts.SCRIPT).count() == 1
    if javascript:  # the preferences' hostile S3 key prefix, in each target's opened evidence
        assert body.count(make_facts.IMG) >= 2 + 4
    assert page.locator("img, iframe, object, embed").count() == 0
    assert page.locator("script").count() == 1  # only the report's own, admitted by hash
    assert page.locator("[onerror], [onload], [onclick]").count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert not watch.dialogs
    assert not watch.errors
    assert watch.requests == [hostile_html.as_uri()]
    page.context.close()
