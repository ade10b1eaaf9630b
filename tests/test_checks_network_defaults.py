"""network.path on AWS's default network pieces when the data show less than AWS builds.

AWS creates every default VPC with an internet gateway and a default route in its main route table, and every
default security group with an inbound rule admitting its own members. Data that lack those pieces without a
trace of their removal (an emulator, a partial copy) are undecided, not a failure; a connected agent settles
them, together with any other service whose only doubt is the same piece.
"""

from __future__ import annotations

from typing import Any

from doctor.model import Status
from tests import factkit as fk
from tests.test_checks_network import (
    CORE,
    IGW,
    NODE_SG,
    SUBNET,
    TABLE,
    VPC,
    endpoint,
    group,
    https,
    instance,
    network,
    private_facts,
    public_facts,
    route_table,
)

DEFAULT_SG = "sg-0defa017defa017de"


def default_subnet(**over: Any) -> dict[str, Any]:
    """A node in a default subnet whose main route table has only the local route, and no gateway anywhere."""
    base: dict[str, Any] = {
        "subnet": {"SubnetId": SUBNET, "VpcId": VPC, "CidrBlock": "10.0.1.0/24", "DefaultForAz": True},
        "route_tables": [route_table(None, main=True)],
    }
    base.update(over)
    return public_facts(**base)


def connected(facts: dict[str, Any]) -> dict[str, Any]:
    return {**facts, "instance_info": fk.instance_info(), "connection_status": "connected"}


def test_default_subnet_without_its_gateway_is_unknown_not_fail() -> None:
    finding = network(default_subnet())
    assert finding.status is Status.UNKNOWN, finding.summary
    assert "default subnet" in finding.summary and TABLE in finding.summary


def test_connected_agent_in_a_default_subnet_passes_with_kms_on_the_same_way() -> None:
    finding = network(connected(default_subnet()))
    assert finding.status is Status.PASS, finding.summary
    assert "kms goes the same way" in finding.summary
    assert set(finding.evidence["services"]) == {*CORE, "kms"}


def test_default_subnet_without_a_public_ip_still_fails() -> None:
    finding = network(default_subnet(ec2_instance=instance(public_ip=None)))
    assert finding.status is Status.FAIL


def test_a_plain_subnet_on_a_bare_main_table_still_fails() -> None:
    facts = default_subnet(subnet={"SubnetId": SUBNET, "VpcId": VPC, "CidrBlock": "10.0.1.0/24"})
    assert network(facts).status is Status.FAIL


def test_default_subnet_with_an_explicit_private_table_fails() -> None:
    assert network(default_subnet(route_tables=[route_table(None)])).status is Status.FAIL


def test_default_vpc_whose_gateway_shows_elsewhere_fails() -> None:
    """Another route table still routes to the gateway: the main table's route was removed on purpose."""
    other = {**route_table({"GatewayId": IGW}), "RouteTableId": "rtb-0other", "Associations": []}
    assert network(default_subnet(route_tables=[route_table(None, main=True), other])).status is Status.FAIL


def test_default_vpc_with_a_blackhole_route_fails() -> None:
    facts = default_subnet(route_tables=[route_table({"GatewayId": IGW, "State": "blackhole"}, main=True)])
    assert network(facts).status is Status.FAIL


# ------------------------------------------------------------------------------- the VPC's default group


def endpoints_in_default_group(default: dict[str, Any]) -> dict[str, Any]:
    """Endpoints created without groups, and a node in the VPC's default group only."""
    node = instance(public_ip=None)
    node["SecurityGroups"] = [{"GroupId": DEFAULT_SG, "GroupName": "default"}]
    node["NetworkInterfaces"][0]["Groups"] = [{"GroupId": DEFAULT_SG}]
    return private_facts(ec2_instance=node, vpc_endpoints=[endpoint(s, groups=()) for s in (*CORE, "kms")],
                         security_groups=[{**default, "GroupName": "default"}])


def test_default_group_without_its_self_rule_is_unknown() -> None:
    facts = endpoints_in_default_group(group(DEFAULT_SG, egress=[https("0.0.0.0/0")]))
    finding = network(facts)
    assert finding.status is Status.UNKNOWN, finding.summary
    assert "default security group" in finding.summary


def test_connected_agent_settles_the_default_group_for_every_endpoint() -> None:
    finding = network(connected(endpoints_in_default_group(group(DEFAULT_SG, egress=[https("0.0.0.0/0")]))))
    assert finding.status is Status.PASS, finding.summary


def test_default_group_with_its_self_rule_passes() -> None:
    default = group(DEFAULT_SG, ingress=[https(group=DEFAULT_SG)], egress=[https("0.0.0.0/0")])
    assert network(endpoints_in_default_group(default)).status is Status.PASS


def test_hardened_default_group_without_any_rule_fails() -> None:
    """No inbound and no outbound rules is the usual hardening of a default group, not missing data."""
    assert network(endpoints_in_default_group(group(DEFAULT_SG))).status is Status.FAIL


def test_default_group_the_node_is_not_in_fails() -> None:
    facts = private_facts(vpc_endpoints=[endpoint(s, groups=()) for s in (*CORE, "kms")],
                          security_groups=[group(NODE_SG, egress=[https("0.0.0.0/0")]),
                                           {**group(DEFAULT_SG, egress=[https("0.0.0.0/0")]), "GroupName": "default"}])
    assert network(facts).status is Status.FAIL


def test_connected_agent_does_not_settle_a_doubt_of_kms_alone() -> None:
    """The kms endpoint's own group is unreadable: nothing on the agent's way says anything about it."""
    facts = private_facts(vpc_endpoints=[*(endpoint(s) for s in CORE), endpoint("kms", groups=("sg-0unread",))])
    finding = network(connected(facts))
    assert finding.status is Status.UNKNOWN, finding.summary
    assert "kms" in finding.summary and NODE_SG not in finding.summary
