"""Collectors against moto in-process: shapes, absent resources, and denied calls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from doctor.aws import Aws
from doctor.facts import FactStore, Options, Target, Unavailable


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    from doctor.sandbox.server import in_process

    with in_process(seed_fleet=True) as sb:
        yield sb


def fresh(region: str = "us-east-1") -> FactStore:
    return FactStore(Aws(region=region), Options())


def test_credentials_fact(sandbox: Any) -> None:
    creds = fresh().get("credentials", None, "us-east-1")
    assert creds["ok"] is True
    assert creds["account"] == "123456789012" and creds["arn"].startswith("arn:aws:")
    assert creds["region"] == "us-east-1"


def test_instance_and_registration_facts(sandbox: Any) -> None:
    t = Target(sandbox.targets["healthy-linux"], "us-east-1")
    store = fresh()
    inst = store.get("ec2_instance", t, t.region)
    assert inst["InstanceId"] == t.id and inst["State"]["Name"] == "running"
    info = store.get("instance_info", t, t.region)
    assert info["InstanceId"] == t.id and info["PingStatus"] == "Online"
    assert isinstance(info["LastPingDateTime"], str) and info["LastPingDateTime"].endswith("Z")
    assert store.get("connection_status", t, t.region) == "connected"
    assert store.get("recent_sessions", t, t.region) == []


def test_absent_instance_is_none_not_unavailable(sandbox: Any) -> None:
    t = Target("i-0fffffffffffffff0", "us-east-1")
    store = fresh()
    assert store.get("ec2_instance", t, t.region) is None
    assert store.get("instance_info", t, t.region) is None


def test_facts_are_memoised(sandbox: Any) -> None:
    t = Target(sandbox.targets["healthy-linux"], "us-east-1")
    store = fresh()
    assert store.aws is not None
    store.get("instance_info", t, t.region)
    store.get("instance_info", t, t.region)
    assert store.aws.calls["ssm:DescribeInstanceInformation"] == 1
    # region-scoped facts are shared by every target in the region
    other = Target(sandbox.targets["old-agent"], "us-east-1")
    store.get("activation_tier", t, t.region)
    store.get("activation_tier", other, other.region)
    assert store.aws.calls["ssm:GetServiceSetting"] == 1


def test_denied_call_is_unavailable_naming_permission(sandbox: Any) -> None:
    from doctor.sandbox.moto_ext import FAULTS

    t = Target(sandbox.targets["healthy-linux"], "us-east-1")
    FAULTS.configure(deny=["ssm:GetConnectionStatus"])
    try:
        value = fresh().get("connection_status", t, t.region)
    finally:
        FAULTS.clear()
    assert isinstance(value, Unavailable)
    assert value.permission == "ssm:GetConnectionStatus"
    assert value.code in ("AccessDeniedException", "AccessDenied")


def test_hybrid_tier_per_region(sandbox: Any) -> None:
    assert fresh("us-east-1").get("activation_tier", None, "us-east-1")["SettingValue"] == "standard"
    assert fresh("eu-west-1").get("activation_tier", None, "eu-west-1")["SettingValue"] == "advanced"


def test_failed_sessions_are_collected(sandbox: Any) -> None:
    t = Target(sandbox.targets["recent-failures"], "us-east-1")
    sessions = fresh().get("recent_sessions", t, t.region)
    assert [s["Status"] for s in sessions].count("Failed") == 2


def test_saved_facts_replay_identically(sandbox: Any) -> None:
    from doctor.runner import diagnose, make_plan

    t = Target(sandbox.targets["old-agent"], "us-east-1")
    store = fresh()
    live = diagnose(make_plan(), store, [t])
    saved = store.to_json([t], {"generated_at": live.generated_at})
    replay_store, targets = FactStore.from_json(saved, Options())
    replayed = diagnose(make_plan(), replay_store, targets)
    strip = lambda r: {k: v for k, v in r.to_json().items() if k not in ("generated_at", "aws_calls")}  # noqa: E731
    assert strip(replayed) == strip(live)


def test_endpoint_without_groups_brings_in_the_vpc_default_group(sandbox: Any) -> None:
    import boto3

    region = "ap-southeast-2"
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    nodes = ec2.create_security_group(GroupName="nodes", Description="nodes", VpcId=vpc)["GroupId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet,
                                 SecurityGroupIds=[nodes])["Instances"][0]
    for service in ("ssm", "ssmmessages", "ec2messages"):
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{region}.{service}",
                                VpcEndpointType="Interface", SubnetIds=[subnet], PrivateDnsEnabled=True)
    default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                    {"Name": "group-name", "Values": ["default"]}])
    default_id = default["SecurityGroups"][0]["GroupId"]
    t = Target(instance["InstanceId"], region)
    groups = fresh(region).get("security_groups", t, region)
    assert sorted(g["GroupId"] for g in groups) == sorted([nodes, default_id])
