"""`ssm-doctor fix`: each remedy against the sandbox, its dry run, its refusals, before/after.

Tests that apply remedies get a fresh in-process sandbox each (the fleet is changed); the
subprocess tests against the shared HTTP sandbox only ever make read calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

import doctor.cli as cli_module
from doctor.aws import Aws
from doctor.facts import FactStore, Options, Target
from doctor.fixes import (
    ApiCall,
    FixContext,
    FixOptions,
    Proposal,
    associate_instance_profile,
    attach_core_policy,
    plan_fixes,
    propose,
    set_kms_key,
    update_agent,
)
from doctor.model import Finding, Status, TargetReport
from doctor.runner import diagnose, make_plan
from doctor.sandbox import moto_ext
from doctor.sandbox.fleet import ACCOUNT_ID, INSTANCE_PROFILE, KMS_ALIAS, PREFERENCES_DOCUMENT
from doctor.sandbox.server import Sandbox, in_process
from tests.clikit import Result
from tests.test_reset import run_in_pty

READ_ONLY = re.compile(r"^[a-z0-9-]+:(Describe|Get|List|Simulate)[A-Za-z]*$")
REGION = "us-east-1"
CORE_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
TIER = "/ssm/managed-instance/activation-tier"


@pytest.fixture(scope="class")
def fleet(plugin_dir: Path) -> Iterator[Sandbox]:
    """One seeded in-process sandbox for the class, with the fake plugin on PATH so local checks pass.

    Tests that change it work on their own nodes (`clone`) or roles, or put back what they change.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{plugin_dir}:/usr/bin:/bin")
        patch.delenv("SSM_DOCTOR_QUIET", raising=False)
        with in_process() as sandbox:
            yield sandbox


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


def target_of(sandbox: Sandbox, key: str) -> Target:
    return Target(str(sandbox.targets[key]), REGION)


def clone(sandbox: Sandbox, key: str, tags: dict[str, str | None] | None = None,
          profile: str | None = "same") -> Target:
    """A new instance like a seeded one (same image, subnet, groups, profile and sandbox tags), to change freely."""
    ec2 = client("ec2")
    source = ec2.describe_instances(InstanceIds=[sandbox.targets[key]])["Reservations"][0]["Instances"][0]
    wanted = {t["Key"]: t["Value"] for t in source.get("Tags", [])}
    wanted["Name"] = f"{wanted.get('Name', key)}-clone-{len(ec2.describe_instances()['Reservations'])}"
    for name, value in (tags or {}).items():
        wanted.pop(name, None)
        if value is not None:
            wanted[name] = value
    kwargs: dict[str, Any] = {
        "ImageId": source["ImageId"], "MinCount": 1, "MaxCount": 1, "InstanceType": source["InstanceType"],
        "SubnetId": source["SubnetId"], "SecurityGroupIds": [g["GroupId"] for g in source["SecurityGroups"]],
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
        "TagSpecifications": [{"ResourceType": "instance",
                               "Tags": [{"Key": k, "Value": v} for k, v in wanted.items()]}],
    }
    if profile == "same" and source.get("IamInstanceProfile"):
        kwargs["IamInstanceProfile"] = {"Arn": source["IamInstanceProfile"]["Arn"]}
    elif profile not in (None, "same"):
        kwargs["IamInstanceProfile"] = {"Name": profile}
    instance = ec2.run_instances(**kwargs)["Instances"][0]
    return Target(str(instance["InstanceId"]), REGION)


def diagnosis(aws: Aws, target: Target) -> TargetReport:
    return diagnose(make_plan(), FactStore(aws, Options()), [target]).targets[0]


def context(aws: Aws, target: Target, **options: Any) -> tuple[FixContext, list[str]]:
    said: list[str] = []
    ctx = FixContext(aws, target, FixOptions(**options), account=ACCOUNT_ID, progress=said.append)
    return ctx, said


def failing(check_id: str, **evidence: Any) -> Finding:
    """A failing finding for checks whose remedy is tested on its own."""
    return Finding(id=check_id, title=check_id, status=Status.FAIL, summary=f"{check_id} failed", problem="p",
                   doc_url="https://docs.aws.amazon.com/", area=check_id.split(".")[0], evidence=evidence)


