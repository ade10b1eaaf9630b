"""The sandbox AWS: moto plus the SSM operations it lacks, fault injection and the demo fleet.

Every API test runs twice: in-process (``mock_aws``) and against the HTTP server.
Tests that change state work in their own region (or on their own resources) so the one
seeded fleet per mode stays as seeded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.retries.standard
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from doctor.sandbox import moto_ext
from doctor.sandbox.fleet import ACCOUNT_ID, AMBIGUOUS_NAME, SCENARIOS
from doctor.sandbox.server import Sandbox, http_server, in_process

NODE_ID = re.compile(r"^(i-[0-9a-f]{17}|mi-[0-9a-f]{17})$")
SCRATCH = "ap-southeast-2"  # a region the seed leaves empty, for tests that change state


@pytest.fixture(scope="module", params=["in_process", "http_server"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    before = os.environ.get("AWS_ACCESS_KEY_ID")
    start = in_process if request.param == "in_process" else http_server
    with start() as running:
        assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
        yield running
    assert os.environ.get("AWS_ACCESS_KEY_ID") == before
    assert moto_ext.FAULTS.throttle_rate == 0.0 and not moto_ext.FAULTS.deny


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[moto_ext.Faults]:
    """The process-wide faults, cleared around the test; botocore retries without sleeping."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda *a: 0)
    moto_ext.FAULTS.clear()
    yield moto_ext.FAULTS
    moto_ext.FAULTS.clear()


