"""End to end on an empty sandbox seeded here with plain boto3, the way someone testing ssm-doctor from outside
would shape things: default VPC, preferences updated in place, flags as strings, keys named by alias ARN,
endpoints created without security groups, a private node left without a registration tag.

Each run is ``ssm-doctor pwreset`` as a subprocess; each scenario has a region of its own, since Session Manager
preferences are per region.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests import clikit

ACCOUNT = "123456789012"
CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
READS = ["ssm:*", "ec2:Describe*", "iam:Get*", "iam:List*", "iam:Simulate*", "sts:GetCallerIdentity",
         "logs:Describe*", "s3:Get*"]


@dataclass
class World:
    endpoint_url: str
    plugin_dir: Path
    env: dict[str, str]

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint_url,  # type: ignore[call-overload]
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def user(self, name: str, actions: list[str]) -> dict[str, str]:
        iam = self.client("iam")
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="operator", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        env = clikit.base_env(self.endpoint_url, self.plugin_dir)
        env.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
        return env

    def role(self, name: str, decrypt: list[str] | None = None, extra: dict[str, Any] | None = None) -> str:
        iam = self.client("iam")
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
        iam.attach_role_policy(RoleName=name, PolicyArn=CORE_POLICY)
        if decrypt:
            iam.put_role_policy(RoleName=name, PolicyName="decrypt", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",
                                                         "Resource": decrypt}]}))
        if extra:
            iam.put_role_policy(RoleName=name, PolicyName="extra", PolicyDocument=json.dumps(extra))
        iam.create_instance_profile(InstanceProfileName=name)
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        return name

    def key(self, region: str, alias: str = "alias/sessions") -> dict[str, Any]:
        kms = self.client("kms", region)
        key: dict[str, Any] = kms.create_key(Description="session encryption")["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        return key

    def preferences(self, region: str, **inputs: Any) -> None:
        self.client("ssm", region).create_document(
            Name="SSM-SessionManagerRunShell", DocumentType="Session",
            Content=json.dumps({"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": inputs}))

    def vpc(self, region: str, route: str = "igw") -> tuple[str, str]:
        """A VPC with one subnet on its own route table: ``igw`` (public IPs on launch) or ``none`` (private)."""
        ec2 = self.client("ec2", region)
        vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        if route == "igw":
            ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        return vpc, subnet

    def instance(self, region: str, profile: str, subnet: str | None = None, **kwargs: Any) -> str:
        ec2 = self.client("ec2", region)
        image = ec2.describe_images(Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}])["Images"][0]
        args: dict[str, Any] = {"ImageId": image["ImageId"], "MinCount": 1, "MaxCount": 1,
                                "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": profile}, **kwargs}
        if subnet:
            args["SubnetId"] = subnet
        return str(ec2.run_instances(**args)["Instances"][0]["InstanceId"])

    def diagnose(self, node: str, region: str, env: dict[str, str] | None = None) -> clikit.Result:
        return clikit.run(["pwreset", node, "--region", region, "--user", "ec2-user", "--format", "json"],
                          env or self.env)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from doctor.sandbox.server import http_server

    plugin_dir = tmp_path_factory.mktemp("plugin")
    clikit.make_fake_plugin(plugin_dir)
    with http_server(seed_fleet=False) as sandbox:
        assert sandbox.endpoint_url
        w = World(sandbox.endpoint_url, plugin_dir, {})
        w.env = w.user("operator", [*READS, "kms:*"])
        yield w


def bad(res: clikit.Result) -> dict[str, str]:
    return {c["id"]: f"{c['status']}: {c['summary']}" for c in res.target()["checks"]
            if c["status"] not in ("pass", "skip")}


def test_no_preferences_document_is_prefs_kms(world: World) -> None:
    region = "us-west-2"
    _, subnet = world.vpc(region)
    res = world.diagnose(world.instance(region, world.role("NoPrefsRole"), subnet), region)
    assert res.target()["root_causes"] == ["prefs.kms"], bad(res)
    assert res.code == 1
    assert "No Session Manager preferences are saved" in res.check("prefs.document")["summary"]


def test_preferences_changed_with_update_document_latest_are_the_ones_read(world: World) -> None:
    """update-document --document-version $LATEST (the documented update) adds a version that is not the default."""
    region = "us-west-1"
    key = world.key(region, "alias/sessions")
    world.preferences(region, kmsKeyId="", s3EncryptionEnabled=True)
    world.client("ssm", region).update_document(
        Name="SSM-SessionManagerRunShell", DocumentVersion="$LATEST",
        Content=json.dumps({"schemaVersion": "1.0", "sessionType": "Standard_Stream",
                            "inputs": {"kmsKeyId": f"arn:aws:kms:{region}:{ACCOUNT}:alias/sessions"}}))
    _, subnet = world.vpc(region)
    res = world.diagnose(world.instance(region, world.role("UpdatedPrefsRole", [key["Arn"]]), subnet), region)
    assert res.check("prefs.kms")["status"] == "pass", bad(res)
    assert res.check("prefs.document")["evidence"]["document_version"] == "2"
    assert res.target()["root_causes"] == [] and res.code == 0, bad(res)


def test_disabled_key_named_by_alias_is_kms_key(world: World) -> None:
    region = "us-east-2"
    key = world.key(region, "alias/x")
    world.client("kms", region).disable_key(KeyId=key["KeyId"])
    world.preferences(region, kmsKeyId="alias/x", s3EncryptionEnabled="true", cloudWatchEncryptionEnabled="true")
    _, subnet = world.vpc(region)
    res = world.diagnose(world.instance(region, world.role("DisabledKeyRole", [key["Arn"]]), subnet), region)
    assert res.target()["root_causes"] == ["kms.key"], bad(res)
    assert res.check("kms.key")["evidence"]["key_state"] == "Disabled"


def test_caller_and_node_role_without_their_kms_actions(world: World) -> None:
    region = "eu-west-1"
    key = world.key(region)
    world.preferences(region, kmsKeyId=key["KeyId"])
    _, subnet = world.vpc(region)
    good = world.instance(region, world.role("DecryptRole", [key["Arn"]]), subnet)
    no_kms = world.user("operator-no-kms", [*READS, "kms:DescribeKey", "kms:GetKeyPolicy"])
    res = world.diagnose(good, region, env=no_kms)
    assert res.target()["root_causes"] == ["caller.kms"], bad(res)
    no_decrypt = world.instance(region, world.role("NoDecryptRole"), subnet)
    res = world.diagnose(no_decrypt, region)
    assert res.target()["root_causes"] == ["node.kms-decrypt"], bad(res)
    assert res.check("node.kms-decrypt")["remediation"]["commands"][0].startswith(
        "aws iam put-role-policy --role-name NoDecryptRole ")


def test_string_flag_and_unencrypted_bucket_is_prefs_logging(world: World) -> None:
    region = "ca-central-1"
    key = world.key(region)
    bucket = "outside-session-logs"
    s3 = world.client("s3", region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    with pytest.raises(s3.exceptions.ClientError):  # moto leaves a new bucket without default encryption
        s3.get_bucket_encryption(Bucket=bucket)
    world.preferences(region, kmsKeyId=key["Arn"], s3BucketName=bucket, s3EncryptionEnabled="true")
    _, subnet = world.vpc(region)
    logs = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetEncryptionConfiguration"], "Resource": "*"}]}
    res = world.diagnose(world.instance(region, world.role("LoggingRole", [key["Arn"]], logs), subnet), region)
    assert res.target()["root_causes"] == ["prefs.logging"], bad(res)
    assert "has no default encryption" in res.check("prefs.logging")["summary"]


def test_private_subnet_without_endpoints_never_registers(world: World) -> None:
    """A node with a profile but no way to Systems Manager: no registration tag is needed to say so."""
    region = "us-east-1"
    key = world.key(region)
    world.preferences(region, kmsKeyId=key["Arn"])
    _, subnet = world.vpc(region, route="none")
    res = world.diagnose(world.instance(region, world.role("PrivateRole", [key["Arn"]]), subnet), region)
    assert res.target()["root_causes"] == ["node.registered", "network.path"], bad(res)
    assert res.code == 1


def test_healthy_node_in_the_default_vpc_passes_network_path(world: World) -> None:
    region = "sa-east-1"
    key = world.key(region)
    world.preferences(region, kmsKeyId=key["Arn"])
    res = world.diagnose(world.instance(region, world.role("DefaultVpcRole", [key["Arn"]])), region)
    assert res.check("network.path")["status"] == "pass", bad(res)
    assert res.target()["verdict"] == "ready" and res.code == 0, bad(res)


@pytest.mark.parametrize("groups", [True, False], ids=["endpoint-group", "vpc-default-group"])
def test_healthy_node_behind_endpoints_passes(world: World, groups: bool) -> None:
    region = "ap-southeast-1" if groups else "ap-southeast-2"
    key = world.key(region)
    world.preferences(region, kmsKeyId=key["Arn"])
    vpc, subnet = world.vpc(region, route="none")
    ec2 = world.client("ec2", region)
    extra: dict[str, Any] = {}
    if groups:
        group = ec2.create_security_group(GroupName="endpoints", Description="HTTPS in", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.30.0.0/16"}]}])
        extra["SecurityGroupIds"] = [group]
    for service in ("ssm", "ssmmessages", "ec2messages", "kms"):
        ec2.create_vpc_endpoint(VpcId=vpc, VpcEndpointType="Interface", ServiceName=f"com.amazonaws.{region}.{service}",
                                SubnetIds=[subnet], PrivateDnsEnabled=True, **extra)
    node = world.instance(region, world.role(f"EndpointRole{int(groups)}", [key["Arn"]]), subnet)
    res = world.diagnose(node, region)
    assert res.check("network.path")["status"] == "pass", bad(res)
    assert res.target()["verdict"] == "ready" and res.code == 0, bad(res)


def test_default_credentials_on_an_empty_sandbox_are_a_caller_who_may_do_everything(world: World) -> None:
    region = "eu-north-1"
    key = world.key(region)
    world.preferences(region, kmsKeyId=key["Arn"])
    _, subnet = world.vpc(region)
    node = world.instance(region, world.role("DefaultCallerRole", [key["Arn"]]), subnet)
    res = world.diagnose(node, region, clikit.base_env(world.endpoint_url, world.plugin_dir))
    assert res.json()["caller"]["arn"].endswith(":user/moto")
    for check in ("caller.send-command", "caller.start-session", "caller.terminate-session", "caller.kms"):
        assert res.check(check)["status"] == "pass", bad(res)
    assert res.target()["verdict"] == "ready" and res.code == 0, bad(res)
