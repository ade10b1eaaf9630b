"""network.path evaluated from fact fixtures (no AWS): routes, endpoints, security groups and network ACLs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from doctor.engine import evaluate
from doctor.facts import Target
from doctor.model import Finding, Status
from doctor.runner import make_plan
from tests import factkit as fk

VPC = "vpc-0a1b2c3d4e5f60718"
SUBNET = "subnet-0a1b2c3d4e5f60718"
OTHER_SUBNET = "subnet-0ffffffffffffffff"
NODE_SG = "sg-0aaaaaaaaaaaaaaa1"
ENDPOINT_SG = "sg-0eeeeeeeeeeeeeee1"
TABLE = "rtb-0a1b2c3d4e5f60718"
ACL = "acl-0a1b2c3d4e5f60718"
IGW = "igw-0a1b2c3d4e5f60718"
NAT = "nat-0a1b2c3d4e5f60718"
VPC_CIDR = "10.0.0.0/16"
REGION = fk.REGION
CORE = ("ssm", "ssmmessages", "ec2messages")


def instance(public_ip: str | None = "54.1.2.3", platform: str | None = None) -> dict[str, Any]:
    data = fk.ec2_instance(
        SubnetId=SUBNET,
        VpcId=VPC,
        PrivateIpAddress="10.0.1.15",
        SecurityGroups=[{"GroupId": NODE_SG, "GroupName": "nodes"}],
        NetworkInterfaces=[{"Groups": [{"GroupId": NODE_SG}], "PrivateIpAddress": "10.0.1.15",
                            "Association": {"PublicIp": public_ip} if public_ip else {}}],
    )
    if public_ip:
        data["PublicIpAddress"] = public_ip
    if platform:
        data["Platform"] = platform
    return data


def route_table(default: dict[str, Any] | None = None, main: bool = False) -> dict[str, Any]:
    routes: list[dict[str, Any]] = [{"DestinationCidrBlock": VPC_CIDR, "GatewayId": "local", "State": "active"}]
    if default is not None:
        routes.append({"DestinationCidrBlock": "0.0.0.0/0", "State": "active", **default})
    assoc = {"Main": True} if main else {"Main": False, "SubnetId": SUBNET}
    return {"RouteTableId": TABLE, "VpcId": VPC, "Associations": [{"RouteTableId": TABLE, **assoc}], "Routes": routes}


def endpoint(service: str, private_dns: bool = True, state: str = "available", groups: tuple[str, ...] = (ENDPOINT_SG,),
             subnets: tuple[str, ...] = (SUBNET,), kind: str = "Interface", tables: tuple[str, ...] = ()
             ) -> dict[str, Any]:
    return {
        "VpcEndpointId": f"vpce-{service}",
        "VpcEndpointType": kind,
        "VpcId": VPC,
        "ServiceName": f"com.amazonaws.{REGION}.{service}",
        "State": state,
        "PrivateDnsEnabled": private_dns,
        "SubnetIds": list(subnets),
        "RouteTableIds": list(tables),
        "Groups": [{"GroupId": g} for g in groups],
    }


def https(cidr: str | None = None, group: str | None = None, prefix_list: str | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [],
                            "UserIdGroupPairs": [], "PrefixListIds": []}
    if cidr:
        rule["IpRanges"].append({"CidrIp": cidr})
    if group:
        rule["UserIdGroupPairs"].append({"GroupId": group})
    if prefix_list:
        rule["PrefixListIds"].append({"PrefixListId": prefix_list})
    return rule


def group(gid: str, ingress: list[dict[str, Any]] | None = None, egress: list[dict[str, Any]] | None = None
          ) -> dict[str, Any]:
    return {"GroupId": gid, "VpcId": VPC, "IpPermissions": ingress or [], "IpPermissionsEgress": egress or []}


def acl_entry(number: int, egress: bool, action: str = "allow", cidr: str = "0.0.0.0/0", protocol: str = "-1",
              ports: tuple[int, int] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"RuleNumber": number, "Egress": egress, "RuleAction": action, "CidrBlock": cidr,
                             "Protocol": protocol}
    if ports:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return entry


def acl(*entries: dict[str, Any]) -> list[dict[str, Any]]:
    rules = list(entries) or [acl_entry(100, True), acl_entry(100, False)]
    rules += [acl_entry(32767, True, "deny"), acl_entry(32767, False, "deny")]
    return [{"NetworkAclId": ACL, "VpcId": VPC, "Associations": [{"SubnetId": SUBNET}], "Entries": rules}]


def prefs(kms: bool = True, bucket: str = "", log_group: str = "") -> dict[str, Any]:
    inputs = {"kmsKeyId": "alias/session-manager" if kms else "", "s3BucketName": bucket,
              "cloudWatchLogGroupName": log_group, "s3EncryptionEnabled": False, "cloudWatchEncryptionEnabled": False}
    return {"exists": True, "document_version": "1", "content": json.dumps({"inputs": inputs})}


def public_facts(**over: Any) -> dict[str, Any]:
    """A node in a public subnet: default route to an IGW, a public IP, egress 443, default network ACL."""
    facts = fk.healthy()
    facts.update(
        ec2_instance=instance(),
        subnet={"SubnetId": SUBNET, "VpcId": VPC, "CidrBlock": "10.0.1.0/24"},
        route_tables=[route_table({"GatewayId": IGW})],
        vpc_endpoints=[],
        security_groups=[group(NODE_SG, egress=[https("0.0.0.0/0")])],
        network_acls=acl(),
        session_preferences=prefs(),
        # The agent is not connected, so the model alone decides.
        instance_info=None,
    )
    facts.update(over)
    return facts


def private_facts(services: tuple[str, ...] = (*CORE, "kms"), **over: Any) -> dict[str, Any]:
    """A node in a private subnet reaching every service through interface endpoints."""
    endpoint_group = group(ENDPOINT_SG, ingress=[https(group=NODE_SG)])
    base: dict[str, Any] = {
        "ec2_instance": instance(public_ip=None),
        "route_tables": [route_table(None)],
        "vpc_endpoints": [endpoint(s) for s in services],
        "security_groups": [group(NODE_SG, egress=[https("0.0.0.0/0")]), endpoint_group],
    }
    base.update(over)
    return public_facts(**base)


def network(facts: dict[str, Any], target: Target | None = None) -> Finding:
    t = target or fk.target()
    return evaluate(make_plan(), fk.store(facts, t), t)[
        [s.id for s in make_plan().specs].index("network.path")
    ]


CASES: list[tuple[str, dict[str, Any], Status]] = [
    ("public-subnet-igw", public_facts(), Status.PASS),
    ("main-table-igw", public_facts(route_tables=[route_table({"GatewayId": IGW}, main=True)]), Status.PASS),
    ("nat-gateway", public_facts(ec2_instance=instance(public_ip=None),
                                 route_tables=[route_table({"NatGatewayId": NAT})]), Status.PASS),
    ("private-with-endpoints", private_facts(), Status.PASS),
    ("endpoints-in-other-subnet-acl-open", private_facts(vpc_endpoints=[
        endpoint(s, subnets=(OTHER_SUBNET,)) for s in (*CORE, "kms")]), Status.PASS),
    ("endpoint-sg-admits-vpc-cidr", private_facts(security_groups=[
        group(NODE_SG, egress=[https("0.0.0.0/0")]), group(ENDPOINT_SG, ingress=[https(VPC_CIDR)])]), Status.PASS),
    ("igw-without-public-ip", public_facts(ec2_instance=instance(public_ip=None)), Status.FAIL),
    ("no-route-no-endpoints", public_facts(ec2_instance=instance(public_ip=None), route_tables=[route_table()]),
     Status.FAIL),
    ("blackhole-route", public_facts(route_tables=[route_table({"NatGatewayId": NAT, "State": "blackhole"})]),
     Status.FAIL),
    ("no-egress-443", public_facts(security_groups=[group(NODE_SG, egress=[])]), Status.FAIL),
    ("egress-only-to-prefix-list", public_facts(security_groups=[group(NODE_SG, egress=[https(prefix_list="pl-1")])]),
     Status.UNKNOWN),
    ("acl-denies-egress", public_facts(network_acls=acl(acl_entry(50, True, "deny", protocol="6", ports=(443, 443)),
                                                        acl_entry(100, True), acl_entry(100, False))), Status.FAIL),
    ("acl-no-ephemeral-return", public_facts(network_acls=acl(acl_entry(100, True),
                                                              acl_entry(100, False, protocol="6", ports=(22, 22)))),
     Status.FAIL),
    ("acl-return-too-narrow-windows", public_facts(
        ec2_instance=instance(platform="windows"),
        network_acls=acl(acl_entry(100, True), acl_entry(100, False, protocol="6", ports=(32768, 60999)))),
     Status.FAIL),
    ("acl-return-linux-range", public_facts(
        network_acls=acl(acl_entry(100, True), acl_entry(100, False, protocol="6", ports=(32768, 65535)))),
     Status.PASS),
    ("private-missing-ssmmessages", private_facts(services=("ssm", "ec2messages", "kms")), Status.FAIL),
    ("private-missing-kms-endpoint", private_facts(services=CORE), Status.FAIL),
    ("kms-not-needed-when-off", private_facts(services=CORE, session_preferences=prefs(kms=False)), Status.PASS),
    ("endpoint-without-private-dns", private_facts(vpc_endpoints=[
        endpoint(s, private_dns=(s != "ssm")) for s in (*CORE, "kms")]), Status.FAIL),
    ("endpoint-pending", private_facts(vpc_endpoints=[
        endpoint(s, state="pendingAcceptance" if s == "kms" else "available") for s in (*CORE, "kms")]), Status.FAIL),
    ("endpoint-sg-closed", private_facts(security_groups=[group(NODE_SG, egress=[https("0.0.0.0/0")]),
                                                          group(ENDPOINT_SG, ingress=[])]), Status.FAIL),
    ("endpoint-sg-unreadable", private_facts(security_groups=[group(NODE_SG, egress=[https("0.0.0.0/0")])]),
     Status.UNKNOWN),
    # An endpoint created without security groups gets the VPC's default group, which decides.
    ("endpoint-without-groups-uses-vpc-default", private_facts(
        vpc_endpoints=[endpoint(s, groups=()) for s in (*CORE, "kms")],
        security_groups=[group(NODE_SG, egress=[https("0.0.0.0/0")]),
                         {**group("sg-0defa017defa017de", ingress=[https(group=NODE_SG)]), "GroupName": "default"}]),
     Status.PASS),
    ("endpoint-without-groups-default-closed", private_facts(
        vpc_endpoints=[endpoint(s, groups=()) for s in (*CORE, "kms")],
        security_groups=[group(NODE_SG, egress=[https("0.0.0.0/0")]),
                         {**group("sg-0defa017defa017de"), "GroupName": "default"}]),
     Status.FAIL),
    ("endpoint-without-groups-default-unread", private_facts(
        vpc_endpoints=[endpoint(s, groups=()) for s in (*CORE, "kms")]), Status.UNKNOWN),
    # A deleted endpoint is as good as none: the fix creates one.
    ("endpoint-deleted", private_facts(vpc_endpoints=[
        endpoint(s, state="deleted" if s == "kms" else "Available") for s in (*CORE, "kms")]), Status.FAIL),
    # Egress 443 only to a private range never reaches the public endpoints.
    ("igw-egress-only-to-private-range", public_facts(security_groups=[group(NODE_SG, egress=[https("10.30.0.0/16")])]),
     Status.FAIL),
    ("s3-logging-without-gateway", private_facts(session_preferences=prefs(bucket="logs-bucket")), Status.FAIL),
    ("s3-logging-with-gateway", private_facts(
        session_preferences=prefs(bucket="logs-bucket"),
        vpc_endpoints=[*(endpoint(s) for s in (*CORE, "kms")), endpoint("s3", kind="Gateway", tables=(TABLE,))]),
     Status.PASS),
    ("cloudwatch-logging-needs-logs", private_facts(session_preferences=prefs(log_group="/ssm/sessions")),
     Status.FAIL),
    ("transit-gateway-route", public_facts(ec2_instance=instance(public_ip=None),
                                           route_tables=[route_table({"TransitGatewayId": "tgw-0123"})]),
     Status.UNKNOWN),
    ("no-subnet", public_facts(subnet=None), Status.UNKNOWN),
    ("describe-route-tables-denied", public_facts(route_tables=fk.denied("ec2:DescribeRouteTables")), Status.UNKNOWN),
]


@pytest.mark.parametrize(("name", "facts", "expected"), CASES, ids=[c[0] for c in CASES])
def test_network_path(name: str, facts: dict[str, Any], expected: Status) -> None:
    finding = network(facts)
    assert finding.status is expected, finding.summary
    if expected is Status.FAIL:
        assert finding.remediation, "network.path must say how to fix it"
        assert finding.problem == "network-unreachable"


def test_private_subnet_without_endpoints_names_each_service_and_gives_real_commands() -> None:
    finding = network(public_facts(ec2_instance=instance(public_ip=None), route_tables=[route_table()]))
    assert finding.status is Status.FAIL
    assert "ssm, ssmmessages, ec2messages and kms" in finding.summary and TABLE in finding.summary
    commands = "\n".join(finding.remediation.commands)
    for service in (*CORE, "kms"):
        assert (f"aws ec2 create-vpc-endpoint --vpc-id {VPC} --vpc-endpoint-type Interface --service-name "
                f"com.amazonaws.{REGION}.{service} --subnet-ids {SUBNET}") in commands
    assert f"--source-group {NODE_SG}" in commands and f"--region {REGION}" in commands
    assert finding.evidence["services"]["ssm"]["via"] == "nothing"


def test_existing_endpoint_group_is_reused_for_missing_endpoints() -> None:
    finding = network(private_facts(services=CORE))
    assert finding.status is Status.FAIL and "kms" in finding.summary and "ssm," not in finding.summary
    [command] = [c for c in finding.remediation.commands if "create-vpc-endpoint" in c]
    assert f"com.amazonaws.{REGION}.kms" in command and f"--security-group-ids {ENDPOINT_SG}" in command


def test_pass_says_which_path() -> None:
    assert "through internet gateway " + IGW in network(public_facts()).summary
    assert "through VPC endpoints" in network(private_facts()).summary
    nat = network(public_facts(ec2_instance=instance(public_ip=None),
                               route_tables=[route_table({"NatGatewayId": NAT})]))
    assert "through NAT gateway " + NAT in nat.summary


def test_closed_endpoint_group_fix_opens_443_from_the_node() -> None:
    finding = network(private_facts(security_groups=[group(NODE_SG, egress=[https("0.0.0.0/0")]),
                                                     group(ENDPOINT_SG, ingress=[])]))
    assert (f"aws ec2 authorize-security-group-ingress --group-id {ENDPOINT_SG} --protocol tcp --port 443 "
            f"--source-group {NODE_SG} --region {REGION}") in finding.remediation.commands


def test_acl_fix_uses_a_free_rule_number_below_the_deny() -> None:
    finding = network(public_facts(network_acls=acl(acl_entry(50, True, "deny", protocol="6", ports=(443, 443)),
                                                    acl_entry(100, True), acl_entry(100, False))))
    [command] = [c for c in finding.remediation.commands if "create-network-acl-entry" in c]
    assert f"--network-acl-id {ACL} --egress --rule-number 49 " in command


def test_private_dns_off_is_named_with_its_fix() -> None:
    finding = network(private_facts(vpc_endpoints=[endpoint(s, private_dns=(s != "ssm")) for s in (*CORE, "kms")]))
    assert "private DNS" in " ".join(finding.evidence["services"]["ssm"]["problems"])
    assert f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-ssm --private-dns-enabled --region {REGION}" in \
        finding.remediation.commands


def test_connected_agent_contradicting_the_model_is_a_warning() -> None:
    facts = public_facts(ec2_instance=instance(public_ip=None), route_tables=[route_table()],
                         instance_info=fk.instance_info(), connection_status="connected")
    finding = network(facts)
    assert finding.status is Status.WARN and "proxy" in finding.summary


def test_connected_agent_does_not_hide_a_missing_kms_endpoint() -> None:
    facts = private_facts(services=CORE, instance_info=fk.instance_info(), connection_status="connected")
    assert network(facts).status is Status.FAIL


def test_connected_agent_settles_an_untraceable_route() -> None:
    facts = public_facts(ec2_instance=instance(public_ip=None),
                         route_tables=[route_table({"TransitGatewayId": "tgw-0123"})],
                         session_preferences=prefs(kms=False),
                         instance_info=fk.instance_info(), connection_status="connected")
    finding = network(facts)
    assert finding.status is Status.PASS and "tgw-0123" in finding.summary


def test_untraceable_route_is_unknown_and_says_why() -> None:
    finding = network(public_facts(ec2_instance=instance(public_ip=None),
                                   route_tables=[route_table({"TransitGatewayId": "tgw-0123"})]))
    assert finding.status is Status.UNKNOWN and "transit gateway tgw-0123" in finding.summary


def test_does_not_apply_to_hybrid_nodes() -> None:
    facts = fk.healthy(fk.MI_ID)
    facts["ec2_instance"] = None
    assert network(facts, fk.target(fk.MI_ID)).status is Status.SKIP


def test_without_preferences_only_core_services_are_traced() -> None:
    facts = private_facts(services=CORE)
    del facts["session_preferences"]
    finding = network(facts)
    assert finding.status is Status.PASS
    assert set(finding.evidence["services"]) == set(CORE) and "note" in finding.evidence


def test_denied_call_names_the_permission() -> None:
    finding = network(public_facts(network_acls=fk.denied("ec2:DescribeNetworkAcls")))
    assert finding.status is Status.UNKNOWN and finding.missing == ("ec2:DescribeNetworkAcls",)


def test_deleted_endpoint_is_replaced_by_a_new_one() -> None:
    finding = network(private_facts(vpc_endpoints=[
        endpoint(s, state="deleted" if s == "kms" else "available") for s in (*CORE, "kms")]))
    assert "kms" in finding.summary
    assert any(f"create-vpc-endpoint --vpc-id {VPC}" in c and f"com.amazonaws.{REGION}.kms" in c
               for c in finding.remediation.commands), finding.remediation.commands
