"""Golden files: every format of every report fixture, compared byte for byte.

Two kinds of input: the in-memory reports of tests/fixtures/reports.py (renderers alone), and the
saved facts of tests/fixtures/facts/ replayed through the real check graph as
``pwreset --from-facts`` does (facts, checks and renderers together; ``facts_*`` goldens).

Rewrite them after an intended change with ``pytest tests/test_golden.py --update-golden`` (or
``UPDATE_GOLDEN=1``) and review the diff.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from doctor.model import Report
from reports import render
from reports.redact import redact_report
from tests.fixtures.reports import FIXTURES

GOLDEN = Path(__file__).parent / "golden"
FACTS = Path(__file__).parent / "fixtures" / "facts"
FACT_FIXTURES = sorted(p.stem for p in FACTS.glob("*.json"))
FORMATS = {"text": "txt", "json": "json", "markdown": "md", "html": "html"}


def replay(name: str) -> Report:
    """The report ``ssm-doctor pwreset --from-facts tests/fixtures/facts/NAME.json`` gives."""
    from doctor.facts import FactStore, Options
    from doctor.runner import diagnose, make_plan

    saved = json.loads((FACTS / f"{name}.json").read_text(encoding="utf-8"))
    store, targets = FactStore.from_json(saved, Options(user=saved["options"]["user"]))
    return diagnose(make_plan(), store, targets, max_workers=1)


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
@pytest.mark.parametrize("name", FACT_FIXTURES)
def test_replayed_facts_match_golden(name: str, fmt: str, update_golden: bool) -> None:
    _compare(GOLDEN / f"facts_{name}.{FORMATS[fmt]}", render(replay(name), fmt), update_golden)


@pytest.mark.parametrize("name", FACT_FIXTURES)
def test_replayed_facts_redacted_json_matches_golden(name: str, update_golden: bool) -> None:
    _compare(GOLDEN / f"facts_{name}.redacted.json", render(redact_report(replay(name)), "json"), update_golden)


@pytest.mark.parametrize("name", FACT_FIXTURES)
def test_replayed_facts_reach_the_scenarios_verdicts(name: str) -> None:
    """A stale fixture (facts the collectors no longer save that way) must not slip into the goldens as unknowns."""
    from doctor.model import Status
    from doctor.sandbox.fleet import SCENARIOS
    from tests.fixtures.make_facts import CHOICES

    scenarios = {s.key: s for s in SCENARIOS}
    report = replay(name)
    expected = [(scenarios[k].expect_verdict, sorted(scenarios[k].expect_root_causes)) for k in CHOICES[name]]
    assert [(t.verdict.value, sorted(t.root_causes)) for t in report.targets] == expected
    undecided = [(t.target, f.id) for t in report.targets for f in t.findings
                 if f.status in (Status.UNKNOWN, Status.ERROR)]
    assert not undecided, "rewrite the fixture: python -m tests.fixtures.make_facts"


def test_fact_fixtures_exist() -> None:
    from tests.fixtures.make_facts import CHOICES

    assert set(CHOICES) == set(FACT_FIXTURES)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_rendering_is_deterministic(fmt: str) -> None:
    assert render(FIXTURES["hybrid_fleet"](), fmt) == render(FIXTURES["hybrid_fleet"](), fmt)


def test_every_golden_file_belongs_to_a_fixture() -> None:
    expected = {f"{n}.{ext}" for n in FIXTURES for ext in FORMATS.values()}
    expected |= {f"{n}.redacted.json" for n in FIXTURES}
    expected |= {f"facts_{n}.{ext}" for n in FACT_FIXTURES for ext in [*FORMATS.values(), "redacted.json"]}
    present = {p.name for p in GOLDEN.iterdir() if p.is_file()}
    assert present <= expected, f"stale golden files: {sorted(present - expected)}"
