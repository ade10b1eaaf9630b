"""Permissions end to end: `ssm-doctor pwreset` as a subprocess against the sandbox over HTTP.

Caller-wide faults use IAM users (and an assumed role) created in the sandbox, whose access keys the CLI runs
with; the sandbox answers GetCallerIdentity with the key's owner and enforces its policies on every call.
Every such caller gets the `ssm-doctor policy --for doctor` policy (minus what a test takes away), so these
tests also show that the printed policy is enough to run a diagnosis.
"""

from __future__ import annotations

import ast
import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from doctor.policies import doctor_actions, doctor_policy, iam_action, reset_policy
from doctor.sandbox.fleet import ACCOUNT_ID, SCENARIOS
from tests.clikit import Result

CLI = Callable[..., Result]
CALLER_CHECKS = ("caller.send-command", "caller.start-session", "caller.terminate-session")
ROOT = Path(__file__).resolve().parent.parent


def node(sandbox: Any, key: str) -> str:
    return str(sandbox.targets[key])


def statement(effect: str, action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def without(document: dict[str, Any], *actions: str) -> dict[str, Any]:
    """A copy of a policy without some actions."""
    out = []
    for st in document["Statement"]:
        acts = [st["Action"]] if isinstance(st["Action"], str) else list(st["Action"])
        kept = [a for a in acts if a not in actions and not any(a.startswith(p.rstrip("*")) for p in actions
                                                                   if p.endswith("*"))]
        if kept:
            out.append({**st, "Action": kept})
    return {"Version": "2012-10-17", "Statement": out}


class Callers:
    """Creates IAM users (and roles) in the sandbox and hands out their credentials as CLI environments."""

    def __init__(self, endpoint_url: str) -> None:
        self.iam: Any = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint_url)
        self.sts_endpoint = endpoint_url

    def user(self, *documents: dict[str, Any], group_documents: tuple[dict[str, Any], ...] = ()) -> dict[str, str]:
        name = f"operator-{uuid.uuid4().hex[:8]}"
        self.iam.create_user(UserName=name)
        for i, doc in enumerate(documents):
            self.iam.put_user_policy(UserName=name, PolicyName=f"policy{i}", PolicyDocument=json.dumps(doc))
        if group_documents:
            group = f"{name}-group"
            self.iam.create_group(GroupName=group)
            for i, doc in enumerate(group_documents):
                arn = self.iam.create_policy(PolicyName=f"{group}-{i}", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
                self.iam.attach_group_policy(GroupName=group, PolicyArn=arn)
            self.iam.add_user_to_group(GroupName=group, UserName=name)
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
                "SSM_TEST_USER": name}

    def role_session(self, *documents: dict[str, Any]) -> dict[str, str]:
        """Credentials of a session of a new role that a new user assumes."""
        name = f"Operators-{uuid.uuid4().hex[:8]}"
        trust = {"Version": "2012-10-17", "Statement": [
            statement("Allow", "sts:AssumeRole", Principal={"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"})]}
        trust["Statement"][0].pop("Resource")
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        for i, doc in enumerate(documents):
            self.iam.put_role_policy(RoleName=name, PolicyName=f"policy{i}", PolicyDocument=json.dumps(doc))
        assumer = self.user({"Version": "2012-10-17", "Statement": [statement("Allow", "sts:AssumeRole", arn)]})
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=self.sts_endpoint,
                           aws_access_key_id=assumer["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=assumer["AWS_SECRET_ACCESS_KEY"])
        creds = sts.assume_role(RoleArn=arn, RoleSessionName="alice")["Credentials"]
        return {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                "AWS_SESSION_TOKEN": creds["SessionToken"], "SSM_TEST_ROLE": name}


@pytest.fixture(scope="module")
def callers(sandbox_http: Any) -> Iterator[Callers]:
    yield Callers(sandbox_http.endpoint_url)


DOCTOR = doctor_policy()
RESET = reset_policy()
DOC = "arn:aws:ssm:*:*:document/AWS-PasswordReset"


def run(cli: CLI, sandbox: Any, key: str, env: dict[str, str] | None = None, *extra: str) -> Result:
    scenario = next(s for s in SCENARIOS if s.key == key)
    return cli("pwreset", node(sandbox, key), "--format", "json", "--region", scenario.region, *extra, env=env)


# --------------------------------------------------------------------------- the "Done when" list


def test_no_send_command_fails_caller_send_command(cli: CLI, sandbox_http: Any, callers: Callers) -> None:
    env = callers.user(DOCTOR, without(RESET, "ssm:SendCommand"))
    res = run(cli, sandbox_http, "healthy-linux", env)
    check = res.check("caller.send-command")
    assert check["status"] == "fail", check["summary"]
    assert check["problem"] == "no-sendcommand-authorization"
    assert res.code == 1 and "caller.send-command" in res.target()["root_causes"]
    assert check["evidence"]["decisions"][0]["decided_by"] == "iam:SimulatePrincipalPolicy"
    command = check["remediation"]["commands"][0]
    assert command.startswith(f"aws iam put-user-policy --user-name {env['SSM_TEST_USER']} ")
    assert f"instance/{node(sandbox_http, 'healthy-linux')}" in command


def test_start_session_only_on_dev_fails_on_prod_node(cli: CLI, sandbox_http: Any, callers: Callers) -> None:
    dev_only = {"Version": "2012-10-17", "Statement": [
        statement("Allow", "ssm:StartSession", "arn:aws:ec2:*:*:instance/*",
                  Condition={"StringEquals": {"ssm:resourceTag/Env": "dev"}}),
        statement("Allow", "ssm:StartSession", DOC),
    ]}
    env = callers.user(DOCTOR, without(RESET, "ssm:StartSession"), dev_only)
    res = run(cli, sandbox_http, "start-session-prod-tag", env)
    check = res.check("caller.start-session")
    assert check["status"] == "fail", check["summary"]
    assert res.code == 1 and "caller.start-session" in res.target()["root_causes"]
    decisions = {d["resource"].split(":")[-1]: d["decision"] for d in check["evidence"]["decisions"]}
    assert decisions == {f"instance/{node(sandbox_http, 'start-session-prod-tag')}": "implicitDeny",
                         "document/AWS-PasswordReset": "allowed"}
    # Only dev nodes: an untagged node is refused too.
    assert run(cli, sandbox_http, "healthy-linux", env).status("caller.start-session") == "fail"


def test_explicit_deny_on_document_fails(cli: CLI, sandbox_http: Any, callers: Callers) -> None:
    no_reset = {"Version": "2012-10-17", "Statement": [
        statement("Deny", "ssm:StartSession", DOC, Sid="NoPasswordResets")]}
    env = callers.user(DOCTOR, RESET, no_reset)
    res = run(cli, sandbox_http, "healthy-linux", env)
    check = res.check("caller.start-session")
    assert check["status"] == "fail", check["summary"]
    assert res.code == 1 and "caller.start-session" in res.target()["root_causes"]
    denied = [d for d in check["evidence"]["decisions"] if d["decision"] == "explicitDeny"]
    assert [d["resource"] for d in denied] == ["arn:aws:ssm:us-east-1::document/AWS-PasswordReset"]
    assert any('"NoPasswordResets"' in s for s in denied[0]["deciding_statements"])


def test_dhmc_without_profile_passes_node_identity(cli: CLI, sandbox_http: Any) -> None:
    res = run(cli, sandbox_http, "dhmc-no-profile")
    check = res.check("node.identity")
    assert check["status"] == "pass", check["summary"]
    assert "Default Host Management" in check["summary"]
    assert check["evidence"]["http_tokens"] == "required"
    assert res.status("node.role-permissions") == "pass"


def test_role_without_ssmmessages_fails_role_permissions(cli: CLI, sandbox_http: Any) -> None:
    res = run(cli, sandbox_http, "role-without-ssmmessages")
    check = res.check("node.role-permissions")
    assert check["status"] == "fail", check["summary"]
    assert "ssmmessages:CreateControlChannel" in check["summary"]
    assert check["remediation"]["commands"][0] == (
        "aws iam attach-role-policy --role-name SSMRoleWithoutMessages --policy-arn "
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")


def test_caller_who_cannot_read_its_policies_nor_simulate_is_unknown(
    cli: CLI, sandbox_http: Any, callers: Callers
) -> None:
    env = callers.user(without(DOCTOR, "iam:*"), RESET)
    res = run(cli, sandbox_http, "healthy-linux", env)
    assert res.code == 3, res.stdout
    assert res.target()["verdict"] == "incomplete"
    for cid in CALLER_CHECKS:
        check = res.check(cid)
        assert check["status"] == "unknown", (cid, check["summary"])
        assert "iam:SimulatePrincipalPolicy" in check["missing"]
        assert "iam:ListUserPolicies" in check["missing"]
    assert not any(c["status"] == "fail" for c in res.target()["checks"])


# --------------------------------------------------------------------------- more callers


def test_local_evaluation_decides_when_simulation_is_denied(
    cli: CLI, sandbox_http: Any, callers: Callers, faults: Any
) -> None:
    env = callers.user(DOCTOR, without(RESET, "ssm:SendCommand"))
    faults.configure(deny=["iam:SimulatePrincipalPolicy"])
    res = run(cli, sandbox_http, "healthy-linux", env)
    check = res.check("caller.send-command")
    assert check["status"] == "fail"
    assert check["evidence"]["decisions"][0]["decided_by"].startswith("local evaluation")
    assert res.status("node.role-permissions") == "pass"


def test_assumed_role_caller(cli: CLI, sandbox_http: Any, callers: Callers) -> None:
    env = callers.role_session(DOCTOR, without(RESET, "ssm:StartSession"))
    res = run(cli, sandbox_http, "healthy-linux", env)
    check = res.check("caller.start-session")
    assert check["status"] == "fail"
    assert check["evidence"]["principal_type"] == "assumed-role"
    assert check["evidence"]["policies_of"].endswith(f":role/{env['SSM_TEST_ROLE']}")
    assert check["remediation"]["commands"][0].startswith(f"aws iam put-role-policy --role-name {env['SSM_TEST_ROLE']}")
    # Roles have no aws:username: ${aws:username} session resources do not match a role's sessions.
    assert res.status("caller.terminate-session") == "warn"
    assert res.status("caller.send-command") == "pass"


def _decisions(res: Result) -> dict[tuple[str, str, str, str], tuple[str, str]]:
    """(target, check, action, resource) -> (decision, decided_by) for the permission checks of every target."""
    out = {}
    for target in res.json()["targets"]:
        for check in target["checks"]:
            if check["id"] in (*CALLER_CHECKS, "node.role-permissions"):
                for d in check["evidence"].get("decisions", []):
                    out[(target["target"], check["id"], d["action"], d["resource"])] = (d["decision"],
                                                                                        d["decided_by"])
    return out


def test_simulation_and_local_evaluation_agree(cli: CLI, sandbox_http: Any, callers: Callers, faults: Any) -> None:
    """The same callers and nodes, decided once by simulation and once locally (simulation denied)."""
    dev_only = {"Version": "2012-10-17", "Statement": [
        statement("Allow", "ssm:StartSession", "arn:aws:ec2:*:*:instance/*",
                  Condition={"StringEquals": {"ssm:resourceTag/Env": "dev"}}),
        statement("Allow", "ssm:StartSession", DOC)]}
    envs: list[dict[str, str] | None] = [
        None,  # the sandbox's own operator, with its tag-conditioned Deny and a Deny on one node
        callers.user(DOCTOR, RESET),
        callers.user(DOCTOR, without(RESET, "ssm:SendCommand")),
        callers.user(DOCTOR, without(RESET, "ssm:StartSession"), dev_only),
        callers.user(DOCTOR, RESET, {"Version": "2012-10-17", "Statement": [statement("Deny", "ssm:StartSession",
                                                                                         DOC)]}),
        callers.user(DOCTOR, group_documents=(RESET,)),
        callers.role_session(DOCTOR, RESET),
    ]
    ids = [node(sandbox_http, k) for k in ("healthy-linux", "start-session-prod-tag", "send-command-denied-node",
                                           "role-without-ssmmessages")]
    args = ("pwreset", *ids, "--format", "json", "--region", "us-east-1", "--max-workers", "1",
            "--only", ",".join((*CALLER_CHECKS, "node.role-permissions")))
    compared = 0
    seen: set[str] = set()
    for env in envs:
        faults.clear()
        simulated = _decisions(cli(*args, env=env))
        faults.configure(deny=["iam:SimulatePrincipalPolicy"])
        local = _decisions(cli(*args, env=env))
        assert simulated.keys() == local.keys()
        for key, (decision, path) in simulated.items():
            assert decision == local[key][0], (key, env)
            assert path == "iam:SimulatePrincipalPolicy"
            assert local[key][1] == "local evaluation of the principal's policies"
            assert decision != "unknown"
            seen.add(decision)
        compared += len(simulated)
    assert seen == {"allowed", "implicitDeny", "explicitDeny"}
    assert compared >= 150


# --------------------------------------------------------------------------- ssm-doctor policy


def test_policy_command_prints_json(cli: CLI) -> None:
    res = cli("policy", "--for", "doctor")
    assert res.code == 0
    document = json.loads(res.stdout)
    actions = {a for st in document["Statement"] for a in st["Action"]}
    assert actions == set(doctor_actions())
    assert all(re.match(r"^[a-z0-9]+:(Describe|Get|List|Simulate)", a) for a in actions)
    reset = json.loads(cli("policy", "--for", "reset", "--kms-key", "arn:aws:kms:us-east-1:1:key/k").stdout)
    by_sid = {st["Sid"]: st for st in reset["Statement"]}
    assert by_sid["AllowKmsGenerateDataKey"]["Resource"] == "arn:aws:kms:us-east-1:1:key/k"
    assert "${aws:username}" in by_sid["AllowSsmTerminateSessionSsmResumeSession"]["Resource"]
    assert cli("policy", "--for", "nobody").code == 2


def test_doctor_policy_covers_every_call_a_diagnosis_makes(
    cli: CLI, sandbox_http: Any, callers: Callers, faults: Any
) -> None:
    called: set[str] = set()
    by_region: dict[str, list[str]] = {}
    for s in SCENARIOS:
        by_region.setdefault(s.region, []).append(node(sandbox_http, s.key))
    for region, ids in by_region.items():
        called |= set(cli("pwreset", *ids, "--format", "json", "--region", region).json()["aws_calls"])
    # With the simulation denied, a caller in a group makes the diagnosis read every kind of policy.
    faults.configure(deny=["iam:SimulatePrincipalPolicy"])
    env = callers.user(DOCTOR, group_documents=(RESET,))
    for key in ("healthy-linux", "hybrid-advanced"):
        res = run(cli, sandbox_http, key, env)
        called |= set(res.json()["aws_calls"])
    actions = {iam_action(op) for op in called}
    assert {"iam:ListGroupPolicies", "iam:ListAttachedGroupPolicies", "iam:GetRolePolicy",
            "iam:GetPolicyVersion"} <= actions
    assert actions <= set(doctor_actions()), actions - set(doctor_actions())


def test_a_caller_with_exactly_the_doctor_policy_misses_nothing_anywhere(
    cli: CLI, sandbox_http: Any, callers: Callers
) -> None:
    env = callers.user(DOCTOR, RESET)
    by_region: dict[str, list[str]] = {}
    for s in SCENARIOS:
        by_region.setdefault(s.region, []).append(node(sandbox_http, s.key))
    for region, ids in by_region.items():
        report = cli("pwreset", *ids, "--format", "json", "--region", region, env=env).json()
        missing = {(t["target"], c["id"]): c["missing"] for t in report["targets"] for c in t["checks"]
                   if c["missing"]}
        assert not missing, (region, missing)


def _operation(service: str, snake: str) -> str:
    return f"{service}:{''.join(p.capitalize() for p in snake.split('_'))}"


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _collector_calls() -> set[str]:
    """service:Operation for every literal AWS call in the collectors and target resolution."""
    found: set[str] = {"sts:GetCallerIdentity"}  # the credentials collector calls its client directly
    files = [*sorted((ROOT / "doctor" / "collectors").glob("*.py")), ROOT / "doctor" / "targets.py"]
    for path in files:
        for call in ast.walk(ast.parse(path.read_text())):
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
                continue
            literals = [_literal(a) for a in call.args]
            strings = [x for x in literals if x]
            if call.func.attr in ("call", "paginate") and len(literals) >= 2 and literals[0] and literals[1]:
                found.add(_operation(literals[0], literals[1]))
            elif call.func.attr in ("inline", "attached"):  # the IAM policy reader takes operations by name
                found |= {_operation("iam", x) for x in strings if re.fullmatch(r"(get|list)_[a-z_]+", x)}
            elif call.func.attr == "call" and literals and literals[0] and re.fullmatch(r"get_[a-z_]+", literals[0]):
                found.add(_operation("iam", literals[0]))  # the reader's own call(operation, ...)
    return found


def test_doctor_policy_covers_every_call_in_the_collectors() -> None:
    actions = {iam_action(op) for op in _collector_calls()}
    assert "iam:SimulatePrincipalPolicy" in actions and "iam:GetGroupPolicy" in actions
    assert actions <= set(doctor_actions()), actions - set(doctor_actions())


# --------------------------------------------------------------------------- the sandbox's simulation


def test_sandbox_simulation_answers_in_iam_shape(sandbox_http: Any, callers: Callers) -> None:
    env = callers.user({"Version": "2012-10-17", "Statement": [
        statement("Allow", "ssm:StartSession", "arn:aws:ec2:*:*:instance/*",
                  Condition={"StringEquals": {"ssm:resourceTag/Env": "dev"}}),
        statement("Deny", "ssm:StartSession", DOC, Sid="NoResets")]})
    iam: Any = callers.iam
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{env['SSM_TEST_USER']}"
    node_arn = f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:instance/{node(sandbox_http, 'healthy-linux')}"
    doc_arn = "arn:aws:ssm:us-east-1::document/AWS-PasswordReset"
    results = iam.simulate_principal_policy(
        PolicySourceArn=user_arn, ActionNames=["ssm:StartSession"], ResourceArns=[node_arn, doc_arn],
        ContextEntries=[{"ContextKeyName": "ssm:resourceTag/Env", "ContextKeyValues": ["dev"],
                         "ContextKeyType": "string"}])["EvaluationResults"]
    assert len(results) == 1 and results[0]["EvalActionName"] == "ssm:StartSession"
    assert results[0]["EvalDecision"] == "explicitDeny"  # the most restrictive over the resources
    per_resource = {r["EvalResourceName"]: r for r in results[0]["ResourceSpecificResults"]}
    assert per_resource[node_arn]["EvalResourceDecision"] == "allowed"
    assert per_resource[doc_arn]["EvalResourceDecision"] == "explicitDeny"
    matched = per_resource[doc_arn]["MatchedStatements"][0]
    assert (matched["SourcePolicyId"], matched["SourcePolicyType"]) == ("policy0", "user")
    assert matched["StartPosition"]["Line"] >= 1 and matched["StartPosition"]["Column"] > 1
    missing = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=["ssm:StartSession"],
                                            ResourceArns=[node_arn])["EvaluationResults"][0]
    assert missing["EvalDecision"] == "implicitDeny" and missing["MissingContextValues"] == ["ssm:resourceTag/Env"]
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT_ID}:user/nobody",
                                      ActionNames=["ssm:StartSession"])
