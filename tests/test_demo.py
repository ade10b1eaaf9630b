"""`ssm-doctor demo` as a user runs it: the whole pipeline against the built-in sandbox fleet, and what
its reports hold — every check for every node, the scenario each node was built for, and nothing
identifying left once redacted, in every format."""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checks import specs
from doctor.sandbox.fleet import ACCOUNT_ID, SCENARIOS
from tests import clikit

FORMATS = ("text", "json", "markdown", "html")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
ACCOUNT_LIKE = re.compile(r"(?<![0-9A-Za-z-])\d{12}(?![0-9A-Za-z])")


def demo_env() -> dict[str, str]:
    """No AWS configuration at all: the demo needs none."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", NO_COLOR="1")
    env.pop("SSM_DOCTOR_QUIET", None)
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[clikit.Result, dict[str, Any], Path]]:
    out = tmp_path_factory.mktemp("demo") / "demo.json"
    res = clikit.run(["demo", "--output", str(out)], demo_env(), timeout=300)
    yield res, json.loads(out.read_text(encoding="utf-8")), out


def test_demo_diagnoses_the_whole_fleet(demo: tuple[clikit.Result, dict[str, Any], Path]) -> None:
    res, report, _ = demo
    assert res.code == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert report["schema"] == "ssm-doctor/report/v1"
    ids = [s.id for s in specs()]
    assert report["summary"]["targets"] == len(report["targets"]) == len(SCENARIOS)
    for target in report["targets"]:
        assert [c["id"] for c in target["checks"]] == ids
        assert target["target"] in res.stdout
    assert re.search(r"AWS read calls for \d+ nodes; nothing was changed", res.stderr)


def test_each_scenario_gets_its_own_verdict(demo: tuple[clikit.Result, dict[str, Any], Path]) -> None:
    _, report, _ = demo
    by_name = {t["name"]: t for t in report["targets"]}
    for scenario in SCENARIOS:
        target = by_name[scenario.name]
        assert (target["verdict"], sorted(target["root_causes"])) == (
            scenario.expect_verdict, sorted(scenario.expect_root_causes)), scenario.name


def _identifying(report: dict[str, Any]) -> set[str]:
    """Values the facts hold that must not survive redaction: account ids, addresses, user names."""
    found: set[str] = {ACCOUNT_ID}
    text = json.dumps(report)
    found.update(m for m in IPV4.findall(text) if _is_address(m) and m not in ("0.0.0.0", "127.0.0.1"))
    found.update(ACCOUNT_LIKE.findall(text))
    caller = report["caller"]["arn"]
    found.add(caller.rsplit("/", 1)[-1])

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key.lower() in ("username", "computername", "ipaddress") and value:
            found.add(value)

    walk(report)
    return found


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return not text.startswith(("2.", "3.", "1."))  # agent and plugin versions look like addresses


@pytest.mark.parametrize("fmt", FORMATS)
def test_redacted_demo_reports_hold_nothing_identifying(demo: tuple[clikit.Result, dict[str, Any], Path],
                                                        fmt: str) -> None:
    _, report, path = demo
    secrets = _identifying(report)
    assert ACCOUNT_ID in secrets and any("." in s and _is_address(s) for s in secrets)
    res = clikit.run(["render", str(path), "--redact", "--format", fmt], demo_env())
    assert res.code == 0, res.stderr
    out = res.stdout
    assert not ACCOUNT_LIKE.findall(out), ACCOUNT_LIKE.findall(out)[:5]
    assert not [a for a in IPV4.findall(out) if _is_address(a) and a not in ("0.0.0.0", "127.0.0.1")]
    leaked = [s for s in secrets if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", out)]
    assert not leaked, leaked
    assert "ACCOUNT-1" in out


def test_demo_redact_flag(tmp_path: Path) -> None:
    out = tmp_path / "demo.md"
    res = clikit.run(["demo", "--redact", "--output", str(out)], demo_env(), timeout=300)
    assert res.code == 0, res.stderr
    written = out.read_text(encoding="utf-8")
    assert ACCOUNT_ID not in written and ACCOUNT_ID not in res.stdout
    assert written.startswith("#")  # Markdown, from the extension


def test_demo_format_json_writes_the_report_to_stdout() -> None:
    res = clikit.run(["demo", "--format", "json"], demo_env(), timeout=300)
    assert res.code == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["summary"]["targets"] == len(SCENARIOS)
    assert "READY" in res.stderr  # the human summary moved to stderr
