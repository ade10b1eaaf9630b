"""Foundation checks evaluated from fact fixtures (no AWS): named, table-driven cases."""

from __future__ import annotations

from typing import Any

import pytest

from doctor.engine import evaluate
from doctor.facts import Target
from doctor.model import Status, TargetReport
from doctor.runner import make_plan
from tests import factkit as fk


def diagnose(facts: dict[str, Any], target: Target | None = None, user: str | None = None) -> TargetReport:
    t = target or fk.target()
    findings = evaluate(make_plan(), fk.store(facts, t, user=user), t)
    return TargetReport(t.id, findings)


def with_(**changes: Any) -> dict[str, Any]:
    facts = fk.healthy()
    facts.update(changes)
    return facts


def info(**over: Any) -> dict[str, Any]:
    return fk.instance_info(**over)


CASES: list[tuple[str, dict[str, Any], str | None, str, Status]] = [
    # (name, facts, user, check id, expected status)
    ("healthy-credentials", fk.healthy(), None, "local.credentials", Status.PASS),
    ("no-credentials", with_(credentials=fk.credentials(ok=False, error_code="NoCredentials", message="none")),
     None, "local.credentials", Status.FAIL),
    ("expired-token", with_(credentials=fk.credentials(ok=False, error_code="ExpiredToken", message="expired")),
     None, "local.credentials", Status.FAIL),
    ("sts-unreachable", with_(credentials=fk.credentials(ok=False, error_code="EndpointUnreachable", message="x")),
     None, "local.credentials", Status.UNKNOWN),
    ("plugin-current", fk.healthy(), None, "local.plugin", Status.PASS),
    ("plugin-missing", with_(plugin={"path": None, "searched": ["PATH"], "platform": "linux"}), None,
     "local.plugin", Status.FAIL),
    ("plugin-too-old", with_(plugin=fk.plugin("1.1.0.0")), None, "local.plugin", Status.FAIL),
    ("plugin-no-env-var", with_(plugin=fk.plugin("1.2.497.0")), None, "local.plugin", Status.WARN),
    ("plugin-garbage-version", with_(plugin=fk.plugin(None, output="oops")), None, "local.plugin", Status.FAIL),
    ("plugin-crashes", with_(plugin=fk.plugin(runs=False, error="--version exited with code 1")), None,
     "local.plugin", Status.FAIL),
    ("plugin-off-path", with_(plugin=fk.plugin(on_path=False)), None, "local.plugin", Status.WARN),
    ("username-absent-is-na", fk.healthy(), None, "input.username", Status.SKIP),
    ("username-ok", fk.healthy(), "ec2-user", "input.username", Status.PASS),
    ("username-with-space", fk.healthy(), "bad user", "input.username", Status.FAIL),
    ("username-domain-prefix", fk.healthy(), "CORP\\alice", "input.username", Status.FAIL),
    ("username-too-long", fk.healthy(), "a" * 257, "input.username", Status.FAIL),
    ("username-long-on-windows", with_(instance_info=info(PlatformType="Windows")), "a" * 21, "input.username",
     Status.WARN),
    ("instance-running", fk.healthy(), None, "ec2.instance", Status.PASS),
    ("instance-missing", with_(ec2_instance=None), None, "ec2.instance", Status.FAIL),
    ("instance-stopped", with_(ec2_instance=fk.ec2_instance("stopped")), None, "ec2.instance", Status.FAIL),
    ("registered", fk.healthy(), None, "node.registered", Status.PASS),
    ("not-registered", with_(instance_info=None), None, "node.registered", Status.FAIL),
    ("online", fk.healthy(), None, "node.online", Status.PASS),
    ("connection-lost", with_(instance_info=info(PingStatus="ConnectionLost",
                                                 LastPingDateTime="2026-11-30T10:00:00Z")),
     None, "node.online", Status.FAIL),
    ("online-but-stale", with_(instance_info=info(LastPingDateTime="2026-12-03T08:00:00Z")), None, "node.online",
     Status.WARN),
    ("platform-linux", fk.healthy(), None, "node.platform", Status.PASS),
    ("platform-unknown", with_(instance_info=info(PlatformType="Solaris")), None, "node.platform", Status.FAIL),
    ("agent-new", fk.healthy(), None, "agent.version", Status.PASS),
    ("agent-exact-minimum", with_(instance_info=info(AgentVersion="2.3.668.0")), None, "agent.version", Status.PASS),
    ("agent-just-below", with_(instance_info=info(AgentVersion="2.3.667.0")), None, "agent.version", Status.FAIL),
    ("agent-2.3.50", with_(instance_info=info(AgentVersion="2.3.50.0")), None, "agent.version", Status.FAIL),
    ("agent-unreadable", with_(instance_info=info(AgentVersion="")), None, "agent.version", Status.FAIL),
    ("connectable", fk.healthy(), None, "node.connectable", Status.PASS),
    ("not-connectable", with_(connection_status="notconnected"), None, "node.connectable", Status.FAIL),
    ("tier-na-on-ec2", fk.healthy(), None, "hybrid.tier", Status.SKIP),
    ("no-failed-sessions", fk.healthy(), None, "sessions.recent-failures", Status.PASS),
    ("failed-sessions", with_(recent_sessions=[{"SessionId": "alice-0a", "Status": "Failed"}]), None,
     "sessions.recent-failures", Status.WARN),
    ("describe-denied", with_(instance_info=fk.denied("ssm:DescribeInstanceInformation")), None,
     "node.registered", Status.UNKNOWN),
]


