"""Collectors for an EC2 node's network: its subnet, route tables, VPC endpoints, security groups and
network ACLs."""

from __future__ import annotations

from typing import Any

from doctor.facts import Context, fact


def _instance(ctx: Context) -> dict[str, Any]:
    instance = ctx.fact("ec2_instance")
    return instance if isinstance(instance, dict) else {}


def instance_group_ids(instance: dict[str, Any]) -> list[str]:
    """The security groups of every network interface of the instance (primary first)."""
    ids: list[str] = []
    for group in instance.get("SecurityGroups") or []:
        ids.append(str(group.get("GroupId")))
    for eni in instance.get("NetworkInterfaces") or []:
        for group in eni.get("Groups") or []:
            ids.append(str(group.get("GroupId")))
    return [i for i in dict.fromkeys(ids) if i and i != "None"]


@fact("subnet", scope="target")
def collect_subnet(ctx: Context) -> dict[str, Any] | None:
    """The node's subnet (ec2:DescribeSubnets); None when the instance has no subnet."""
    subnet_id = _instance(ctx).get("SubnetId")
    if not subnet_id:
        return None
    subnets = ctx.call("ec2", "describe_subnets", SubnetIds=[subnet_id]).get("Subnets", [])
    return subnets[0] if subnets else None  # type: ignore[no-any-return]


@fact("route_tables", scope="target")
def collect_route_tables(ctx: Context) -> list[dict[str, Any]]:
    """Every route table of the node's VPC (ec2:DescribeRouteTables), to find the explicit or main one."""
    vpc_id = _instance(ctx).get("VpcId")
    if not vpc_id:
        return []
    return ctx.paginate(
        "ec2", "describe_route_tables", "RouteTables", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
    )


@fact("vpc_endpoints", scope="target")
def collect_vpc_endpoints(ctx: Context) -> list[dict[str, Any]]:
    """The VPC endpoints in the node's VPC (ec2:DescribeVpcEndpoints)."""
    vpc_id = _instance(ctx).get("VpcId")
    if not vpc_id:
        return []
    endpoints = ctx.paginate(
        "ec2", "describe_vpc_endpoints", "VpcEndpoints", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
    )
    keep = (
        "VpcEndpointId",
        "VpcEndpointType",
        "VpcId",
        "ServiceName",
        "State",
        "RouteTableIds",
        "SubnetIds",
        "Groups",
        "PrivateDnsEnabled",
        "IpAddressType",
    )
    return [{k: e[k] for k in keep if k in e} for e in endpoints]


@fact("security_groups", scope="target")
def collect_security_groups(ctx: Context) -> list[dict[str, Any]]:
    """The node's security groups and those of its VPC's interface endpoints (ec2:DescribeSecurityGroups)."""
    ids = instance_group_ids(_instance(ctx))
    ungrouped = False
    for endpoint in ctx.fact("vpc_endpoints"):
        groups_of = [str(g.get("GroupId")) for g in endpoint.get("Groups") or []]
        ids.extend(groups_of)
        ungrouped = ungrouped or (not groups_of and str(endpoint.get("VpcEndpointType", "")).lower() == "interface")
    ids = [i for i in dict.fromkeys(ids) if i and i != "None"]
    groups = ctx.call("ec2", "describe_security_groups", GroupIds=ids).get("SecurityGroups", []) if ids else []
    vpc_id = _instance(ctx).get("VpcId")
    if ungrouped and vpc_id and not any(g.get("GroupName") == "default" for g in groups):
        # An interface endpoint that lists no group uses the VPC's default security group.
        groups += ctx.call("ec2", "describe_security_groups", Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
        ).get("SecurityGroups", [])
    keep = ("GroupId", "GroupName", "VpcId", "IpPermissions", "IpPermissionsEgress")
    return [{k: g[k] for k in keep if k in g} for g in groups]


@fact("network_acls", scope="target")
def collect_network_acls(ctx: Context) -> list[dict[str, Any]]:
    """The network ACL of the node's subnet (ec2:DescribeNetworkAcls)."""
    subnet_id = _instance(ctx).get("SubnetId")
    if not subnet_id:
        return []
    return ctx.paginate(
        "ec2",
        "describe_network_acls",
        "NetworkAcls",
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}],
    )
