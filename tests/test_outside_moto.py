"""ssm-doctor against a fake AWS that is not its own: a plain moto server (its own minimal Systems Manager operations,
no ``doctor.sandbox``), seeded with boto3, and ``ssm-doctor pwreset`` as a subprocess.

Plain moto differs from the project's sandbox in ways any other moto setup shows: no SimulatePrincipalPolicy (the
caller's and the node role's policies are evaluated locally), no AWS managed policies, a default VPC without an
internet gateway, and operations such a setup may not have added at all (moto answers those with an HTML 500).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests import clikit

REGION = "us-east-1"
READ_ONLY = re.compile(r"^[a-z0-9-]+:(Describe|Get|List|Simulate)[A-Za-z]*$")
CORE_ACTIONS = [
    "ssm:UpdateInstanceInformation", "ssm:GetDocument", "ssm:DescribeDocument", "ssm:ListAssociations",
    "ssm:ListInstanceAssociations", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel", "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint", "ec2messages:GetMessages",
    "ec2messages:SendReply",
]
OPERATOR_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Resource": "*", "Action": [
            "ssm:Describe*", "ssm:Get*", "ssm:List*", "ec2:Describe*", "iam:Get*", "iam:List*",
            "iam:SimulatePrincipalPolicy", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GenerateDataKey"]},
        {"Effect": "Allow", "Action": ["ssm:StartSession", "ssm:SendCommand"],
         "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:managed-instance/*",
                      "arn:aws:ssm:*::document/AWS-PasswordReset", "arn:aws:ssm:*::document/AWS-UpdateSSMAgent"]},
        {"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession"],
         "Resource": "arn:aws:ssm:*:*:session/${aws:username}-*"},
    ],
}


@dataclass
class Outside:
    url: str
    state_file: Path
    creds: dict[str, str]
    ids: dict[str, str]
    state: dict[str, Any] = field(default_factory=dict)

    def write(self, **changes: Any) -> None:
        data = {**self.state, **changes}
        self.state_file.write_text(json.dumps(data))

    def requests(self) -> Counter[str]:
        log = Path(f"{self.state_file}.log")
        return Counter(log.read_text().split()) if log.exists() else Counter()

    def clear_log(self) -> None:
        Path(f"{self.state_file}.log").unlink(missing_ok=True)


def _client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _seed(url: str) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    iam, ec2, kms, ssm = (_client(url, s) for s in ("iam", "ec2", "kms", "ssm"))
    key_arn = kms.create_key(Description="session data")["KeyMetadata"]["Arn"]
    role_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": CORE_ACTIONS, "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn}]}
    for role, service in (("NodeRole", "ec2.amazonaws.com"), ("HybridRole", "ssm.amazonaws.com")):
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName=role, PolicyName="ssm", PolicyDocument=json.dumps(role_policy))
    iam.create_instance_profile(InstanceProfileName="NodeProfile")
    iam.add_role_to_instance_profile(InstanceProfileName="NodeProfile", RoleName="NodeRole")
    iam.create_user(UserName="operator")
    iam.put_user_policy(UserName="operator", PolicyName="reset", PolicyDocument=json.dumps(OPERATOR_POLICY))
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    prefs = {"schemaVersion": "1.0", "description": "Session Manager preferences", "sessionType": "Standard_Stream",
             "inputs": {"kmsKeyId": key_arn, "s3BucketName": "", "cloudWatchLogGroupName": "",
                        "s3EncryptionEnabled": True, "cloudWatchEncryptionEnabled": True, "runAsEnabled": False}}
    ssm.create_document(Name="SSM-SessionManagerRunShell", Content=json.dumps(prefs), DocumentType="Session",
                        DocumentFormat="JSON")
    # moto's default VPC has no internet gateway; a real one routes 0.0.0.0/0 to one.
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]
    ec2.create_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]

    def launch(name: str) -> str:
        reply = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                  IamInstanceProfile={"Name": "NodeProfile"},
                                  TagSpecifications=[{"ResourceType": "instance",
                                                      "Tags": [{"Key": "Name", "Value": name}]}])
        return str(reply["Instances"][0]["InstanceId"])

    ids = {name: launch(name) for name in ("web-01", "legacy-01", "lost-01", "stopped-01", "twin-a", "twin-b")}
    ec2.create_tags(Resources=[ids["twin-a"], ids["twin-b"]], Tags=[{"Key": "Name", "Value": "twin"}])
    ec2.stop_instances(InstanceIds=[ids["stopped-01"]])
    ids["onprem-std"] = "mi-0aaaaaaaaaaaaaaa1"
    ids["onprem-adv"] = "mi-0aaaaaaaaaaaaaaa2"
    now = time.time()

    def record(node: str, **over: Any) -> dict[str, Any]:
        data = {"InstanceId": node, "PingStatus": "Online", "LastPingDateTime": now, "AgentVersion": "3.3.987.0",
                "IsLatestVersion": True, "PlatformType": "Linux", "PlatformName": "Amazon Linux",
                "PlatformVersion": "2023", "ResourceType": "EC2Instance", "ComputerName": f"{node}.internal",
                "IamRole": "NodeRole"}
        data.update(over)
        return data

    registrations = {
        ids["web-01"]: record(ids["web-01"]),
        ids["legacy-01"]: record(ids["legacy-01"], AgentVersion="2.3.50.0", IsLatestVersion=False),
        ids["lost-01"]: record(ids["lost-01"], PingStatus="ConnectionLost", LastPingDateTime=now - 7200),
        ids["stopped-01"]: record(ids["stopped-01"], PingStatus="ConnectionLost", LastPingDateTime=now - 7200),
        ids["twin-a"]: record(ids["twin-a"]),
        ids["twin-b"]: record(ids["twin-b"]),
        ids["onprem-std"]: record(ids["onprem-std"], ResourceType="ManagedInstance", IamRole="HybridRole",
                                  ComputerName="onprem-std", ActivationId="0123abcd-0000-0000-0000-000000000000"),
        ids["onprem-adv"]: record(ids["onprem-adv"], ResourceType="ManagedInstance", IamRole="HybridRole",
                                  ComputerName="onprem-adv", ActivationId="0123abcd-0000-0000-0000-000000000000"),
    }
    creds = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    return ids, creds, {"registrations": registrations}


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outside]:
    state_file = tmp_path_factory.mktemp("outside") / "state.json"
    state_file.write_text("{}")
    proc = subprocess.Popen([sys.executable, "-m", "tests.outside_moto", str(state_file)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=Path(__file__).resolve().parent.parent)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://"), "the outside moto server did not start"
        ids, creds, state = _seed(url)
        world = Outside(url, state_file, creds, ids, state)
        world.write()
        yield world
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def run(outside: Outside, plugin_dir: Path) -> Iterator[Callable[..., clikit.Result]]:
    def cli(*args: str, plugin: bool = True, **state: Any) -> clikit.Result:
        outside.write(**state)
        outside.clear_log()
        env = clikit.base_env(outside.url, plugin_dir if plugin else None)
        env.update(outside.creds)
        return clikit.run(list(args), env)

    yield cli
    outside.write()


def test_healthy_node_is_ready_in_plain_moto(run: Callable[..., clikit.Result], outside: Outside) -> None:
    res = run("pwreset", outside.ids["web-01"], "--user", "ec2-user", "--format", "json")
    assert res.code == 0, res.stdout
    target = res.target()
    assert (target["verdict"], target["root_causes"]) == ("ready", [])
    # the caller's and the node role's permissions were decided by reading their policies
    assert res.status("caller.start-session") == "pass"
    assert res.status("node.role-permissions") == "pass"
    assert res.status("prefs.kms") == "pass" and res.status("kms.key") == "pass"


def test_diagnosis_only_reads(run: Callable[..., clikit.Result], outside: Outside) -> None:
    res = run("pwreset", outside.ids["web-01"], "--format", "json")
    assert res.code == 0
    seen = outside.requests()
    assert seen and all(READ_ONLY.match(action) for action in seen), seen
    # the report counts the same calls the server answered
    assert Counter(res.json()["aws_calls"]) == seen


@pytest.mark.parametrize(
    ("node", "verdict", "causes"),
    [
        ("legacy-01", "blocked", ["agent.version"]),
        ("lost-01", "blocked", ["node.online"]),
        ("stopped-01", "blocked", ["ec2.instance"]),
        ("onprem-std", "blocked", ["hybrid.tier"]),
    ],
)
def test_problem_nodes(run: Callable[..., clikit.Result], outside: Outside, node: str, verdict: str,
                       causes: list[str]) -> None:
    res = run("pwreset", outside.ids[node], "--format", "json")
    assert (res.target()["verdict"], res.target()["root_causes"]) == (verdict, causes), res.stdout
    assert res.code == 1


def test_hybrid_node_on_the_advanced_tier(run: Callable[..., clikit.Result], outside: Outside) -> None:
    res = run("pwreset", outside.ids["onprem-adv"], "--format", "json",
              settings={"/ssm/managed-instance/activation-tier": "advanced"})
    assert (res.code, res.target()["verdict"]) == (0, "ready"), res.stdout
    assert res.status("hybrid.tier") == "pass"
    assert res.status("ec2.instance") == "skip" and res.status("network.path") == "skip"


def test_missing_instance_names_the_region(run: Callable[..., clikit.Result]) -> None:
    res = run("pwreset", "i-0fffffffffffffff0", "--format", "json")
    assert res.code == 1
    assert res.target()["root_causes"] == ["ec2.instance"]
    assert REGION in res.check("ec2.instance")["summary"]


def test_no_plugin_and_bad_user(run: Callable[..., clikit.Result], outside: Outside) -> None:
    res = run("pwreset", outside.ids["web-01"], "--format", "json", plugin=False)
    assert (res.code, res.target()["root_causes"]) == (1, ["local.plugin"])
    res = run("pwreset", outside.ids["web-01"], "--user", "bad user;", "--format", "json")
    assert (res.code, res.target()["root_causes"]) == (1, ["input.username"])


def test_name_tag_resolves_to_the_node(run: Callable[..., clikit.Result], outside: Outside) -> None:
    res = run("pwreset", "web-01", "--format", "json")
    assert res.code == 0
    assert res.target()["target"] == outside.ids["web-01"]


@pytest.mark.parametrize("target", ["twin", "i-123", "I-0123456789ABCDEF0", "mi-12345"])
def test_ambiguous_name_or_malformed_id_is_one_line(run: Callable[..., clikit.Result], target: str) -> None:
    res = run("pwreset", target, "--format", "json")
    assert res.code == 2
    assert res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_describe_instance_information_denied(run: Callable[..., clikit.Result], outside: Outside) -> None:
    res = run("pwreset", outside.ids["web-01"], "--format", "json", deny=["ssm:DescribeInstanceInformation"])
    assert res.code == 3, res.stdout
    target = res.target()
    assert (target["verdict"], target["root_causes"]) == ("incomplete", ["node.registered"])
    check = res.check("node.registered")
    assert check["status"] == "unknown" and "ssm:DescribeInstanceInformation" in check["missing"]


def test_throttling_does_not_change_the_verdict(run: Callable[..., clikit.Result], outside: Outside) -> None:
    res = run("pwreset", outside.ids["legacy-01"], "--format", "json", throttle=0.3)
    assert (res.target()["verdict"], res.target()["root_causes"]) == ("blocked", ["agent.version"]), res.stdout
    assert not [c for c in res.target()["checks"] if c["status"] == "unknown"]
    # the server really throttled: it answered more requests than the calls the report counts
    assert sum(outside.requests().values()) > sum(res.json()["aws_calls"].values())


def test_operations_the_server_lacks_are_unknown(run: Callable[..., clikit.Result], outside: Outside) -> None:
    res = run("pwreset", outside.ids["web-01"], "--format", "json",
              absent=["get_connection_status", "describe_sessions"])
    assert res.code == 3, res.stdout
    assert res.target()["root_causes"] == ["node.connectable", "sessions.recent-failures"]
    check = res.check("node.connectable")
    assert check["status"] == "unknown" and check["missing"] == ["ssm:GetConnectionStatus"]
    assert "<" not in check["summary"], "an HTML error page is summarised, not pasted"
    # a server error is retried the standard number of times, not as patiently as throttling
    from doctor.aws import BOTOCORE_ATTEMPTS

    assert outside.requests()["ssm:GetConnectionStatus"] == BOTOCORE_ATTEMPTS


def test_unreachable_endpoint_is_incomplete(plugin_dir: Path, outside: Outside, tmp_path: Path) -> None:
    env = clikit.base_env("http://127.0.0.1:9", plugin_dir)
    res = clikit.run(["pwreset", outside.ids["web-01"], "--format", "json"], env)
    assert res.code == 3
    assert res.target()["root_causes"] == ["local.credentials"]
    assert res.status("local.credentials") == "unknown"
    assert "Traceback" not in res.stderr


def test_a_region_that_cannot_be_listed_does_not_stop_the_fleet(run: Callable[..., clikit.Result],
                                                                outside: Outside) -> None:
    res = run("pwreset", "--all", "--regions", f"{REGION},eu-west-1", "--format", "json",
              deny_in={"eu-west-1": ["ssm:DescribeInstanceInformation"]})
    assert res.code == 2, res.stderr
    by_target = {t["target"]: t for t in res.json()["targets"]}
    assert by_target[outside.ids["web-01"]]["verdict"] == "ready"
    assert by_target[outside.ids["legacy-01"]]["root_causes"] == ["agent.version"]
    assert "eu-west-1" in by_target["--all in eu-west-1"]["error"]


def test_a_fleet_keeps_going_past_bad_targets(run: Callable[..., clikit.Result], outside: Outside) -> None:
    res = run("pwreset", outside.ids["web-01"], "i-123", "no-such-name", outside.ids["legacy-01"], "--format", "json")
    assert res.code == 2
    verdicts = {t["target"]: t["verdict"] for t in res.json()["targets"]}
    assert verdicts == {outside.ids["web-01"]: "ready", outside.ids["legacy-01"]: "blocked", "i-123": "invalid",
                        "no-such-name": "invalid"}


CALLER_CHECKS = ("caller.send-command", "caller.start-session", "caller.terminate-session", "caller.kms")


def _dummy_caller(outside: Outside, plugin_dir: Path, **state: Any) -> clikit.Result:
    """moto's dummy keys: GetCallerIdentity says user/moto, whom IAM does not know."""
    outside.write(**state)
    outside.clear_log()
    try:
        return clikit.run(["pwreset", outside.ids["web-01"], "--format", "json"],
                          clikit.base_env(outside.url, plugin_dir))
    finally:
        outside.write()


def test_a_caller_iam_does_not_know_is_decided_by_a_simulation_that_answers(outside: Outside,
                                                                            plugin_dir: Path) -> None:
    res = _dummy_caller(outside, plugin_dir, simulate="allow")
    assert res.json()["caller"]["arn"].endswith(":user/moto")
    for check in CALLER_CHECKS:
        assert res.check(check)["status"] == "pass", res.check(check)
    assert res.target()["verdict"] == "ready" and res.code == 0


def test_a_caller_iam_does_not_know_without_a_simulation_is_unknown(outside: Outside, plugin_dir: Path) -> None:
    res = _dummy_caller(outside, plugin_dir)
    for check in CALLER_CHECKS[:3]:
        found = res.check(check)
        assert found["status"] == "unknown" and "does not exist" in found["summary"], found
    assert res.code == 3
    # The endpoint does not simulate at all: it is asked once, not once per access record.
    assert outside.requests()["iam:SimulatePrincipalPolicy"] == 1