def client(sb: Sandbox, service: str, region: str = "us-east-1", config: Config | None = None) -> Any:
    make: Any = boto3.client
    return make(service, region_name=region, endpoint_url=sb.endpoint_url, config=config)


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def all_nodes(ssm: Any, **kwargs: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    for page in ssm.get_paginator("describe_instance_information").paginate(**kwargs):
        nodes.extend(page["InstanceInformationList"])
    return nodes


def ids(nodes: list[dict[str, Any]]) -> set[str]:
    return {n["InstanceId"] for n in nodes}


# --------------------------------------------------------------------------- fleet


def test_seed_returns_every_scenario_with_valid_ids(sandbox: Sandbox) -> None:
    assert set(sandbox.targets) == {s.key for s in SCENARIOS}
    assert all(NODE_ID.match(node_id) for node_id in sandbox.targets.values())
    hybrid = {s.key for s in SCENARIOS if s.kind == "hybrid"}
    assert {k for k, v in sandbox.targets.items() if v.startswith("mi-")} == hybrid


def test_seeded_fleet_matches_scenarios(sandbox: Sandbox) -> None:
    t = sandbox.targets
    east = all_nodes(client(sandbox, "ssm"))
    by_id = {n["InstanceId"]: n for n in east}
    assert t["not-registered"] not in by_id and t["stopped"] not in by_id
    assert by_id[t["old-agent"]]["AgentVersion"] == "2.3.50.0"
    assert by_id[t["old-agent"]]["IsLatestVersion"] is False
    assert by_id[t["healthy-windows"]]["PlatformType"] == "Windows"
    lost = by_id[t["connection-lost"]]
    assert lost["PingStatus"] == "ConnectionLost"
    age = dt.datetime.now(dt.timezone.utc) - lost["LastPingDateTime"]
    assert dt.timedelta(days=2, hours=23) < age < dt.timedelta(days=3, hours=1)
    fs01 = by_id[t["hybrid-standard"]]
    assert (fs01["ResourceType"], fs01["ComputerName"], fs01["IamRole"]) == (
        "ManagedInstance",
        "onprem-fs01",
        "SSMServiceRole",
    )
    west = all_nodes(client(sandbox, "ssm", "eu-west-1"))
    assert ids(west) == {t["hybrid-advanced"], t["hybrid-role-deleted"], t["dhmc-no-profile"]}  # the last through DHMC
    assert {n["InstanceId"]: n["PlatformType"] for n in west}[t["hybrid-advanced"]] == "Windows"
    dup = all_nodes(client(sandbox, "ssm"), Filters=[{"Key": "tag:Name", "Values": [AMBIGUOUS_NAME]}])
    assert len(dup) == 2

    iam = client(sandbox, "iam")
    attached = iam.list_attached_role_policies(RoleName="SSMInstanceRole")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonSSMManagedInstanceCore"]
    assert iam.get_user_policy(UserName="moto", PolicyName="SessionManagerOperator")
    prefs = client(sandbox, "ssm").get_document(Name="SSM-SessionManagerRunShell")
    inputs = json.loads(prefs["Content"])["inputs"]
    key = client(sandbox, "kms").describe_key(KeyId="alias/session-manager")["KeyMetadata"]
    assert inputs["kmsKeyId"] == key["Arn"] and inputs["idleSessionTimeout"] == "20"


def test_aws_owned_documents_exist(sandbox: Sandbox) -> None:
    ssm = client(sandbox, "ssm", SCRATCH)
    reset = ssm.describe_document(Name="AWS-PasswordReset")["Document"]
    assert (reset["Owner"], reset["DocumentType"]) == ("Amazon", "Session")
    content = ssm.get_document(Name="AWS-PasswordReset", DocumentFormat="YAML")["Content"]
    assert 'sessionType: "InteractiveCommands"' in content and "passwd {{username}}" in content
    update = ssm.get_document(Name="AWS-UpdateSSMAgent")
    doc = json.loads(update["Content"])
    assert update["DocumentType"] == "Command" and doc["schemaVersion"] == "2.2"
    assert set(doc["parameters"]) == {"version", "allowDowngrade"}


def test_sandboxes_nest_without_touching_each_other(sandbox: Sandbox) -> None:
    outer = ids(all_nodes(client(sandbox, "ssm")))
    with in_process(seed_fleet=False) as inner:
        ssm = client(inner, "ssm")
        assert all_nodes(ssm) == []
        moto_ext.register_node(ACCOUNT_ID, "us-east-1", {"ComputerName": "inner-only"})
        assert len(all_nodes(ssm)) == 1
    assert ids(all_nodes(client(sandbox, "ssm"))) == outer


# --------------------------------------------------------------------------- DescribeInstanceInformation


def test_describe_instance_information_pages_and_filters(sandbox: Sandbox) -> None:
    ssm = client(sandbox, "ssm")
    t = sandbox.targets
    first = ssm.describe_instance_information(MaxResults=5)
    assert len(first["InstanceInformationList"]) == 5 and first["NextToken"]
    rest = ssm.describe_instance_information(MaxResults=5, NextToken=first["NextToken"])
    assert ids(first["InstanceInformationList"]).isdisjoint(ids(rest["InstanceInformationList"]))
    paged = ids(all_nodes(ssm, PaginationConfig={"PageSize": 5}))
    assert len(paged) > 10 and paged == ids(ssm.describe_instance_information(MaxResults=50)["InstanceInformationList"])

    def only(**kwargs: Any) -> set[str]:
        return ids(all_nodes(ssm, **kwargs))

    assert only(Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}]) == {t["connection-lost"]}
    assert only(Filters=[{"Key": "PlatformTypes", "Values": ["Windows"]}]) == {t["healthy-windows"]}
    assert only(Filters=[{"Key": "ResourceType", "Values": ["ManagedInstance"]}]) == {t["hybrid-standard"]}
    assert only(Filters=[{"Key": "tag:Name", "Values": ["web-01"]}]) == {t["healthy-linux"]}
    assert t["not-registered"] not in only(Filters=[{"Key": "tag-key", "Values": ["Name"]}])
    assert only(InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": [t["old-agent"], t["stopped"]]}]) == {
        t["old-agent"]
    }
    assert only(InstanceInformationFilterList=[{"key": "AgentVersion", "valueSet": ["2.3.50.0"]}]) == {t["old-agent"]}
    with pytest.raises(ClientError) as bad_key:
        ssm.describe_instance_information(Filters=[{"Key": "Colour", "Values": ["x"]}])
    assert error_code(bad_key) == "InvalidFilterKey"
    with pytest.raises(ClientError) as too_many:
        ssm.describe_instance_information(MaxResults=51)
    assert error_code(too_many) == "ValidationException"


