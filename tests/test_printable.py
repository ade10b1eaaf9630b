"""Control and direction-changing characters from a report's data show as visible escapes in the human
formats (a Name tag may hold any character), and JSON keeps the data as it is."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from doctor.model import Report
from reports import render
from reports.printable import printable, printable_report
from reports.text import render_fleet_summary
from tests.fixtures.reports import FIXTURES

CLEAR_SCREEN = "\x1b[2J"
TITLE = "\x1b]0;owned\x07"
CLIPBOARD = "\x1b]52;c;ZWNobyBvd25lZA==\x07"
RLO = "\u202e"
NAME = f"web{CLEAR_SCREEN}{TITLE}{CLIPBOARD}\r{RLO}10-bew"
RAW = ("\x1b", "\x07", "\r", RLO)


def hostile() -> Report:
    report = FIXTURES["blocked_ec2"]()
    target = report.targets[0]
    findings = tuple(replace(f, summary=f.summary + " " + CLEAR_SCREEN, evidence={**f.evidence, "tag": NAME})
                     for f in target.findings)
    return replace(report, targets=(replace(target, name=NAME, findings=findings),))


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_human_formats_show_control_characters_as_escapes(fmt: str) -> None:
    out = render(hostile(), fmt)
    for char in RAW:
        assert char not in out, (fmt, repr(char))
    assert "x1b" in out and "u202e" in out  # written out, for a reader to see


def test_text_with_colour_still_has_only_its_own_escape_sequences() -> None:
    out = render(hostile(), "text", color=True)
    assert "\x1b[2J" not in out and "\x1b]" not in out and RLO not in out
    assert "\x1b[" in out  # rich's own colours


def test_fleet_summary_is_printable() -> None:
    report = hostile()
    out = render_fleet_summary(report, titles={report.targets[0].target: "title " + TITLE})
    for char in RAW:
        assert char not in out


def test_json_keeps_the_data() -> None:
    data = json.loads(render(hostile(), "json"))
    assert data["targets"][0]["name"] == NAME


def test_printable() -> None:
    assert printable("plain text\twith tab\nand newline") == "plain text\twith tab\nand newline"
    assert printable("a\x00b\x7fc\x9bd\u2066e") == "a\\x00b\\x7fc\\x9bd\\u2066e"
    report = FIXTURES["ready"]()
    assert printable_report(report) is report  # nothing to change: the same object
