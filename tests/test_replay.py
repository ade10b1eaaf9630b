"""Saved facts replay to the same report: the whole sandbox fleet in-process, and one node through the CLI
(``--save-facts`` then ``--from-facts`` with no AWS at all), then ``render`` of the saved JSON report."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests import clikit

# Run metadata that a replay cannot repeat: the AWS calls the live run made (the replay makes none).
RUN_ONLY = ("aws_calls",)


def _strip(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in RUN_ONLY}


def test_whole_sandbox_fleet_replays_identically() -> None:
    from doctor.aws import Aws
    from doctor.demo import standin_plugin
    from doctor.facts import FactStore, Options, Target
    from doctor.runner import diagnose, make_plan
    from doctor.sandbox.fleet import SCENARIOS
    from doctor.sandbox.server import in_process

    with in_process(seed_fleet=True) as sandbox, standin_plugin():
        targets = [Target(sandbox.targets[s.key], s.region, s.name) for s in SCENARIOS]
        store = FactStore(Aws(region=sandbox.region), Options(user="Administrator"))
        live = diagnose(make_plan(), store, targets, max_workers=4)
        saved = json.loads(json.dumps(store.to_json(targets, {"options": {"user": "Administrator"}})))
    replay_store, replay_targets = FactStore.from_json(saved, Options(user=saved["options"]["user"]))
    replayed = diagnose(make_plan(), replay_store, replay_targets, max_workers=1)
    assert live.aws_calls and not replayed.aws_calls
    assert replayed.generated_at == live.generated_at  # the saved clock, not the replay's
    assert _strip(replayed.to_json()) == _strip(live.to_json())
    assert [t.verdict.value for t in replayed.targets] == [s.expect_verdict for s in SCENARIOS]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory, sandbox_http: Any, plugin_dir: Path) -> tuple[Path, Path, Path]:
    """One live CLI run against the HTTP sandbox: its JSON report, its facts, and its HTML."""
    tmp = tmp_path_factory.mktemp("replay")
    env = clikit.base_env(sandbox_http.endpoint_url, plugin_dir)
    ids = [sandbox_http.targets[k] for k in ("not-registered", "hybrid-standard", "kms-key-disabled")]
    report, facts, html = tmp / "live.json", tmp / "facts.json", tmp / "live.html"
    res = clikit.run(["pwreset", *ids, "--user", "Administrator", "--format", "json",
                      "--output", str(report), "--save-facts", str(facts)], env)
    assert res.code == 1, res.stderr
    res = clikit.run(["render", str(report), "--output", str(html)], env)
    assert res.code == 0, res.stderr
    return report, facts, html


def _offline() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SSM_SANDBOX"))}
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
               AWS_ENDPOINT_URL="http://127.0.0.1:9", NO_COLOR="1", PATH="/usr/bin:/bin")
    return env


def test_cli_replay_without_aws_gives_the_same_report(saved: tuple[Path, Path, Path]) -> None:
    report, facts, _ = saved
    res = clikit.run(["pwreset", "--from-facts", str(facts), "--format", "json"], _offline())
    assert res.code == 1, res.stderr
    live = json.loads(report.read_text(encoding="utf-8"))
    assert live["aws_calls"]
    assert res.json() == live  # the calls that gathered the facts and the saved clock come back too


def test_cli_replay_keeps_targets_that_did_not_resolve(tmp_path: Path, sandbox_http: Any, plugin_dir: Path) -> None:
    env = clikit.base_env(sandbox_http.endpoint_url, plugin_dir)
    facts, report = tmp_path / "facts.json", tmp_path / "live.json"
    node = sandbox_http.targets["stopped"]
    res = clikit.run(["pwreset", node, "no-such-node-anywhere", "--format", "json", "--output", str(report),
                      "--save-facts", str(facts)], env)
    assert res.code == 2, res.stderr
    live = json.loads(report.read_text(encoding="utf-8"))
    assert [t["target"] for t in live["targets"]] == [node, "no-such-node-anywhere"]
    replay = clikit.run(["pwreset", "--from-facts", str(facts), "--format", "json"], _offline())
    assert replay.code == 2, replay.stderr
    assert replay.json() == live


@pytest.mark.parametrize(("fmt", "marker"), [("html", "<!DOCTYPE html>"), ("markdown", "# ssm-doctor"),
                                             ("text", "BLOCKED"), ("json", '"schema": "ssm-doctor/report/v1"')])
def test_render_saved_report(saved: tuple[Path, Path, Path], fmt: str, marker: str) -> None:
    report, _, html = saved
    res = clikit.run(["render", str(report), "--format", fmt], _offline())
    assert res.code == 0, res.stderr
    assert marker in res.stdout
    live = json.loads(report.read_text(encoding="utf-8"))
    for target in live["targets"]:
        assert target["target"] in res.stdout
    if fmt == "json":
        assert res.json() == live
    if fmt == "html":
        assert res.stdout == html.read_text(encoding="utf-8")  # the extension chose HTML, the same page


def test_replay_with_redact_masks_what_the_facts_hold(saved: tuple[Path, Path, Path]) -> None:
    _, facts, _ = saved
    res = clikit.run(["pwreset", "--from-facts", str(facts), "--redact", "--format", "markdown"], _offline())
    assert res.code == 1, res.stderr
    assert "123456789012" not in res.stdout + res.stderr and "ACCOUNT-1" in res.stdout


def test_demo_redact_names_no_account_or_node_in_its_progress(tmp_path: Path) -> None:
    from doctor.sandbox.fleet import ACCOUNT_ID, SCENARIOS

    env = _offline()
    del env["AWS_ENDPOINT_URL"]
    env.pop("SSM_DOCTOR_QUIET", None)
    out = tmp_path / "demo.html"
    res = clikit.run(["demo", "--redact", "--output", str(out), "-v"], env, timeout=300)
    assert res.code == 0, res.stderr
    assert "checking i-" in res.stderr  # progress was shown
    everything = res.stdout + res.stderr + out.read_text(encoding="utf-8")
    assert ACCOUNT_ID not in everything
    leaked = [s.name for s in SCENARIOS if f"({s.name})" in everything or f">{s.name}<" in everything]
    assert not leaked
