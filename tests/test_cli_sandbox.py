"""End to end: `ssm-doctor pwreset` as a subprocess against the sandbox over HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from doctor.sandbox.fleet import AMBIGUOUS_NAME, SCENARIOS
from tests.clikit import Result

READ_ONLY = re.compile(r"^[a-z0-9-]+:(Describe|Get|List|Simulate)[A-Za-z]*$")
CLI = Callable[..., Result]


def node(sandbox: Any, key: str) -> str:
    return str(sandbox.targets[key])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.key for s in SCENARIOS])
def test_scenario_verdict(cli: CLI, sandbox_http: Any, scenario: Any) -> None:
    res = cli("pwreset", node(sandbox_http, scenario.key), "--format", "json", "--region", scenario.region)
    target = res.target()
    assert target["verdict"] == scenario.expect_verdict, res.stdout
    assert tuple(target["root_causes"]) == scenario.expect_root_causes
    assert res.code == {"ready": 0, "blocked": 1, "incomplete": 3}[scenario.expect_verdict]
    ids = [c["id"] for c in target["checks"]]
    assert len(ids) == len(set(ids))


def test_diagnosis_makes_only_read_calls(cli: CLI, sandbox_http: Any) -> None:
    res = cli("pwreset", node(sandbox_http, "healthy-linux"), "--format", "json", "--user", "ec2-user")
    calls = res.json()["aws_calls"]
    assert calls, "the report counts AWS calls"
    assert all(READ_ONLY.match(op) for op in calls), calls


def test_nonexistent_instance_fails_ec2_instance_naming_region(cli: CLI) -> None:
    res = cli("pwreset", "i-0fffffffffffffff0", "--format", "json", "--region", "us-east-1")
    assert res.code == 1
    check = res.check("ec2.instance")
    assert check["status"] == "fail" and "us-east-1" in check["summary"]
    assert res.target()["root_causes"] == ["ec2.instance"]


def test_no_plugin_on_path(cli: CLI, sandbox_http: Any) -> None:
    res = cli("pwreset", node(sandbox_http, "healthy-linux"), "--format", "json", plugin=False)
    assert res.code == 1
    assert res.target()["root_causes"] == ["local.plugin"]
    assert res.check("local.plugin")["problem"] == "plugin-not-installed"


def test_bad_user(cli: CLI, sandbox_http: Any) -> None:
    res = cli("pwreset", node(sandbox_http, "healthy-linux"), "--user", "bad user!", "--format", "json")
    assert res.code == 1
    assert res.target()["root_causes"] == ["input.username"]


def test_name_tag_resolves(cli: CLI, sandbox_http: Any) -> None:
    res = cli("pwreset", "web-01", "--format", "json")
    assert res.code == 0
    assert res.target()["target"] == node(sandbox_http, "healthy-linux")


def test_computer_name_resolves_hybrid(cli: CLI, sandbox_http: Any) -> None:
    res = cli("pwreset", "onprem-fs01", "--format", "json")
    assert res.target()["target"] == node(sandbox_http, "hybrid-standard")


def test_ambiguous_name_exits_2_listing_matches(cli: CLI) -> None:
    res = cli("pwreset", AMBIGUOUS_NAME, "--format", "json")
    assert res.code == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "matches 2 nodes in us-east-1" in lines[0]
    assert len(re.findall(r"i-[0-9a-f]{17}", lines[0])) == 2


def test_unknown_name_exits_2(cli: CLI) -> None:
    res = cli("pwreset", "no-such-node")
    assert res.code == 2 and "no instance or managed node named 'no-such-node' in us-east-1" in res.stderr


@pytest.mark.parametrize("bad", ["i-123", "mi-12345", "i-0123456789ABCDEF0", "i-0123456789abcdef0z"])
def test_malformed_id_exits_2_with_one_line(cli: CLI, bad: str) -> None:
    res = cli("pwreset", bad)
    assert res.code == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "malformed" in res.stderr
    assert "Traceback" not in res.stderr


def test_describe_instance_information_denied_is_unknown(cli: CLI, sandbox_http: Any, faults: Any) -> None:
    faults.configure(deny=["ssm:DescribeInstanceInformation"])
    res = cli("pwreset", node(sandbox_http, "healthy-linux"), "--format", "json")
    assert res.code == 3
    target = res.target()
    assert target["verdict"] == "incomplete"
    check = res.check("node.registered")
    assert check["status"] == "unknown"
    assert check["missing"] == ["ssm:DescribeInstanceInformation"]
    assert "ssm:DescribeInstanceInformation" in check["summary"]
    assert target["root_causes"] == ["node.registered"]


def test_throttling_does_not_change_the_verdict(cli: CLI, sandbox_http: Any, faults: Any) -> None:
    faults.configure(throttle_rate=0.3, seed=7)
    for key in ("healthy-linux", "old-agent"):
        res = cli("pwreset", node(sandbox_http, key), "--format", "json")
        scenario = next(s for s in SCENARIOS if s.key == key)
        assert res.target()["verdict"] == scenario.expect_verdict, res.stdout
        assert tuple(res.target()["root_causes"]) == scenario.expect_root_causes


def test_missing_credentials_fail_local_credentials(cli: CLI, sandbox_http: Any) -> None:
    res = cli("pwreset", node(sandbox_http, "healthy-linux"), "--format", "json",
              env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert res.code == 1
    assert res.target()["root_causes"] == ["local.credentials"]
    assert "Traceback" not in res.stderr


def test_text_output_leads_with_verdict_and_fix(cli: CLI, sandbox_http: Any) -> None:
    res = cli("pwreset", node(sandbox_http, "old-agent"))
    assert res.code == 1
    assert "BLOCKED" in res.stdout.splitlines()[2]
    assert "Root causes" in res.stdout and "aws ssm send-command --document-name AWS-UpdateSSMAgent" in res.stdout


def test_only_makes_only_the_calls_it_needs(cli: CLI, sandbox_http: Any) -> None:
    res = cli("pwreset", node(sandbox_http, "healthy-linux"), "--only", "agent.version", "--format", "json")
    assert res.code == 0
    assert set(res.json()["aws_calls"]) <= {"sts:GetCallerIdentity", "ec2:DescribeInstances",
                                            "ssm:DescribeInstanceInformation"}
    assert res.status("node.connectable") == "skip"


def test_fleet_mode_bad_target_does_not_stop_others(cli: CLI, sandbox_http: Any) -> None:
    res = cli("pwreset", node(sandbox_http, "healthy-linux"), "i-123", node(sandbox_http, "old-agent"),
              "--format", "json")
    verdicts = {t["target"]: t["verdict"] for t in res.json()["targets"]}
    assert verdicts[node(sandbox_http, "healthy-linux")] == "ready"
    assert verdicts[node(sandbox_http, "old-agent")] == "blocked"
    assert verdicts["i-123"] == "invalid"
    assert res.code == 2


def test_filter_by_tag(cli: CLI, sandbox_http: Any) -> None:
    res = cli("pwreset", "--filter", "tag:Name=web-01", "--format", "json")
    assert [t["target"] for t in res.json()["targets"]] == [node(sandbox_http, "healthy-linux")]


def test_checks_command_formats(cli: CLI) -> None:
    for fmt in ("text", "json", "dot", "mermaid"):
        res = cli("checks", "--format", fmt)
        assert res.code == 0 and "agent.version" in res.stdout


def test_help_does_not_import_heavy_modules() -> None:
    import subprocess
    import sys

    code = ("import sys\nfrom doctor.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('boto3', 'botocore', 'networkx', 'jinja2') if m in sys.modules]\n"
            "print('HEAVY=' + ','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="


def test_save_facts_then_replay_gives_the_same_report(cli: CLI, sandbox_http: Any, tmp_path: Any) -> None:
    facts = tmp_path / "facts.json"
    live = cli("pwreset", node(sandbox_http, "old-agent"), node(sandbox_http, "hybrid-standard"),
               "--user", "ec2-user", "--format", "json", "--save-facts", str(facts))
    # replay with no AWS at all: a dead endpoint and no credentials
    replay = cli("pwreset", "--from-facts", str(facts), "--format", "json",
                 env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert replay.code == live.code == 1

    def strip(data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if k not in ("generated_at", "aws_calls")}

    assert strip(replay.json()) == strip(live.json())


def test_render_saved_report(cli: CLI, sandbox_http: Any, tmp_path: Any) -> None:
    report = tmp_path / "r.json"
    cli("pwreset", node(sandbox_http, "old-agent"), "-o", str(report))
    for fmt, marker in (("markdown", "agent.version"), ("html", "<!DOCTYPE html>"), ("text", "BLOCKED")):
        res = cli("render", str(report), "--format", fmt)
        assert res.code == 0 and marker in res.stdout


def test_redacted_json_has_no_account_ip_or_user(cli: CLI, sandbox_http: Any) -> None:
    import boto3

    instance_id = node(sandbox_http, "healthy-linux")
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=sandbox_http.endpoint_url)
    inst = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    ips = [ip for ip in (inst.get("PrivateIpAddress"), inst.get("PublicIpAddress")) if ip]
    plain = cli("pwreset", instance_id, "--user", "ec2-user", "--format", "json")
    assert "123456789012" in plain.stdout and "ec2-user" in plain.stdout
    res = cli("pwreset", instance_id, "--user", "ec2-user", "--format", "json", "--redact")
    assert not re.search(r"\b\d{12}\b", res.stdout)
    assert "ec2-user" not in res.stdout
    for ip in ips:
        assert ip not in res.stdout
