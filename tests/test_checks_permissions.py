"""Identity and permission checks evaluated from fact fixtures (no AWS): named, table-driven cases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from doctor import permissions as perm
from doctor.engine import evaluate
from doctor.facts import Target
from doctor.model import Finding, Status, TargetReport
from doctor.runner import make_plan
from tests import factkit as fk

NODE_ARN = perm.node_arn(fk.EC2_ID, fk.REGION, fk.ACCOUNT)
DOC_ARN = perm.aws_document_arn("AWS-PasswordReset", fk.REGION)


def diagnose(facts: dict[str, Any], target: Target | None = None) -> TargetReport:
    t = target or fk.target()
    return TargetReport(t.id, evaluate(make_plan(), fk.store(facts, t), t))


def with_(node_id: str = fk.EC2_ID, **changes: Any) -> dict[str, Any]:
    facts = fk.healthy(node_id)
    facts.update(changes)
    return facts


def role(**over: Any) -> dict[str, Any]:
    return fk.node_role(**over)


def dhmc(role_exists: bool = True, trust: str = "ssm.amazonaws.com", tokens: str = "required",
         value: str = "service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole") -> dict[str, Any]:
    name = "AWSSystemsManagerDefaultEC2InstanceManagementRole"
    return fk.node_role(
        source="dhmc", role_name=name, profile=None, how="Default Host Management Configuration",
        dhmc={"SettingValue": value}, metadata_options={"HttpTokens": tokens, "HttpEndpoint": "enabled"},
        role=fk.iam_role(name, trust, Path="/service-role/") if role_exists else {"RoleName": name, "exists": False},
    )


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


OPERATOR = policy(allow(["ssm:*"]))
QUICKSTART = policy(
    allow("ssm:StartSession", [f"arn:aws:ec2:{fk.REGION}:{fk.ACCOUNT}:instance/*",
                               "arn:aws:ssm:*:*:document/AWS-PasswordReset"],
          Condition={"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}),
    allow("ssm:SendCommand", [f"arn:aws:ec2:{fk.REGION}:{fk.ACCOUNT}:instance/*"]),
    allow(["ssm:TerminateSession", "ssm:ResumeSession"], "arn:aws:ssm:*:*:session/${aws:username}-*"),
)
DEV_ONLY = policy(
    {**allow("ssm:StartSession", "arn:aws:ec2:*:*:instance/*"),
     "Condition": {"StringEquals": {"ssm:resourceTag/Env": "dev"}}},
    allow("ssm:StartSession", "arn:aws:ssm:*:*:document/AWS-PasswordReset"),
    allow(["ssm:SendCommand", "ssm:TerminateSession"]),
)


def local(*documents: dict[str, Any], tags: dict[str, str] | None = None,
          principal: dict[str, Any] | None = None) -> dict[str, Any]:
    """Caller facts decided by local evaluation (the simulation was denied)."""
    return fk.permission_facts(principal=principal, simulate=False, policies=list(documents), tags=tags)


def simulated(principal: dict[str, Any] | None = None, **decisions: str) -> dict[str, Any]:
    """Caller facts decided by simulation; keyword names use _ for : (ssm_StartSession)."""
    return fk.permission_facts(principal=principal, decisions={k.replace("_", ":", 1): v
                                                                for k, v in decisions.items()})


CASES: list[tuple[str, dict[str, Any], Target | None, str, Status]] = [
    # node.identity: EC2 with an instance profile
    ("profile-ok", fk.healthy(), None, "node.identity", Status.PASS),
    ("profile-deleted", with_(node_role=role(profile={"name": "Gone", "arn": "arn:x", "exists": False, "roles": []},
                                             role_name=None, role=None)), None, "node.identity", Status.FAIL),
    ("profile-without-role", with_(node_role=role(profile={"name": "Empty", "exists": True, "roles": []},
                                                  role_name=None, role=None)), None, "node.identity", Status.FAIL),
    ("profile-role-deleted", with_(node_role=role(role={"RoleName": fk.ROLE, "exists": False})), None,
     "node.identity", Status.FAIL),
    ("profile-role-not-trusting-ec2", with_(node_role=role(role=fk.iam_role(trust="lambda.amazonaws.com"))), None,
     "node.identity", Status.WARN),
    ("no-profile-no-dhmc", with_(node_role=role(source=None, profile=None, role_name=None, role=None,
                                                dhmc={"SettingValue": "$None"})), None, "node.identity", Status.FAIL),
    # node.identity: Default Host Management
    ("dhmc-ok", with_(node_role=dhmc()), None, "node.identity", Status.PASS),
    ("dhmc-plain-role-name", with_(node_role=dhmc(value="AWSSystemsManagerDefaultEC2InstanceManagementRole")), None,
     "node.identity", Status.PASS),
    ("dhmc-imdsv1", with_(node_role=dhmc(tokens="optional")), None, "node.identity", Status.FAIL),
    ("dhmc-old-agent", with_(node_role=dhmc(), instance_info=fk.instance_info(AgentVersion="3.2.500.0")), None,
     "node.identity", Status.FAIL),
    ("dhmc-role-missing", with_(node_role=dhmc(role_exists=False)), None, "node.identity", Status.FAIL),
    ("dhmc-role-trusts-ec2-only", with_(node_role=dhmc(trust="ec2.amazonaws.com")), None, "node.identity",
     Status.FAIL),
    ("dhmc-agent-unknown", with_(node_role=dhmc(), instance_info=None), None, "node.identity", Status.WARN),
    ("identity-unreadable", with_(node_role=fk.denied("iam:GetInstanceProfile")), None, "node.identity",
     Status.UNKNOWN),
    # node.identity: hybrid
    ("hybrid-role-ok", with_(fk.MI_ID, ec2_instance=None), fk.target(fk.MI_ID), "node.identity", Status.PASS),
    ("hybrid-role-missing", with_(fk.MI_ID, ec2_instance=None, node_role=fk.node_role(
        fk.MI_ID, role={"RoleName": "SSMServiceRole", "exists": False})), fk.target(fk.MI_ID), "node.identity",
     Status.FAIL),
    ("hybrid-role-trusts-ec2", with_(fk.MI_ID, ec2_instance=None, node_role=fk.node_role(
        fk.MI_ID, role=fk.iam_role("SSMServiceRole", "ec2.amazonaws.com"))), fk.target(fk.MI_ID), "node.identity",
     Status.FAIL),
    ("hybrid-not-registered", with_(fk.MI_ID, ec2_instance=None, node_role=fk.node_role(
        fk.MI_ID, registered=False, role_name=None, role=None)), fk.target(fk.MI_ID), "node.identity", Status.FAIL),
    # node.role-permissions
    ("role-allows-all", fk.healthy(), None, "node.role-permissions", Status.PASS),
    ("role-without-ssmmessages", with_(node_role_access=fk.role_access(decisions={
        a: "implicitDeny" for a in ("ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel")})), None,
     "node.role-permissions", Status.FAIL),
    ("role-without-ec2messages", with_(node_role_access=fk.role_access(decisions={
        "ec2messages:GetMessages": "implicitDeny"})), None, "node.role-permissions", Status.WARN),
    ("role-local-core", with_(node_role_access=fk.role_access(simulate=False, policies=[fk.CORE_POLICY])), None,
     "node.role-permissions", Status.PASS),
    ("role-local-no-messages", with_(node_role_access=fk.role_access(simulate=False, policies=[
        policy(allow("ssm:UpdateInstanceInformation"), allow("ec2messages:*"))])), None, "node.role-permissions",
     Status.FAIL),
    ("role-local-explicit-deny", with_(node_role_access=fk.role_access(simulate=False, policies=[
        fk.CORE_POLICY, policy({**deny("ssmmessages:*"), "Sid": "NoSessions"})])), None, "node.role-permissions",
     Status.FAIL),
    ("role-unknown-operator", with_(node_role_access=fk.role_access(simulate=False, policies=[policy(
        {**allow(["ssm:*", "ssmmessages:*"]), "Condition": {"StringMatchesRegex": {"aws:userid": ".*"}}})])), None,
     "node.role-permissions", Status.UNKNOWN),
    # caller.send-command
    ("send-command-allowed", fk.healthy(), None, "caller.send-command", Status.PASS),
    ("no-send-command", with_(**simulated(ssm_SendCommand="implicitDeny")), None, "caller.send-command",
     Status.FAIL),
    ("send-command-local-deny-node", with_(**local(OPERATOR, policy({**deny("ssm:SendCommand", NODE_ARN),
                                                                       "Sid": "NoCommandsHere"}))), None,
     "caller.send-command", Status.FAIL),
    ("send-command-not-with-update-agent", with_(**local(policy(allow("ssm:SendCommand", NODE_ARN)),
                                                         OPERATOR | {"Statement": []})), None,
     "caller.send-command", Status.WARN),
    ("send-command-quickstart", with_(**local(QUICKSTART)), None, "caller.send-command", Status.WARN),
    # caller.start-session
    ("start-session-allowed", fk.healthy(), None, "caller.start-session", Status.PASS),
    ("start-session-dev-only-on-prod", with_(**local(DEV_ONLY, tags={"Env": "prod"})), None, "caller.start-session",
     Status.FAIL),
    ("start-session-dev-only-on-dev", with_(**local(DEV_ONLY, tags={"Env": "dev"})), None, "caller.start-session",
     Status.PASS),
    ("start-session-deny-document", with_(**local(OPERATOR, policy(deny(
        "ssm:StartSession", "arn:aws:ssm:*:*:document/AWS-PasswordReset")))), None, "caller.start-session",
     Status.FAIL),
    ("start-session-quickstart-bool-if-exists", with_(**local(QUICKSTART)), None, "caller.start-session",
     Status.PASS),
    ("start-session-needs-access-check-flag", with_(**local(policy(
        {**allow("ssm:StartSession"), "Condition": {"Bool": {"ssm:SessionDocumentAccessCheck": "true"}}}))), None,
     "caller.start-session", Status.UNKNOWN),
    ("start-session-source-ip", with_(**local(policy(
        {**allow("ssm:*"), "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}))), None,
     "caller.start-session", Status.UNKNOWN),
    ("start-session-sim-document-denied", with_(**simulated(ssm_StartSession="explicitDeny")), None,
     "caller.start-session", Status.FAIL),
    # caller.terminate-session
    ("terminate-own-sessions", with_(**local(QUICKSTART)), None, "caller.terminate-session", Status.PASS),
    ("terminate-not-allowed", with_(**simulated(ssm_TerminateSession="implicitDeny")), None,
     "caller.terminate-session", Status.WARN),
    ("terminate-other-users-only", with_(**local(policy(allow("ssm:TerminateSession",
                                                              "arn:aws:ssm:*:*:session/bob-*")))), None,
     "caller.terminate-session", Status.WARN),
]


@pytest.mark.parametrize(("name", "facts", "target", "check_id", "expected"), CASES, ids=[c[0] for c in CASES])
def test_check_case(name: str, facts: dict[str, Any], target: Target | None, check_id: str, expected: Status) -> None:
    finding = diagnose(facts, target).finding(check_id)
    assert finding.status is expected, finding.summary
    if expected in (Status.FAIL, Status.WARN):
        assert finding.remediation, f"{check_id} must say how to fix it"
    if expected is Status.UNKNOWN:
        assert finding.summary.startswith(("Could not", "Cannot")), finding.summary


def finding(facts: dict[str, Any], check_id: str, target: Target | None = None) -> Finding:
    return diagnose(facts, target).finding(check_id)


# --------------------------------------------------------------------------- evidence and remediation


def test_denied_send_command_prints_the_smallest_policy_with_real_names() -> None:
    f = finding(with_(**simulated(ssm_SendCommand="implicitDeny")), "caller.send-command")
    assert f.problem == "no-sendcommand-authorization"
    command = f.remediation.commands[0]
    assert command.startswith("aws iam put-user-policy --user-name alice --policy-name ssm-doctor-send-command")
    document = json.loads(command.split("--policy-document '", 1)[1].rstrip("'"))
    statement = document["Statement"]
    assert statement == [{"Sid": "AllowSsmSendCommand", "Effect": "Allow", "Action": "ssm:SendCommand",
                          "Resource": [NODE_ARN, perm.aws_document_arn("AWS-UpdateSSMAgent", fk.REGION)]}]
    decision = f.evidence["decisions"][0]
    assert decision["decided_by"] == "iam:SimulatePrincipalPolicy" and decision["decision"] == "implicitDeny"
    assert "service control policies" in f.evidence["not_seen"]


def test_explicit_deny_names_the_statement_and_says_allow_cannot_override() -> None:
    facts = with_(**local(OPERATOR, policy({**deny("ssm:SendCommand", NODE_ARN), "Sid": "NoCommandsHere"})))
    f = finding(facts, "caller.send-command")
    decision = f.evidence["decisions"][0]
    assert decision["decided_by"].startswith("local evaluation")
    assert decision["deciding_statements"] == ['policy1 statement "NoCommandsHere"']
    assert any("cannot override an explicit Deny" in step for step in f.remediation.steps)
    assert not f.remediation.commands, "an Allow would not help"


def test_start_session_needs_both_node_and_document() -> None:
    f = finding(with_(**local(DEV_ONLY, tags={"Env": "prod"})), "caller.start-session")
    assert f.problem == "start-session-not-allowed"
    decisions = {d["resource"]: d["decision"] for d in f.evidence["decisions"]}
    assert decisions == {NODE_ARN: "implicitDeny", DOC_ARN: "allowed"}
    document = json.loads(f.remediation.commands[0].split("--policy-document '", 1)[1].rstrip("'"))
    assert document["Statement"][0]["Resource"] == NODE_ARN


def test_unknown_names_the_missing_permissions() -> None:
    facts = with_(**local(OPERATOR))
    for name in ("caller_node_access", "caller_document_access", "caller_session_access"):
        facts[name]["policies"]["unreadable"] = [fk.denied("iam:GetUserPolicy").to_json()]
    f = finding(facts, "caller.start-session")
    assert f.status is Status.UNKNOWN
    assert f.missing == ("iam:SimulatePrincipalPolicy", "iam:GetUserPolicy")
    assert "iam:GetUserPolicy" in f.summary


def test_unreadable_policies_still_show_an_explicit_deny() -> None:
    facts = with_(**local(OPERATOR, policy(deny("ssm:StartSession", "arn:aws:ssm:*:*:document/AWS-PasswordReset"))))
    facts["caller_document_access"]["policies"]["unreadable"] = [fk.denied("iam:GetGroupPolicy").to_json()]
    assert finding(facts, "caller.start-session").status is Status.FAIL


def test_nothing_readable_is_unknown_exit_incomplete() -> None:
    facts = fk.healthy()
    for name in ("caller_node_access", "caller_document_access", "caller_session_access"):
        record = facts[name]
        for req in record["requests"]:
            req["simulation"] = None
        record["simulation_unavailable"] = [fk.denied("iam:SimulatePrincipalPolicy").to_json()]
        record["policies_unavailable"] = fk.denied("iam:ListUserPolicies").to_json()
    report = diagnose(facts)
    for cid in ("caller.send-command", "caller.start-session", "caller.terminate-session"):
        f = report.finding(cid)
        assert f.status is Status.UNKNOWN
        assert f.missing == ("iam:SimulatePrincipalPolicy", "iam:ListUserPolicies")


def test_root_caller_is_warned() -> None:
    root = fk.caller_principal(kind="root", caller_arn=f"arn:aws:iam::{fk.ACCOUNT}:root", name="")
    report = diagnose(with_(**fk.permission_facts(principal=root)))
    for cid in ("caller.send-command", "caller.start-session", "caller.terminate-session"):
        f = report.finding(cid)
        assert f.status is Status.WARN and "root user" in f.summary


def test_federated_user_is_unknown_saying_why() -> None:
    who = fk.caller_principal(kind="federated-user", why="a federated user's permissions cannot be read",
                              caller_arn=f"arn:aws:sts::{fk.ACCOUNT}:federated-user/bob")
    f = finding(with_(**fk.permission_facts(principal=who)), "caller.start-session")
    assert f.status is Status.UNKNOWN and "federated user" in f.summary


def test_sso_role_fix_points_at_the_permission_set() -> None:
    who = fk.caller_principal(kind="assumed-role", name="AWSReservedSSO_Ops_0123456789abcdef", sso=True,
                              session="alice@example.com", role_name="AWSReservedSSO_Ops_0123456789abcdef",
                              caller_arn=f"arn:aws:sts::{fk.ACCOUNT}:assumed-role/AWSReservedSSO_Ops_0123456789abcdef/"
                                         "alice@example.com",
                              policies_key="role/AWSReservedSSO_Ops_0123456789abcdef")
    f = finding(with_(**fk.permission_facts(principal=who, decisions={"ssm:StartSession": "implicitDeny"})),
                "caller.start-session")
    assert f.status is Status.FAIL
    assert not f.remediation.commands
    assert any("permission set" in s for s in f.remediation.steps)


def test_role_caller_terminate_fix_uses_the_session_id_tag() -> None:
    who = fk.caller_principal(kind="assumed-role", name="Ops", session="alice", role_name="Ops",
                              caller_arn=f"arn:aws:sts::{fk.ACCOUNT}:assumed-role/Ops/alice", policies_key="role/Ops")
    f = finding(with_(**fk.permission_facts(principal=who, decisions={"ssm:TerminateSession": "implicitDeny"})),
                "caller.terminate-session")
    assert f.status is Status.WARN
    command = f.remediation.commands[0]
    assert command.startswith("aws iam put-role-policy --role-name Ops ")
    assert "ssm:resourceTag/aws:ssmmessages:session-id" in command and "${aws:userid}" in command


def test_role_without_ssmmessages_fix_attaches_the_managed_policy() -> None:
    f = finding(with_(node_role_access=fk.role_access(decisions={"ssmmessages:OpenControlChannel": "implicitDeny"})),
                "node.role-permissions")
    assert f.remediation.commands[0] == (f"aws iam attach-role-policy --role-name {fk.ROLE} --policy-arn "
                                         "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
    assert "ssmmessages:OpenControlChannel" in f.remediation.commands[1]


def test_no_identity_fix_offers_profile_and_dhmc_with_real_values() -> None:
    f = finding(with_(node_role=role(source=None, profile=None, role_name=None, role=None,
                                     dhmc={"SettingValue": "$None"})), "node.identity")
    commands = "\n".join(f.remediation.commands)
    assert (f"aws ec2 associate-iam-instance-profile --instance-id {fk.EC2_ID} --iam-instance-profile "
            "Name=SSMInstanceProfile --region us-east-1") in commands
    assert (f"--setting-id arn:aws:ssm:us-east-1:{fk.ACCOUNT}:servicesetting/ssm/managed-instance/"
            "default-ec2-instance-management-role") in commands


def test_dhmc_imdsv1_fix_requires_tokens() -> None:
    f = finding(with_(node_role=dhmc(tokens="optional")), "node.identity")
    assert (f"aws ec2 modify-instance-metadata-options --instance-id {fk.EC2_ID} --http-tokens required "
            "--http-endpoint enabled --region us-east-1") in f.remediation.commands


def test_identity_failure_blocks_role_permissions() -> None:
    report = diagnose(with_(node_role=dhmc(tokens="optional")))
    assert report.finding("node.role-permissions").blocked_by == ("node.identity",)


# --------------------------------------------------------------------------- the caller's identity


@pytest.mark.parametrize(("arn", "kind", "name"), [
    (f"arn:aws:iam::{fk.ACCOUNT}:user/alice", "user", "alice"),
    (f"arn:aws:iam::{fk.ACCOUNT}:user/ops/alice", "user", "alice"),
    (f"arn:aws:sts::{fk.ACCOUNT}:user/moto", "user", "moto"),
    (f"arn:aws:sts::{fk.ACCOUNT}:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com", "assumed-role",
     "AWSReservedSSO_Admin_abc"),
    (f"arn:aws:iam::{fk.ACCOUNT}:root", "root", ""),
    (f"arn:aws:sts::{fk.ACCOUNT}:federated-user/bob", "federated-user", "bob"),
    ("arn:aws:iam::aws:policy/Nope", "other", ""),
])
def test_parse_caller_arn(arn: str, kind: str, name: str) -> None:
    parsed = perm.parse_caller_arn(arn)
    assert (parsed.kind, parsed.name) == (kind, name)


def test_principal_tag_conditions_are_unknown_for_a_role_session() -> None:
    # An IAM Identity Center session may carry ABAC attributes as session tags, which no API shows.
    who = fk.caller_principal(kind="assumed-role", name="AWSReservedSSO_Ops_0123456789abcdef", sso=True,
                              session="alice@example.com", role_name="AWSReservedSSO_Ops_0123456789abcdef",
                              caller_arn=f"arn:aws:sts::{fk.ACCOUNT}:assumed-role/AWSReservedSSO_Ops_0123456789abcdef/"
                                         "alice@example.com",
                              policies_key="role/AWSReservedSSO_Ops_0123456789abcdef", tags={"Team": "red"})
    team_blue = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/Team": "blue"}}}]}
    f = finding(with_(**fk.permission_facts(principal=who, simulate=False, policies=[team_blue])),
                "caller.start-session")
    assert f.status is Status.UNKNOWN, f.summary
    # The same policy for an IAM user, whose tags are all there is, decides.
    user = fk.caller_principal(tags={"Team": "red"})
    f = finding(with_(**fk.permission_facts(principal=user, simulate=False, policies=[team_blue])),
                "caller.start-session")
    assert f.status is Status.FAIL, f.summary


def test_a_boundary_denial_asks_for_the_boundary_not_for_a_grant_already_there() -> None:
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}
    facts = fk.permission_facts(simulate=False, policies=[allow_all])
    boundary = {"name": "DevBoundary", "type": "boundary", "document": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": "ssm:StartSession", "Resource": "*"}]}}
    for key in ("caller_node_access", "caller_document_access"):
        facts[key]["policies"]["boundary"] = boundary
    f = finding(with_(**facts), "caller.start-session")
    assert f.status is Status.FAIL, f.summary
    assert any("outside the permissions boundary" in s for s in f.remediation.steps)
    assert any("to the boundary policy" in s and "ssm:StartSession" in s for s in f.remediation.steps)
    assert not f.remediation.commands  # the identity policy already allows it: granting it again fixes nothing


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ([{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}], True),
        ([{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "ssm.amazonaws.com"]},
           "Action": ["sts:AssumeRole", "sts:TagSession"]}], True),
        ([{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"},
          {"Effect": "Deny", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}], False),
        ([{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"},
          {"Effect": "Deny", "Principal": "*", "Action": "sts:*"}], False),
        ([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}], False),
    ],
)
def test_trust_policy_reading(statements: list[dict[str, Any]], expected: bool) -> None:
    from urllib.parse import quote

    from checks.permissions import trusts

    document = {"Version": "2012-10-17", "Statement": statements}
    assert trusts(document, "ssm.amazonaws.com") is expected
    assert trusts(quote(json.dumps(document)), "ssm.amazonaws.com") is expected  # as IAM returns it