def test_auto_registration_follows_instance_state(sandbox: Sandbox) -> None:
    ec2, ssm = client(sandbox, "ec2", SCRATCH), client(sandbox, "ssm", SCRATCH)
    image = ec2.describe_images(Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}])
    kwargs: dict[str, Any] = {"ImageId": image["Images"][0]["ImageId"], "MinCount": 1, "MaxCount": 1}
    managed = ec2.run_instances(IamInstanceProfile={"Name": "SSMInstanceRole"}, **kwargs)
    node = managed["Instances"][0]["InstanceId"]
    bare = ec2.run_instances(**kwargs)["Instances"][0]["InstanceId"]
    tagged = ec2.run_instances(
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "ssm-sandbox:registered", "Value": "true"}]}],
        **kwargs,
    )["Instances"][0]["InstanceId"]
    assert {node, tagged} <= ids(all_nodes(ssm)) and bare not in ids(all_nodes(ssm))

    ec2.stop_instances(InstanceIds=[node])
    assert node not in ids(all_nodes(ssm))
    assert ssm.get_connection_status(Target=node)["Status"] == "notconnected"
    ec2.start_instances(InstanceIds=[node])
    assert node in ids(all_nodes(ssm))
    ec2.terminate_instances(InstanceIds=[node, bare, tagged])


def test_hybrid_node_via_parameter_and_tier(sandbox: Sandbox) -> None:
    ssm = client(sandbox, "ssm", SCRATCH)
    node = moto_ext.new_managed_node_id()
    name = f"{moto_ext.MANAGED_NODES_PREFIX}{node}"
    info = {"ComputerName": "lab-07", "PlatformType": "Linux", "IPAddress": "192.168.1.7"}
    ssm.put_parameter(Name=name, Value=json.dumps(info), Type="String")
    assert json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"]) == info
    [found] = all_nodes(ssm, Filters=[{"Key": "InstanceIds", "Values": [node]}])
    assert found["ResourceType"] == "ManagedInstance" and found["ComputerName"] == "lab-07"
    assert isinstance(found["RegistrationDate"], dt.datetime)
    assert ssm.get_connection_status(Target=node)["Status"] == "connected"

    with pytest.raises(ClientError) as standard:
        ssm.start_session(Target=node, DocumentName="AWS-PasswordReset")
    assert error_code(standard) == "BadRequest"
    assert "advanced-instances tier" in str(standard.value)
    tier = "/ssm/managed-instance/activation-tier"
    ssm.update_service_setting(SettingId=tier, SettingValue="advanced")
    started = ssm.start_session(Target=node, DocumentName="AWS-PasswordReset")
    ssm.terminate_session(SessionId=started["SessionId"])
    ssm.reset_service_setting(SettingId=tier)

    quiet = dict(info, **{"ssm-sandbox:connection": "notconnected"})
    ssm.put_parameter(Name=name, Value=json.dumps(quiet), Type="String", Overwrite=True)
    assert ssm.get_connection_status(Target=node)["Status"] == "notconnected"
    ssm.delete_parameter(Name=name)
    assert node not in ids(all_nodes(ssm))
    with pytest.raises(ClientError) as invalid:
        ssm.put_parameter(Name=name, Value="not json", Type="String")
    assert error_code(invalid) == "ValidationException"


def test_register_node_from_python(sandbox: Sandbox) -> None:
    node = moto_ext.register_node(ACCOUNT_ID, SCRATCH, {"ComputerName": "py-01", "PingStatus": "ConnectionLost"})
    ssm = client(sandbox, "ssm", SCRATCH)
    try:
        assert node in ids(all_nodes(ssm, Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}]))
        assert ssm.get_connection_status(Target=node)["Status"] == "notconnected"
    finally:
        moto_ext.deregister_node(ACCOUNT_ID, SCRATCH, node)
    assert node not in ids(all_nodes(ssm))


# --------------------------------------------------------------------------- connection, settings


def test_connection_status(sandbox: Sandbox) -> None:
    t = sandbox.targets
    ssm = client(sandbox, "ssm")
    status = {k: ssm.get_connection_status(Target=t[k])["Status"] for k in t if k != "hybrid-advanced"}
    assert {k for k, v in status.items() if v == "connected"} == {
        "healthy-linux",
        "healthy-windows",
        "old-agent",
        "hybrid-standard",
        "recent-failures",
        "start-session-prod-tag",
        "send-command-denied-node",
    }
    assert ssm.get_connection_status(Target="i-00000000000000000")["Status"] == "notconnected"