def assert_read_only(aws: Aws) -> None:
    assert aws.calls, "some calls were made"
    assert all(READ_ONLY.match(op) for op in aws.calls), dict(aws.calls)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        cli_module.main(list(args))
    out = capsys.readouterr()
    return Result(int(exited.value.code or 0), out.out, out.err)


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Aws]:
    """Every Aws object the CLI creates, to look at the calls it counted."""
    created: list[Aws] = []
    real: Callable[[str | None, str | None], Aws] = cli_module._make_aws

    def record(profile: str | None, region: str | None) -> Aws:
        created.append(real(profile, region))
        return created[-1]

    monkeypatch.setattr(cli_module, "_make_aws", record)
    return created


def transition(check_id: str, before: str, after: str) -> re.Pattern[str]:
    return re.compile(rf"^\s+{re.escape(check_id)}\s+{before} → {after}$", re.M)


@pytest.fixture
def saved_preferences(fleet: Sandbox) -> Iterator[dict[str, Any]]:
    """The preferences document as seeded; put back after the test."""
    original = _preferences()
    yield original
    ssm = client("ssm")
    try:
        current: dict[str, Any] | None = _preferences()
    except ssm.exceptions.InvalidDocument:
        current = None
    if current is None:
        ssm.create_document(Name=PREFERENCES_DOCUMENT, DocumentType="Session", DocumentFormat="JSON",
                            Content=json.dumps(original))
    elif current != original:
        _write_preferences(original)


def _preferences() -> dict[str, Any]:
    doc = client("ssm").get_document(Name=PREFERENCES_DOCUMENT)
    return json.loads(doc["Content"])  # type: ignore[no-any-return]


def _write_preferences(document: dict[str, Any]) -> None:
    ssm = client("ssm")
    version = ssm.update_document(Name=PREFERENCES_DOCUMENT, Content=json.dumps(document),
                                  DocumentVersion="$LATEST")["DocumentDescription"]["DocumentVersion"]
    ssm.update_document_default_version(Name=PREFERENCES_DOCUMENT, DocumentVersion=version)


def _commands_for(node: str) -> list[dict[str, Any]]:
    return client("ssm").list_commands(InstanceId=node)["Commands"]  # type: ignore[no-any-return]


