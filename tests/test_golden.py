"""Golden files: every format of every report fixture, compared byte for byte.

Rewrite them after an intended change with ``pytest tests/test_golden.py --update-golden`` (or
``UPDATE_GOLDEN=1``) and review the diff.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from reports import render
from reports.redact import redact_report
from tests.fixtures.reports import FIXTURES

GOLDEN = Path(__file__).parent / "golden"
FORMATS = {"text": "txt", "json": "json", "markdown": "md", "html": "html"}


def _compare(path: Path, actual: str, update: bool) -> None:
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
        return
    if not path.exists():
        pytest.fail(f"{path.name} is missing; create it with --update-golden and review it")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                            f"golden/{path.name}", "rendered", n=2))
        pytest.fail(f"{path.name} differs from the rendering (--update-golden rewrites it):\n{diff[:6000]}")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_rendering_matches_golden(name: str, fmt: str, update_golden: bool) -> None:
    report = FIXTURES[name]()
    _compare(GOLDEN / f"{name}.{FORMATS[fmt]}", render(report, fmt), update_golden)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_redacted_json_matches_golden(name: str, update_golden: bool) -> None:
    report = redact_report(FIXTURES[name]())
    _compare(GOLDEN / f"{name}.redacted.json", render(report, "json"), update_golden)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_rendering_is_deterministic(fmt: str) -> None:
    assert render(FIXTURES["hybrid_fleet"](), fmt) == render(FIXTURES["hybrid_fleet"](), fmt)


def test_every_golden_file_belongs_to_a_fixture() -> None:
    expected = {f"{n}.{ext}" for n in FIXTURES for ext in FORMATS.values()}
    expected |= {f"{n}.redacted.json" for n in FIXTURES}
    present = {p.name for p in GOLDEN.iterdir() if p.is_file()}
    assert present <= expected, f"stale golden files: {sorted(present - expected)}"