def test_connection_follows_the_role_once_it_may_open_channels() -> None:
    """The node whose role lacks the ssmmessages actions connects after AmazonSSMManagedInstanceCore is attached."""
    from doctor.sandbox.fleet import NO_MESSAGES_ROLE

    with in_process() as sb:
        node = sb.targets["role-without-ssmmessages"]
        ssm, iam = client(sb, "ssm"), client(sb, "iam")
        assert ssm.get_connection_status(Target=node)["Status"] == "notconnected"
        iam.attach_role_policy(RoleName=NO_MESSAGES_ROLE,
                               PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
        assert ssm.get_connection_status(Target=node)["Status"] == "connected"


def test_service_settings(sandbox: Sandbox) -> None:
    ssm = client(sandbox, "ssm", "eu-west-2")
    tier = "/ssm/managed-instance/activation-tier"
    arn = f"arn:aws:ssm:eu-west-2:{ACCOUNT_ID}:servicesetting{tier}"
    default = ssm.get_service_setting(SettingId=tier)["ServiceSetting"]
    assert (default["SettingValue"], default["Status"], default["ARN"]) == ("standard", "Default", arn)
    ssm.update_service_setting(SettingId=arn, SettingValue="advanced")
    custom = ssm.get_service_setting(SettingId=tier)["ServiceSetting"]
    assert (custom["SettingId"], custom["SettingValue"], custom["Status"]) == (
        tier,
        "advanced",
        "Customized",
    )
    assert custom["LastModifiedUser"].endswith(":user/moto")
    reset = ssm.reset_service_setting(SettingId=arn)["ServiceSetting"]
    assert (reset["SettingValue"], reset["Status"]) == ("standard", "Default")
    dhmc = "/ssm/managed-instance/default-ec2-instance-management-role"
    assert ssm.get_service_setting(SettingId=dhmc)["ServiceSetting"]["SettingValue"] == "$None"
    with pytest.raises(ClientError) as missing:
        ssm.get_service_setting(SettingId="/ssm/no/such-setting")
    assert error_code(missing) == "ServiceSettingNotFound"
    with pytest.raises(ClientError) as bad_value:
        ssm.update_service_setting(SettingId=tier, SettingValue="premium")
    assert error_code(bad_value) == "ValidationException"
    west = client(sandbox, "ssm", "eu-west-1").get_service_setting(SettingId=tier)
    assert west["ServiceSetting"]["SettingValue"] == "advanced"


# --------------------------------------------------------------------------- sessions


def test_start_session_errors(sandbox: Sandbox) -> None:
    t = sandbox.targets
    ssm = client(sandbox, "ssm")
    with pytest.raises(ClientError) as no_doc:
        ssm.start_session(Target=t["healthy-linux"], DocumentName="No-Such-Document")
    assert error_code(no_doc) == "InvalidDocument"
    with pytest.raises(ClientError) as lost:
        ssm.start_session(Target=t["connection-lost"], DocumentName="AWS-PasswordReset")
    assert error_code(lost) == "TargetNotConnected"
    assert lost.value.response["Error"]["Message"] == f"{t['connection-lost']} is not connected."
    with pytest.raises(ClientError) as tier:
        ssm.start_session(Target=t["hybrid-standard"], DocumentName="AWS-PasswordReset")
    assert error_code(tier) == "BadRequest"


def test_start_terminate_resume_session(sandbox: Sandbox) -> None:
    t = sandbox.targets
    ssm = client(sandbox, "ssm")
    started = ssm.start_session(
        Target=t["healthy-linux"],
        DocumentName="AWS-PasswordReset",
        Parameters={"username": ["ec2-user"]},
        Reason="password reset",
    )
    sid = started["SessionId"]
    assert re.fullmatch(r"moto-[0-9a-f]{17}", sid)
    assert started["TokenValue"]
    assert started["StreamUrl"].startswith(
        f"wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/{sid}?role=publish_subscribe"
    )
    [record] = [s for s in moto_ext.sessions(ACCOUNT_ID, "us-east-1") if s["SessionId"] == sid]
    assert record["Parameters"] == {"username": ["ec2-user"]}
    active = ssm.describe_sessions(State="Active", Filters=[{"key": "SessionId", "value": sid}])
    [session] = active["Sessions"]
    assert (session["Status"], session["DocumentName"], session["Reason"]) == (
        "Connected",
        "AWS-PasswordReset",
        "password reset",
    )
    assert session["Owner"] == f"arn:aws:sts::{ACCOUNT_ID}:user/moto"
    assert ssm.resume_session(SessionId=sid)["SessionId"] == sid

    assert ssm.terminate_session(SessionId=sid)["SessionId"] == sid
    history = ssm.describe_sessions(State="History", Filters=[{"key": "SessionId", "value": sid}])
    assert [s["Status"] for s in history["Sessions"]] == ["Terminated"]
    assert "EndDate" in history["Sessions"][0]
    with pytest.raises(ClientError) as gone:
        ssm.resume_session(SessionId=sid)
    assert error_code(gone) == "DoesNotExistException"

    west = client(sandbox, "ssm", "eu-west-1")
    advanced = west.start_session(Target=t["hybrid-advanced"], DocumentName="AWS-PasswordReset")
    west.terminate_session(SessionId=advanced["SessionId"])


def test_describe_sessions_history_filters(sandbox: Sandbox) -> None:
    target = sandbox.targets["recent-failures"]
    ssm = client(sandbox, "ssm")
    failed = [
        {"key": "Target", "value": target},
        {"key": "Status", "value": "Failed"},
    ]
    sessions = ssm.describe_sessions(State="History", Filters=failed)["Sessions"]
    assert len(sessions) == 2
    assert sessions[0]["StartDate"] > sessions[1]["StartDate"]
    assert all(s["DocumentName"] == "AWS-PasswordReset" for s in sessions)
    since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = ssm.describe_sessions(State="History", Filters=[*failed, {"key": "InvokedAfter", "value": since}])
    assert len(recent["Sessions"]) == 1
    page = ssm.describe_sessions(State="History", Filters=failed, MaxResults=1)
    assert len(page["Sessions"]) == 1 and page["NextToken"]
    assert ssm.describe_sessions(State="Active", Filters=failed)["Sessions"] == []
    with pytest.raises(ClientError) as bad_key:
        ssm.describe_sessions(State="History", Filters=[{"key": "Colour", "value": "x"}])
    assert error_code(bad_key) == "InvalidFilterKey"


# --------------------------------------------------------------------------- Run Command


def test_list_command_invocations(sandbox: Sandbox) -> None:
    node = sandbox.targets["old-agent"]
    ssm = client(sandbox, "ssm")
    command = ssm.send_command(InstanceIds=[node], DocumentName="AWS-UpdateSSMAgent")["Command"]
    detailed = ssm.list_command_invocations(CommandId=command["CommandId"], Details=True)
    [invocation] = detailed["CommandInvocations"]
    assert (invocation["InstanceId"], invocation["Status"]) == (node, "Success")
    [plugin] = invocation["CommandPlugins"]
    assert plugin["Name"] == "aws:updateSsmAgent" and moto_ext.LATEST_AGENT_VERSION in plugin["Output"]
    brief = ssm.list_command_invocations(CommandId=command["CommandId"], InstanceId=node)
    assert brief["CommandInvocations"][0]["CommandPlugins"] == []
    moto_ext.set_command_result(ACCOUNT_ID, "us-east-1", "Failed", "boom", instance_id=node)
    try:
        failed = ssm.list_command_invocations(CommandId=command["CommandId"], Details=True)
        assert failed["CommandInvocations"][0]["CommandPlugins"][0]["Output"] == "boom"
    finally:
        moto_ext.set_command_result(ACCOUNT_ID, "us-east-1", "Success", None, instance_id=node)
    with pytest.raises(ClientError) as unknown:
        ssm.list_command_invocations(CommandId=str(uuid.uuid4()))
    assert error_code(unknown) == "InvalidCommandId"


# --------------------------------------------------------------------------- faults


def test_denied_operation(sandbox: Sandbox, faults: moto_ext.Faults) -> None:
    ssm = client(sandbox, "ssm")
    faults.configure(deny=["ssm:DescribeInstanceInformation"])
    with pytest.raises(ClientError) as denied:
        ssm.describe_instance_information()
    assert error_code(denied) == "AccessDeniedException"
    message = denied.value.response["Error"]["Message"]
    assert message.startswith(f"User: arn:aws:sts::{ACCOUNT_ID}:user/moto is not authorized")
    assert message.endswith("because no identity-based policy allows the ssm:DescribeInstanceInformation action")
    assert ssm.get_connection_status(Target=sandbox.targets["healthy-linux"])["Status"]

    # the same over the API, through the control parameter
    ssm.put_parameter(Name=moto_ext.FAULTS_PARAMETER, Value=json.dumps({"deny": ["iam:GetRole"]}), Type="String")
    ssm.describe_instance_information()
    with pytest.raises(ClientError) as iam_denied:
        client(sandbox, "iam").get_role(RoleName="SSMInstanceRole")
    assert error_code(iam_denied) == "AccessDenied"
    assert iam_denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    ssm.delete_parameter(Name=moto_ext.FAULTS_PARAMETER)
    assert client(sandbox, "iam").get_role(RoleName="SSMInstanceRole")

    # REST protocols (S3) name the operation too
    s3 = client(sandbox, "s3")
    s3.create_bucket(Bucket="sandbox-session-logs")
    faults.configure(deny=["s3:GetBucketEncryption"])
    with pytest.raises(ClientError) as s3_denied:
        s3.get_bucket_encryption(Bucket="sandbox-session-logs")
    assert error_code(s3_denied) == "AccessDenied"
    assert "on resource: arn:aws:s3:::sandbox-session-logs " in str(s3_denied.value)
    assert s3.list_buckets()["Buckets"]


def test_full_throttling_without_retries(sandbox: Sandbox, faults: moto_ext.Faults) -> None:
    # botocore reads ``max_attempts`` here as the number of retries: two attempts, both throttled
    once = Config(retries={"mode": "standard", "max_attempts": 1})
    ssm = client(sandbox, "ssm", config=once)
    faults.configure(throttle_rate=1.0)
    with pytest.raises(ClientError) as json_protocol:
        ssm.describe_instance_information()
    assert error_code(json_protocol) == "ThrottlingException"
    assert json_protocol.value.response["Error"]["Message"] == "Rate exceeded"
    with pytest.raises(ClientError) as query_protocol:
        client(sandbox, "iam", config=once).list_roles()
    assert error_code(query_protocol) == "Throttling"
    # the control parameters stay reachable
    ssm.put_parameter(Name=moto_ext.FAULTS_PARAMETER, Value=json.dumps({"throttle_rate": 0}), Type="String")
    assert ssm.describe_instance_information()["InstanceInformationList"]
    ssm.delete_parameter(Name=moto_ext.FAULTS_PARAMETER)


def test_partial_throttling_is_absorbed_by_retries(sandbox: Sandbox, faults: moto_ext.Faults) -> None:
    ssm = client(sandbox, "ssm", config=Config(retries={"mode": "standard", "max_attempts": 10}))
    faults.configure(throttle_rate=0.3, seed=7)
    retries = 0
    for _ in range(12):
        reply = ssm.get_connection_status(Target=sandbox.targets["healthy-linux"])
        assert reply["Status"] == "connected"
        retries += reply["ResponseMetadata"]["RetryAttempts"]
    assert retries > 0


def test_faults_from_environment() -> None:
    f = moto_ext.Faults()
    f.configure_from_env({"SSM_SANDBOX_THROTTLE_RATE": "0.25", "SSM_SANDBOX_DENY": "ssm:StartSession, iam:Get*"})
    assert f.throttle_rate == 0.25 and f.deny == {"ssm:StartSession", "iam:Get*"}
    assert f.decide("iam", "GetRole") == "deny"
    with f.suspended():
        assert f.decide("ssm", "StartSession") is None
    f.configure(throttle_rate=0.0)
    assert f.decide("ssm", "GetDocument") is None
    with pytest.raises(ValueError):
        f.configure(throttle_rate=1.5)


# --------------------------------------------------------------------------- the moto guard


def test_install_refuses_operations_moto_implements() -> None:
    from moto.ssm.responses import SimpleSystemManagerResponse

    moto_ext.install()
    moto_ext.install()  # idempotent
    moto_ext.check_not_native(SimpleSystemManagerResponse)  # our own methods pass

    class Upgraded(SimpleSystemManagerResponse):
        def start_session(self) -> Any:  # as if moto implemented it natively
            return None

    with pytest.raises(RuntimeError, match="ssm:StartSession natively"):
        moto_ext.check_not_native(Upgraded)
