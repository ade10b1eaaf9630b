"""Regenerate docs/report.png, the HTML report shown in the README.

    python docs/screenshot.py [SCENARIO]

Diagnoses one node of the built-in sandbox fleet (default: the stopped instance,
which shows a root cause, the failure it explains, and the checks it blocked), renders the HTML
report, and photographs it down to the check graph in Debian's Chromium through Playwright. With
Pillow installed the picture is reduced to a palette of colours, which keeps it about a third the size.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "report.png"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def report_html(scenario: str) -> str:
    from doctor.aws import Aws
    from doctor.demo import standin_plugin
    from doctor.facts import FactStore, Options, Target
    from doctor.runner import diagnose, make_plan
    from doctor.sandbox.fleet import SCENARIOS
    from doctor.sandbox.server import in_process
    from reports.html import render_html

    chosen = next(s for s in SCENARIOS if s.key == scenario)
    with in_process(seed_fleet=True) as sandbox, standin_plugin():
        target = Target(sandbox.targets[chosen.key], chosen.region, chosen.name)
        report = diagnose(make_plan(), FactStore(Aws(region=sandbox.region), Options(user="Administrator")), [target])
    return render_html(report)


def main(scenario: str = "stopped", width: int = 1100) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "report.html"
        page_file.write_text(report_html(scenario), encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            page.goto(page_file.as_uri())
            page.wait_for_load_state("networkidle")
            box = page.locator(".graph-box").first.bounding_box()
            bottom = (box["y"] + box["height"] + 24) if box else 1400
            page.screenshot(path=str(OUT), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": bottom})
            browser.close()
    _shrink(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


def _shrink(path: Path) -> None:
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "stopped")