class TestRemedies:
    """Against one in-process sandbox."""

    # --- agent.version ---------------------------------------------------------------------------

    def test_agent_update_dry_run_makes_no_mutating_call(self, fleet: Sandbox, capsys: pytest.CaptureFixture[str],
                                                         made: list[Aws]) -> None:
        node = target_of(fleet, "old-agent")
        res = run_cli(capsys, "fix", node.id)
        assert res.code == 1
        assert "dry run" in res.stdout and "--apply" in res.stdout
        send = ApiCall("ssm", "SendCommand", {"DocumentName": "AWS-UpdateSSMAgent", "InstanceIds": [node.id],
                                              "Comment": "ssm-doctor fix: update SSM Agent for AWS-PasswordReset"})
        assert send.describe() in res.stdout
        assert "ssm:ListCommandInvocations" in res.stdout
        assert_read_only(made[0])
        assert _commands_for(node.id) == []

    def test_agent_update_applies_and_the_check_passes(self, fleet: Sandbox, capsys: pytest.CaptureFixture[str],
                                                       made: list[Aws]) -> None:
        node = clone(fleet, "old-agent")
        res = run_cli(capsys, "fix", node.id, "--apply", "--yes")
        assert res.code == 0, res.stdout + res.stderr
        assert transition("agent.version", "fail", "pass").search(res.stdout), res.stdout
        assert transition("verdict", "blocked", "ready").search(res.stdout)
        assert "finished: Success" in res.stdout and "Successfully downloaded updater version" in res.stdout
        assert re.search(r"command \S+ on i-\w+: Success", res.stderr)  # progress on stderr
        [command] = _commands_for(node.id)
        assert command["DocumentName"] == "AWS-UpdateSSMAgent" and command["InstanceIds"] == [node.id]
        assert made[0].calls["ssm:SendCommand"] == 1

    def test_agent_update_refused_when_the_node_is_offline(self, fleet: Sandbox,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
        node = clone(fleet, "connection-lost", {"ssm-sandbox:agent-version": "2.3.50.0"})
        res = run_cli(capsys, "fix", node.id, "--apply", "--yes")
        assert res.code == 1
        assert "[agent.version]" in res.stdout and "REFUSED" in res.stdout and "ConnectionLost" in res.stdout
        assert "[node.online] fail" in res.stdout  # no automated remedy: listed as manual
        assert _commands_for(node.id) == []

    def test_agent_update_refused_when_the_caller_may_not_send_commands(self, fleet: Sandbox) -> None:
        node = target_of(fleet, "old-agent")
        denied = Finding(id="caller.send-command", title="t", status=Status.FAIL, problem="p", doc_url="u",
                         area="caller", summary="You may not run ssm:SendCommand on the node")
        report = TargetReport(node.id, (failing("agent.version"), denied))
        aws = Aws(region=REGION)
        ctx = FixContext(aws, node, FixOptions(), account=ACCOUNT_ID, diagnosis=report)
        [proposal], _ = plan_fixes(ctx, report)
        assert not proposal.ready
        assert "you may not run commands" in proposal.refused and "caller.send-command" in proposal.refused
        assert aws.calls == {} or all(READ_ONLY.match(op) for op in aws.calls)

    def test_agent_update_that_fails_is_reported(self, fleet: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
        node = clone(fleet, "old-agent")
        moto_ext.set_command_result(ACCOUNT_ID, REGION, "Failed", "Insufficient available disk space", node.id)
        res = run_cli(capsys, "fix", node.id, "--apply", "--yes")
        assert res.code == 1
        assert "FAILED" in res.stdout and "finished: Failed" in res.stdout
        assert "Insufficient available disk space" in res.stdout
        assert transition("agent.version", "fail", "fail").search(res.stdout)

    def test_agent_update_gives_up_after_the_timeout(self, fleet: Sandbox) -> None:
        node = clone(fleet, "old-agent")
        moto_ext.set_command_result(ACCOUNT_ID, REGION, "InProgress", "", node.id)
        aws = Aws(region=REGION)
        now = [0.0]
        said: list[str] = []
        ctx = FixContext(aws, node, FixOptions(timeout=12, poll_interval=5), progress=said.append,
                         sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0])
        proposal = update_agent(ctx, failing("agent.version"))
        assert proposal.run is not None
        applied = proposal.run(ctx)
        assert not applied.ok and "still InProgress after 12 s" in applied.message
        assert "aws ssm list-command-invocations --command-id" in applied.message
        assert aws.calls["ssm:ListCommandInvocations"] == 4  # at 0, 5, 10 and 12 seconds
        assert sum("InProgress" in s for s in said) == 4

    # --- hybrid.tier -----------------------------------------------------------------------------

    def test_hybrid_tier_refused_without_accept_charges(self, fleet: Sandbox, capsys: pytest.CaptureFixture[str],
                                                        made: list[Aws]) -> None:
        node = target_of(fleet, "hybrid-standard")
        res = run_cli(capsys, "fix", node.id, "--apply", "--yes")
        assert res.code == 1
        assert "REFUSED" in res.stdout and "billed" in res.stdout and "--accept-charges" in res.stdout
        assert "would call: ssm:UpdateServiceSetting" in res.stdout
        assert_read_only(made[0])
        setting = client("ssm").get_service_setting(SettingId=TIER)
        assert setting["ServiceSetting"]["SettingValue"] == "standard"

    def test_hybrid_tier_with_accept_charges(self, fleet: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
        node = target_of(fleet, "hybrid-standard")
        dry = run_cli(capsys, "fix", node.id, "--accept-charges")
        assert dry.code == 1
        arn = f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:servicesetting{TIER}"
        assert json.dumps({"SettingId": arn, "SettingValue": "advanced"}) in dry.stdout
        assert "billed" in dry.stdout
        try:
            res = run_cli(capsys, "fix", node.id, "--apply", "--yes", "--accept-charges")
            assert res.code == 0, res.stdout
            assert transition("hybrid.tier", "fail", "pass").search(res.stdout)
        finally:
            client("ssm").reset_service_setting(SettingId=TIER)

    # --- node.role-permissions -------------------------------------------------------------------

    def test_role_permissions_attaches_the_managed_policy(self, fleet: Sandbox) -> None:
        iam = client("iam")
        iam.create_role(RoleName="BareRole", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                           "Action": "sts:AssumeRole"}]}))
        iam.create_instance_profile(InstanceProfileName="BareProfile")
        iam.add_role_to_instance_profile(InstanceProfileName="BareProfile", RoleName="BareRole")
        node = clone(fleet, "healthy-linux", profile="BareProfile")

        def attached() -> list[str]:
            return [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="BareRole")["AttachedPolicies"]]

        aws = Aws(region=REGION)
        ctx, _ = context(aws, node)
        proposal = attach_core_policy(ctx, failing("node.role-permissions"))
        assert proposal.ready
        assert proposal.calls == (ApiCall("iam", "AttachRolePolicy", {"RoleName": "BareRole", "PolicyArn": CORE_ARN}),)
        assert_read_only(aws)
        assert attached() == []
        assert proposal.run is not None and proposal.run(ctx).ok
        assert attached() == [CORE_ARN]
        assert aws.calls["iam:AttachRolePolicy"] == 1

    def test_role_permissions_refusals(self, fleet: Sandbox) -> None:
        aws = Aws(region=REGION)
        ctx, _ = context(aws, target_of(fleet, "healthy-linux"))
        already = propose(ctx, failing("node.role-permissions"))
        assert not already.ready and "already attached" in already.refused
        named = propose(ctx, failing("node.role-permissions", role_name="NoSuchRole"))
        assert "NoSuchRole does not exist" in named.refused
        bare, _ = context(aws, target_of(fleet, "not-registered"))
        assert "no instance profile" in propose(bare, failing("node.role-permissions")).refused
        assert_read_only(aws)

    def test_role_permissions_uses_the_default_host_management_role(self, fleet: Sandbox) -> None:
        dhmc = "/ssm/managed-instance/default-ec2-instance-management-role"
        client("ssm").update_service_setting(SettingId=dhmc, SettingValue="service-role/DhmcRole")
        try:
            ctx, _ = context(Aws(region=REGION), target_of(fleet, "not-registered"))
            refused = propose(ctx, failing("node.role-permissions")).refused
            assert "role DhmcRole does not exist" in refused
        finally:
            client("ssm").reset_service_setting(SettingId=dhmc)

    # --- node.identity ---------------------------------------------------------------------------

    def test_identity_associates_the_instance_profile(self, fleet: Sandbox) -> None:
        # No profile and no registered=false tag: the sandbox registers it once it has an identity.
        node = clone(fleet, "not-registered", {"ssm-sandbox:registered": None}, profile=None)
        ec2 = client("ec2")

        def associated() -> list[str]:
            found = ec2.describe_iam_instance_profile_associations(
                Filters=[{"Name": "instance-id", "Values": [node.id]}])["IamInstanceProfileAssociations"]
            return [a["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1] for a in found]

        aws = Aws(region=REGION)
        assert diagnosis(aws, node).finding("node.registered").status is Status.FAIL
        ctx, _ = context(aws, node, instance_profile=INSTANCE_PROFILE)
        proposal = associate_instance_profile(ctx, failing("node.identity"))
        assert proposal.calls == (ApiCall("ec2", "AssociateIamInstanceProfile",
                                          {"IamInstanceProfile": {"Name": INSTANCE_PROFILE}, "InstanceId": node.id}),)
        assert_read_only(aws)
        assert associated() == []
        assert proposal.run is not None and proposal.run(ctx).ok
        assert associated() == [INSTANCE_PROFILE]
        assert diagnosis(Aws(region=REGION), node).finding("node.registered").status is Status.PASS

    def test_identity_refusals(self, fleet: Sandbox) -> None:
        aws = Aws(region=REGION)
        bare = target_of(fleet, "not-registered")
        ctx, _ = context(aws, bare)
        assert "needs --instance-profile NAME" in propose(ctx, failing("node.identity")).refused
        ctx, _ = context(aws, bare, instance_profile="NoSuchProfile")
        assert "'NoSuchProfile' does not exist" in propose(ctx, failing("node.identity")).refused
        ctx, _ = context(aws, target_of(fleet, "healthy-linux"), instance_profile=INSTANCE_PROFILE)
        assert "already has instance profile" in propose(ctx, failing("node.identity")).refused
        ctx, _ = context(aws, target_of(fleet, "hybrid-standard"), instance_profile=INSTANCE_PROFILE)
        assert "hybrid" in propose(ctx, failing("node.identity")).refused
        # an instance that has a profile already is refused for that, with or without --instance-profile
        ctx, _ = context(aws, target_of(fleet, "healthy-linux"))
        assert "already has instance profile" in propose(ctx, failing("node.identity")).refused
        other_account = f"arn:aws:iam::999999999999:instance-profile/{INSTANCE_PROFILE}"
        ctx, _ = context(aws, bare, instance_profile=other_account)
        assert "is not the instance profile of that name in this account" in propose(
            ctx, failing("node.identity")).refused
        assert_read_only(aws)

    def test_identity_refuses_a_role_that_ec2_cannot_assume(self, fleet: Sandbox) -> None:
        iam = client("iam")
        iam.create_role(RoleName="LambdaOnlyRole", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                           "Action": "sts:AssumeRole"}]}))
        iam.create_instance_profile(InstanceProfileName="LambdaOnlyProfile")
        iam.add_role_to_instance_profile(InstanceProfileName="LambdaOnlyProfile", RoleName="LambdaOnlyRole")
        ctx, _ = context(Aws(region=REGION), target_of(fleet, "not-registered"), instance_profile="LambdaOnlyProfile")
        refused = propose(ctx, failing("node.identity")).refused
        assert "does not trust ec2.amazonaws.com" in refused, refused

    # --- prefs.kms -------------------------------------------------------------------------------

    def test_prefs_kms_sets_the_key_and_keeps_every_other_setting(self, fleet: Sandbox,
                                                                  saved_preferences: dict[str, Any]) -> None:
        custom = json.loads(json.dumps(saved_preferences))
        custom["inputs"].update(kmsKeyId="", s3BucketName="session-logs", idleSessionTimeout="35", runAsEnabled=True,
                                runAsDefaultUser="ops", shellProfile={"linux": "cd ~", "windows": ""})
        _write_preferences(custom)
        aws = Aws(region=REGION)
        ctx, _ = context(aws, target_of(fleet, "healthy-linux"), kms_key=KMS_ALIAS)
        proposal = set_kms_key(ctx, failing("prefs.kms"))
        assert [(c.service, c.operation) for c in proposal.calls] == [("ssm", "UpdateDocument"),
                                                                      ("ssm", "UpdateDocumentDefaultVersion")]
        assert proposal.calls[0].params["DocumentVersion"] == "$LATEST"
        assert_read_only(aws)
        assert _preferences() == custom
        assert proposal.run is not None and proposal.run(ctx).ok
        expected = json.loads(json.dumps(custom))
        expected["inputs"]["kmsKeyId"] = KMS_ALIAS
        assert _preferences() == expected  # the default version names the key; nothing else changed
        assert aws.calls["ssm:UpdateDocumentDefaultVersion"] == 1

    def test_prefs_kms_creates_the_document_when_absent(self, fleet: Sandbox,
                                                        saved_preferences: dict[str, Any]) -> None:
        client("ssm").delete_document(Name=PREFERENCES_DOCUMENT)
        aws = Aws(region=REGION)
        ctx, _ = context(aws, target_of(fleet, "healthy-linux"), kms_key=KMS_ALIAS)
        proposal = set_kms_key(ctx, failing("prefs.kms"))
        [create] = proposal.calls
        assert (create.operation, create.params["DocumentType"], create.params["Name"]) == (
            "CreateDocument", "Session", PREFERENCES_DOCUMENT)
        assert_read_only(aws)
        assert proposal.run is not None and proposal.run(ctx).ok
        created = _preferences()
        assert created["sessionType"] == "Standard_Stream" and created["inputs"]["kmsKeyId"] == KMS_ALIAS
        assert set(saved_preferences["inputs"]) <= set(created["inputs"])

    def test_prefs_kms_refusals(self, fleet: Sandbox) -> None:
        kms = client("kms")
        disabled = kms.create_key(Description="off")["KeyMetadata"]["KeyId"]
        kms.disable_key(KeyId=disabled)
        aws = Aws(region=REGION)
        node = target_of(fleet, "healthy-linux")
        for key, reason in ((None, "needs --kms-key KEY"), ("alias/no-such-key", "does not exist"),
                            (disabled, "is Disabled, not Enabled")):
            ctx, _ = context(aws, node, kms_key=key)
            refused = propose(ctx, failing("prefs.kms")).refused
            assert reason in refused, refused
        assert_read_only(aws)

    # --- the planner and the command -------------------------------------------------------------

    def test_planner_remedies_failures_and_lists_the_rest_as_manual(self, fleet: Sandbox) -> None:
        aws = Aws(region=REGION)
        node = target_of(fleet, "old-agent")
        report = TargetReport(node.id, (
            failing("agent.version"),
            failing("node.online"),
            Finding(id="caller.kms", title="t", status=Status.UNKNOWN, summary="denied", problem="p", doc_url="u",
                    area="caller"),
            Finding(id="node.platform", title="t", status=Status.PASS, summary="ok", problem="p", doc_url="u",
                    area="node"),
            Finding(id="prefs.kms", title="t", status=Status.SKIP, summary="blocked", problem="p", doc_url="u",
                    area="prefs"),
        ))
        ctx, _ = context(aws, node)
        proposals, manual = plan_fixes(ctx, report)
        assert [p.check_id for p in proposals] == ["agent.version"]
        assert isinstance(proposals[0], Proposal) and proposals[0].ready
        assert [(m.check_id, m.status) for m in manual] == [("node.online", Status.FAIL),
                                                             ("caller.kms", Status.UNKNOWN)]
        assert_read_only(aws)

    def test_nothing_to_fix_exits_0(self, fleet: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
        res = run_cli(capsys, "fix", str(fleet.targets["healthy-linux"]))
        assert res.code == 0 and "Nothing to fix." in res.stdout

    def test_apply_without_yes_needs_a_terminal(self, fleet: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
        node = target_of(fleet, "old-agent")
        res = run_cli(capsys, "fix", node.id, "--apply")
        assert res.code == 2
        assert [line for line in res.stderr.splitlines() if line.startswith("ssm-doctor:")] == [
            "ssm-doctor: fix --apply asks for confirmation on a terminal; pass --yes to apply without asking"]
        assert _commands_for(node.id) == []


# --- as a subprocess against the shared HTTP sandbox (read-only) --------------------------------------


def test_fix_dry_run_as_a_subprocess(cli: Callable[..., Result], sandbox_http: Any) -> None:
    node = str(sandbox_http.targets["old-agent"])
    res = cli("fix", node)
    assert res.code == 1
    assert '"DocumentName": "AWS-UpdateSSMAgent"' in res.stdout
    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=sandbox_http.endpoint_url)
    assert ssm.list_commands(InstanceId=node)["Commands"] == []


@pytest.mark.parametrize("args, message", [
    (["fix", "i-123"], "malformed"),
    (["fix", "no-such-node"], "no instance or managed node named"),
    (["fix", "web-01", "--timeout", "0"], "--timeout must be a positive number"),
    (["fix", "web-01", "--timeout", "soon"], "Invalid value for '--timeout'"),
])
def test_fix_bad_input_exits_2_with_one_line(cli: Callable[..., Result], args: list[str], message: str) -> None:
    res = cli(*args)
    assert res.code == 2
    assert len(res.stderr.strip().splitlines()) == 1 and message in res.stderr
    assert "Traceback" not in res.stderr


def test_fix_confirmation_on_a_terminal_answer_no(sandbox_http: Any, plugin_dir: Path, tmp_path: Path) -> None:
    from tests.clikit import base_env

    node = str(sandbox_http.targets["old-agent"])
    res = run_in_pty(["fix", node, "--apply"], base_env(sandbox_http.endpoint_url, plugin_dir),
                     tmp_path / "unused", "n")
    assert f"Apply 1 remedy to {node} in {REGION}? [y/N]" in res.stdout
    assert "cancelled; nothing was changed" in res.stdout
    assert res.code == 1
    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=sandbox_http.endpoint_url)
    assert ssm.list_commands(InstanceId=node)["Commands"] == []
