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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Account ids inside URLs, bucket and log group names, commands, and next to letters or underscores.
        ("https://123456789012.signin.aws.amazon.com/console", "https://ACCOUNT-1.signin.aws.amazon.com/console"),
        ("s3://ssm-logs-123456789012-us-east-1/sessions/", "s3://ssm-logs-ACCOUNT-1-us-east-1/sessions/"),
        ("arn:aws:s3:::ssm-logs-123456789012/prefix", "arn:aws:s3:::ssm-logs-ACCOUNT-1/prefix"),
        ("aws s3api get-bucket-encryption --bucket logs123456789012", "aws s3api get-bucket-encryption --bucket "
         "logsACCOUNT-1"),
        ("log group /aws/ssm/sessions_123456789012_x", "log group /aws/ssm/sessions_ACCOUNT-1_x"),
        ("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
         "arn:aws:kms:us-east-1:ACCOUNT-1:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        ("arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0",
         "arn:aws:ssm:us-east-1:ACCOUNT-1:managed-instance/mi-0123456789abcdef0"),
        # Addresses in CIDR form, IPv4 and IPv6, and mapped.
        ("vpc 10.20.0.0/16, subnet 10.20.1.0/24, v6 2600:1f18:abcd:1200::/56",
         "vpc IP-1/16, subnet IP-2/24, v6 IP-3/56"),
        ("from ::ffff:10.1.2.3", "from IP-2"),  # its IPv4 part is collected (IP-1) on its own too
        # The whole world stays: it identifies nothing.
        ("egress 0.0.0.0/0 and ::/0", "egress 0.0.0.0/0 and ::/0"),
        # Names from ARNs with paths, e-mail-like session names, SSO roles.
        ("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0a1b2c/jane.doe@example.com",
         "arn:aws:sts::ACCOUNT-1:assumed-role/ROLE-1/USER-2"),  # the caller "ops" is USER-1
        ("arn:aws:iam::123456789012:role/service-role/AppRole", "arn:aws:iam::ACCOUNT-1:role/ROLE-1"),
        # AWS-managed policies are not the account's.
        ("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
         "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
    ],
)
def test_edge_cases(text: str, expected: str) -> None:
    report = _one({"note": text}, text, commands=(f"echo {text}",),
                  caller=Caller("arn:aws:iam::123456789012:user/ops", "123456789012", "us-east-1"))
    f = redact_report(report).targets[0].findings[0]
    assert f.summary == expected
    assert f.evidence["note"] == expected
    assert f.remediation.commands == (f"echo {expected}",)


def test_account_ids_in_evidence_keys_and_numbers() -> None:
    evidence = {"123456789012": {"bucket": "ssm-logs-123456789012"}, "OwnerId": 123456789012,
                "grants": {"arn:aws:iam::210987654321:root": ["kms:Decrypt"]}}
    f = redact_report(_one(evidence)).targets[0].findings[0]
    dumped = json.dumps(f.evidence)
    assert not re.search(r"(?<!\d)\d{12}(?!\d)", dumped), dumped
    assert f.evidence == {"ACCOUNT-1": {"bucket": "ssm-logs-ACCOUNT-1"}, "OwnerId": "ACCOUNT-1",
                          "grants": {"arn:aws:iam::ACCOUNT-2:root": ["kms:Decrypt"]}}


@pytest.mark.parametrize("fmt", FORMATS)
def test_replayed_sandbox_facts_redact_in_every_format(fmt: str) -> None:
    """Facts gathered from sandbox nodes: every account id, address, user and host name they hold is gone."""
    from tests.test_golden import FACT_FIXTURES, FACTS, replay

    for name in FACT_FIXTURES:
        facts = json.loads((FACTS / f"{name}.json").read_text(encoding="utf-8"))
        secrets = _identifying_facts(facts)
        assert secrets["account"] and secrets["ip"] and secrets["host"] and secrets["user"], secrets
        report = replay(name)
        raw = plain(fmt, render(report, fmt))
        text = plain(fmt, render(redact_report(report), fmt))
        assert any(found(v, raw) for v in secrets["host"] | secrets["user"])
        assert not re.search(r"(?<!\d)\d{12}(?!\d)", re.sub(r"\b(?:m?i|key)-[0-9a-f-]+", "", text))
        for kind, values in secrets.items():
            leaked = [v for v in values if found(v, text)]
            assert not leaked, (name, kind, leaked)


def _identifying_facts(facts: dict[str, Any]) -> dict[str, set[str]]:
    """Account ids, addresses (with CIDRs), user and host names anywhere in a facts file."""
    out: dict[str, set[str]] = {"account": set(), "ip": set(), "host": set(), "user": set()}
    hosts = {"ComputerName", "PrivateDnsName", "PublicDnsName", "aws:ResourceTag/Name", "ssm:resourceTag/Name"}
    users = {"UserName", "aws:username", "user", "username"}

    def scan(text: str) -> None:
        out["account"].update(re.findall(r"(?<![0-9A-Za-z])\d{12}(?![0-9A-Za-z])", text))
        for quad in re.findall(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])", text):
            if quad not in ("0.0.0.0", "127.0.0.1", "169.254.169.254") and not quad.startswith(("1.", "2.", "3.")):
                out["ip"].add(quad)
        out["user"].update(re.findall(r"arn:aws:(?:iam|sts)::\d{12}:user/([\w+=,.@-]+)", text))

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            if value.get("Key") == "Name" and isinstance(value.get("Value"), str):
                out["host"].add(value["Value"])
            if "id" in value and "region" in value and value.get("name"):
                out["host"].add(value["name"])
            for k, v in value.items():
                scan(str(k))
                walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and value:
            if key in hosts:
                out["host"].add(value)
            if key in users:
                out["user"].add(value)
            scan(value)

    walk(facts)
    return out
