"""Redaction: nothing that identifies an account, address, user or host survives in any format,
and the same value always gets the same mask."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from doctor.model import Caller, Finding, Fix, Report, Status, TargetReport
from reports import render
from reports.redact import redact_report
from tests.fixtures.reports import FIXTURES, IMG, SCRIPT

FORMATS = ("text", "json", "markdown", "html")

# Every identifying value the fixtures hold.
ACCOUNTS = ("123456789012", "210987654321")
ADDRESSES = ("10.0.1.23", "54.210.33.7", "172.31.40.5", "10.20.3.4", "192.168.10.20", "192.168.10.21")
USERS = ("alice", "bob", "carol", "jdoe", "Administrator", "svc_backup")
ROLES = ("OpsAdmin", "ReadOnly", "WebServerSsmRole", "BastionSsmRole", "AppSsmRole", "SSMServiceRole")
HOSTS = ("web-01", "bastion", "app-03", "SRV-FILE01", "srv-web02", "srv-web02.corp.example.com", "db-legacy",
         "ip-10-0-1-23.ec2.internal", "ip-10-20-3-4.eu-central-1.compute.internal", "EC2AMAZ-7Q1B2C3", IMG, SCRIPT)


def plain(fmt: str, output: str) -> str:
    """The text a reader sees: entities decoded, Markdown escapes dropped, the CSP hash left out."""
    if fmt == "html":
        output = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", output)
        return html.unescape(output)
    if fmt == "markdown":
        return re.sub(r"\\([\\`*_\[\]<>|~&#+=.)-])", r"\1", output)
    return output


def found(value: str, text: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", text, re.IGNORECASE) is not None


def versions(report: Report) -> set[str]:
    """Dotted numbers the fixtures use as software versions (they look like IPv4 but are not addresses)."""
    out: set[str] = set()

    def walk(value: Any, versioned: bool) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, versioned or "version" in k.lower() or k == "required")
        elif isinstance(value, list):
            for v in value:
                walk(v, versioned)
        elif isinstance(value, str) and versioned:
            out.add(value)

    walk(report.to_json(), False)
    return out


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_nothing_identifying_survives(name: str, fmt: str) -> None:
    report = FIXTURES[name]()
    raw = plain(fmt, render(report, fmt))
    text = plain(fmt, render(redact_report(report), fmt))

    assert not re.search(r"(?<!\d)\d{12}(?!\d)", text)
    allowed = versions(report) | {"0.0.0.0"}
    quads = set(re.findall(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d])", text))
    addresses = {q for q in quads if all(int(part) <= 255 for part in q.split("."))}
    assert addresses <= allowed, addresses - allowed
    for value in ACCOUNTS + ADDRESSES + USERS + ROLES + HOSTS:
        assert not found(value, text), f"{value!r} survived redaction in {fmt}"
    # The fixture really held some of these, so the test is not vacuous.
    assert any(found(v, raw) for v in USERS) and any(found(v, raw) for v in HOSTS)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_structure_and_ids_are_kept(name: str) -> None:
    report = FIXTURES[name]()
    redacted = redact_report(report)
    assert [t.verdict for t in redacted.targets] == [t.verdict for t in report.targets]
    assert [t.root_causes for t in redacted.targets] == [t.root_causes for t in report.targets]
    for before, after in zip(report.targets, redacted.targets, strict=True):
        if before.target.startswith(("i-", "mi-")):
            assert after.target == before.target
        for f, g in zip(before.findings, after.findings, strict=True):
            assert (g.id, g.title, g.problem, g.doc_url, g.requires, g.blocked_by, g.status) == (
                f.id, f.title, f.problem, f.doc_url, f.requires, f.blocked_by, f.status)
            assert list(g.evidence) == list(f.evidence)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_redaction_is_idempotent(name: str) -> None:
    once = redact_report(FIXTURES[name]())
    assert redact_report(once) == once


def test_same_value_same_mask() -> None:
    report = redact_report(FIXTURES["blocked_ec2"]())
    target = report.targets[0]
    credentials = target.finding("local.credentials")
    assert report.caller.account == "ACCOUNT-1"
    assert credentials.evidence["account"] == report.caller.account
    assert credentials.evidence["arn"] == report.caller.arn == "arn:aws:sts::ACCOUNT-1:assumed-role/ROLE-1/USER-1"
    registered = target.finding("node.registered").evidence
    instance = target.finding("ec2.instance").evidence
    assert registered["IPAddress"] == instance["private_ip"] == "IP-1"
    assert instance["public_ip"] == "IP-2"
    username = target.finding("input.username")
    assert username.summary == f"User name '{username.evidence['username']}' is valid"
    sessions = target.finding("sessions.recent-failures").evidence["recent_failures"]
    assert {s["Owner"] for s in sessions} == {report.caller.arn}
    assert all(s["SessionId"].startswith("USER-1-") for s in sessions)


def test_masks_are_consistent_across_a_fleet() -> None:
    report = redact_report(FIXTURES["hybrid_fleet"]())
    accounts = {json.dumps(t.to_json()).count("ACCOUNT-1") > 0 for t in report.targets if t.findings}
    assert accounts == {True}
    first, second, invalid = report.targets
    assert first.name != second.name
    assert invalid.target.startswith("HOST-") and invalid.target in invalid.error
    # The full computer name and the short name of the same host share a mask.
    assert second.finding("node.registered").evidence["ComputerName"] == second.name


def test_versions_instance_ids_and_open_cidr_stay() -> None:
    report = redact_report(FIXTURES["blocked_ec2"]())
    target = report.targets[0]
    assert "2.3.50.0" in target.finding("agent.version").summary
    assert target.finding("agent.version").evidence["agent_version"] == "2.3.50.0"
    assert target.finding("network.path").evidence["egress"] == "tcp/443 to 0.0.0.0/0"
    assert "i-0123456789abcdef0" in target.finding("agent.version").remediation.commands[0]


def _one(evidence: dict[str, Any], summary: str = "", commands: tuple[str, ...] = (), name: str = "",
         caller: Caller = Caller()) -> Report:
    f = Finding("node.registered", "t", Status.PASS, summary, "session-manager-error", "https://docs.aws.amazon.com/x",
                "node", evidence, Fix((), commands))
    return Report((TargetReport("i-0123456789abcdef0", (f,), name=name, region="us-east-1"),), caller)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bucket ssm-logs-123456789012 in 123456789012", "bucket ssm-logs-ACCOUNT-1 in ACCOUNT-1"),
        ("from 10.1.2.3 and 10.1.2.3/32", "from IP-1 and IP-1/32"),
        ("node at fe80::1ff:fe23:4567:890a, then 2001:db8::7", "node at IP-1, then IP-2"),
        ("ping ip-10-1-2-3.us-west-2.compute.internal or ip-10-1-2-3", "ping HOST-1 or HOST-1"),
        ("arn:aws:iam::123456789012:user/division/dave wrote", "arn:aws:iam::ACCOUNT-1:user/USER-1 wrote"),
        ("dave and division/dave", "USER-1 and USER-1"),
        ("SSM Agent 2.3.50.0 on 10.0.0.1 at 10:00:00", "SSM Agent 2.3.50.0 on IP-1 at 10:00:00"),
        ("IMDS 169.254.169.254 from 127.0.0.1", "IMDS 169.254.169.254 from 127.0.0.1"),
        ("i-0123456789abcdef0 and mi-0123456789abcdef0 stay", "i-0123456789abcdef0 and mi-0123456789abcdef0 stay"),
    ],
)
def test_patterns_in_free_text(text: str, expected: str) -> None:
    redacted = redact_report(_one({"note": text, "arn": "arn:aws:iam::123456789012:user/division/dave"}, text))
    assert redacted.targets[0].findings[0].summary == expected


def test_short_user_names_are_masked_where_they_stand_alone() -> None:
    report = _one({"username": "ab"}, "User name 'ab' is valid; a table")
    f = redact_report(report).targets[0].findings[0]
    assert f.evidence["username"] == "USER-1"
    assert f.summary == "User name 'USER-1' is valid; a table"


def test_host_keys_numbers_and_commands() -> None:
    evidence = {"ComputerName": "WS-PAYROLL-7", "hosts": [{"PrivateIpAddress": "10.9.8.7"}], "account": 210987654321}
    report = _one(evidence, "WS-PAYROLL-7 answered from 10.9.8.7", commands=("ssh admin@ws-payroll-7 -p 22",),
                  name="payroll")
    redacted = redact_report(report).targets[0]
    f = redacted.findings[0]
    assert f.evidence == {"ComputerName": "HOST-2", "hosts": [{"PrivateIpAddress": "IP-1"}], "account": "ACCOUNT-1"}
    assert f.summary == "HOST-2 answered from IP-1"
    assert f.remediation.commands == ("ssh admin@HOST-2 -p 22",)
    assert redacted.name == "HOST-1"


@pytest.mark.parametrize(
    "path",
    ["/home/jdoe/.local/bin/session-manager-plugin", "/Users/jdoe/bin/session-manager-plugin",
     "C:\\Users\\jdoe\\AppData\\Local\\session-manager-plugin.exe"],
)
def test_home_directory_user_names_are_masked(path: str) -> None:
    report = _one({"path": path}, f"session-manager-plugin found at {path}")
    f = redact_report(report).targets[0].findings[0]
    assert not found("jdoe", f.summary) and not found("jdoe", json.dumps(f.evidence))
    assert "USER-1" in f.evidence["path"] and "session-manager-plugin" in f.summary


def test_values_used_as_evidence_keys_are_masked() -> None:
    role = "arn:aws:iam::123456789012:role/WebServerSsmRole"
    report = _one({"principals_named": {role: ["kms:Decrypt"]}}, f"the key policy names {role}")
    f = redact_report(report).targets[0].findings[0]
    [key] = f.evidence["principals_named"]
    assert "123456789012" not in key and "WebServerSsmRole" not in key
    assert key in f.summary  # masked the same way as in the text