@pytest.mark.parametrize(("name", "facts", "user", "check_id", "expected"), CASES, ids=[c[0] for c in CASES])
def test_check_case(name: str, facts: dict[str, Any], user: str | None, check_id: str, expected: Status) -> None:
    report = diagnose(facts, user=user)
    finding = report.finding(check_id)
    assert finding.status is expected, finding.summary
    if expected in (Status.FAIL, Status.WARN):
        assert finding.remediation, f"{check_id} must say how to fix it"


def hybrid_facts(tier: str) -> dict[str, Any]:
    facts = fk.healthy(fk.MI_ID)
    facts["ec2_instance"] = None
    facts["activation_tier"] = {"SettingValue": tier, "Status": "Default" if tier == "standard" else "Customized"}
    return facts


def test_hybrid_on_standard_tier_is_blocked_by_tier() -> None:
    report = diagnose(hybrid_facts("standard"), fk.target(fk.MI_ID))
    assert report.root_causes == ("hybrid.tier",)
    tier = report.finding("hybrid.tier")
    assert "update-service-setting" in tier.remediation.commands[0]
    assert f"arn:aws:ssm:us-east-1:{fk.ACCOUNT}:servicesetting/ssm/managed-instance/activation-tier" in \
        tier.remediation.commands[0]
    # ec2.instance does not apply to mi- nodes and does not block node.registered
    assert report.finding("ec2.instance").status is Status.SKIP
    assert report.finding("node.registered").status is Status.PASS


def test_hybrid_on_advanced_tier_passes() -> None:
    report = diagnose(hybrid_facts("advanced"), fk.target(fk.MI_ID))
    assert report.finding("hybrid.tier").status is Status.PASS


def test_stopped_instance_blocks_node_checks_with_one_root_cause() -> None:
    report = diagnose(with_(ec2_instance=fk.ec2_instance("stopped"), instance_info=None))
    assert report.root_causes == ("ec2.instance",)
    assert report.finding("node.online").blocked_by == ("ec2.instance",)
    assert "start-instances" in report.finding("ec2.instance").remediation.commands[0]


def test_missing_instance_names_the_region() -> None:
    report = diagnose(with_(ec2_instance=None, instance_info=None), fk.target(region="eu-west-3"))
    assert "eu-west-3" in report.finding("ec2.instance").summary


def test_old_agent_fix_command_uses_real_ids() -> None:
    report = diagnose(with_(instance_info=info(AgentVersion="2.3.50.0")))
    assert report.root_causes == ("agent.version",)
    cmd = report.finding("agent.version").remediation.commands[0]
    assert f"Values={fk.EC2_ID}" in cmd and "--region us-east-1" in cmd and "AWS-UpdateSSMAgent" in cmd
