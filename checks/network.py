"""The network path from an EC2 node to the Systems Manager endpoints (IPv4).

For each endpoint the node needs (ssm, ssmmessages and ec2messages; kms when session encryption is on;
logs and s3 when session logging is on) the check works out how traffic would leave the subnet: through an
interface VPC endpoint with private DNS, through an S3 gateway endpoint, or through the subnet's default
route to an internet gateway (with a public IP) or a NAT gateway. Then it checks the pieces on that way:
the endpoint's state and security group, the node's security-group egress, and the subnet's network ACL in
both directions (it is stateless, so the replies on ephemeral ports must be let back in).

Where the data lack a piece AWS always creates (the default VPC's route to its internet gateway, the default
security group's rule admitting its own members) and show no trace of its removal, that piece is undecided
rather than missing. An agent that is online and connected proves the pieces on its own way to Systems Manager,
and so any other service whose only doubts are those same pieces.

Not modelled: IPv6, HTTP proxies configured on the agent, routes through transit gateways, peering,
virtual private gateways, firewall or appliance ENIs, the NAT gateway's own route to the internet, VPC
endpoint policies, the VPC's DNS attributes, prefix-list contents and DNS resolution itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checks.problems import doc
from doctor.engine import check
from doctor.facts import Target
from doctor.model import Fix, Outcome, failed, passed, unknown, warned
from doctor.preferences import preferences_or_none

CORE_SERVICES = ("ssm", "ssmmessages", "ec2messages")
HTTPS = 443
ANYWHERE = ipaddress.ip_network("0.0.0.0/0")
# The ephemeral ports replies come back to (Linux default ip_local_port_range; Windows since 2008).
EPHEMERAL = {"linux": (32768, 60999), "windows": (49152, 65535)}
NOT_MODELLED = (
    "IPv6",
    "HTTP proxies set for SSM Agent",
    "routes through transit gateways, peering, virtual private gateways or appliances",
    "the NAT gateway's own route to the internet",
    "VPC endpoint policies",
    "the VPC's DNS attributes (enableDnsSupport, enableDnsHostnames)",
    "the contents of managed prefix lists",
)

# Tri-state result of one piece of the path.
OK, FAIL, UNSURE = "ok", "fail", "unknown"


@dataclass
class _Path:
    """How one service is reached, and what is wrong or undecidable on the way."""

    service: str
    via: str = ""
    state: str = OK
    problems: list[str] = field(default_factory=list)
    doubts: list[str] = field(default_factory=list)

    def fail(self, text: str) -> None:
        self.state = FAIL
        self.problems.append(text)

    def doubt(self, text: str) -> None:
        if self.state == OK:
            self.state = UNSURE
        self.doubts.append(text)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"via": self.via, "status": self.state}
        if self.problems:
            data["problems"] = self.problems
        if self.doubts:
            data["could_not_verify"] = self.doubts
        return data


@dataclass
class _Fixes:
    steps: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def add(self, step: str = "", *commands: str) -> None:
        if step and step not in self.steps:
            self.steps.append(step)
        for command in commands:
            if command not in self.commands:
                self.commands.append(command)

    def build(self) -> Fix:
        return Fix(tuple(self.steps), tuple(self.commands))


# ---------------------------------------------------------------------------------------------- rules


def _network(cidr: Any) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def _covers_port(protocol: Any, low: Any, high: Any, ports: tuple[int, int]) -> str:
    """Whether a rule's protocol/ports cover every port of ``ports``: "all", "some" or "none"."""
    proto = str(protocol).lower()
    if proto in ("-1", "all"):
        return "all"
    if proto not in ("tcp", "6"):
        return "none"
    if low is None or high is None or int(low) == -1:
        return "all"
    lo, hi = int(low), int(high)
    if lo <= ports[0] and ports[1] <= hi:
        return "all"
    if hi < ports[0] or lo > ports[1]:
        return "none"
    return "some"


def _sg_rule_ports(rule: Mapping[str, Any], ports: tuple[int, int]) -> str:
    return _covers_port(rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"), ports)


def _egress_to(groups: Sequence[Mapping[str, Any]], want: str, vpc: Sequence[ipaddress.IPv4Network],
               peer_groups: Iterable[str] = ()) -> tuple[str, str]:
    """Does any of the node's groups allow TCP 443 out to ``want`` ("internet" or "vpc")?"""
    peers = set(peer_groups)
    partial = ""
    any_443 = False
    for group in groups:
        for rule in group.get("IpPermissionsEgress") or []:
            if _sg_rule_ports(rule, (HTTPS, HTTPS)) != "all":
                continue
            any_443 = True
            for ip_range in rule.get("IpRanges") or []:
                net = _network(ip_range.get("CidrIp"))
                if net is None:
                    continue
                if net == ANYWHERE:
                    return OK, f"{group.get('GroupId')} allows TCP 443 out to 0.0.0.0/0"
                if want == "vpc" and vpc and all(v.subnet_of(net) for v in vpc):
                    return OK, f"{group.get('GroupId')} allows TCP 443 out to {net}"
                if want == "internet" and net.is_private:
                    continue  # a private range never holds the public Systems Manager endpoints
                partial = partial or f"{group.get('GroupId')} allows TCP 443 out only to {net}"
            for pair in rule.get("UserIdGroupPairs") or []:
                if want == "vpc" and pair.get("GroupId") in peers:
                    return OK, f"{group.get('GroupId')} allows TCP 443 out to {pair.get('GroupId')}"
                partial = partial or f"{group.get('GroupId')} allows TCP 443 out only to group {pair.get('GroupId')}"
            for pl in rule.get("PrefixListIds") or []:
                partial = partial or (
                    f"{group.get('GroupId')} allows TCP 443 out to prefix list {pl.get('PrefixListId')}"
                )
    if partial:
        return UNSURE, partial
    if any_443:
        return FAIL, "the node's security groups allow TCP 443 out to no usable destination"
    return FAIL, "no security group of the node allows outbound TCP 443"


def _ingress_from(group: Mapping[str, Any], node_ip: ipaddress.IPv4Address | None,
                  node_groups: Iterable[str]) -> tuple[str, str]:
    """Does an endpoint's security group admit TCP 443 from the node?"""
    mine = set(node_groups)
    partial = ""
    for rule in group.get("IpPermissions") or []:
        if _sg_rule_ports(rule, (HTTPS, HTTPS)) != "all":
            continue
        for ip_range in rule.get("IpRanges") or []:
            net = _network(ip_range.get("CidrIp"))
            if net is not None and node_ip is not None and node_ip in net:
                return OK, f"{group.get('GroupId')} admits TCP 443 from {net}"
        for pair in rule.get("UserIdGroupPairs") or []:
            if pair.get("GroupId") in mine:
                return OK, f"{group.get('GroupId')} admits TCP 443 from {pair.get('GroupId')}"
        for pl in rule.get("PrefixListIds") or []:
            partial = partial or f"{group.get('GroupId')} admits TCP 443 from prefix list {pl.get('PrefixListId')}"
    if partial:
        return UNSURE, partial
    return FAIL, f"security group {group.get('GroupId')} does not admit TCP 443 from the node"


def _bare_default_group(group: Mapping[str, Any], node_groups: Iterable[str]) -> bool:
    """The VPC's default group, shared with the node, showing outbound rules but no inbound rule at all.

    AWS creates every default group with an inbound rule admitting its own members and an outbound rule to
    anywhere. A hardened default group loses both; one that kept only the outbound rule looks like an incomplete
    copy of AWS (an emulator) more than a deliberate choice, so it is not taken as a denial.
    """
    return (group.get("GroupName") == "default" and str(group.get("GroupId")) in set(node_groups)
            and not group.get("IpPermissions") and bool(group.get("IpPermissionsEgress")))


@dataclass(frozen=True)
class _AclVerdict:
    state: str
    text: str
    rule: int | None = None  # the deciding (or blocking) rule number


def _acl(entries: Sequence[Mapping[str, Any]], egress: bool, ports: tuple[int, int], dest: str,
         vpc: Sequence[ipaddress.IPv4Network]) -> _AclVerdict:
    """First-match evaluation of a network ACL for TCP ``ports`` to/from ``dest`` ("internet" or "vpc")."""
    direction = "outbound" if egress else "inbound"
    what = f"TCP {ports[0]}" if ports[0] == ports[1] else f"TCP {ports[0]}-{ports[1]}"
    doubts: list[str] = []
    rules = sorted((e for e in entries if bool(e.get("Egress")) == egress and e.get("CidrBlock")),
                   key=lambda e: int(e.get("RuleNumber", 32767)))
    for entry in rules:
        pr = entry.get("PortRange") or {}
        cover = _covers_port(entry.get("Protocol"), pr.get("From"), pr.get("To"), ports)
        net = _network(entry.get("CidrBlock"))
        if cover == "none" or net is None:
            continue
        number = int(entry.get("RuleNumber", 0))
        action = str(entry.get("RuleAction", "")).lower()
        if dest == "internet":
            whole = net == ANYWHERE
            relevant = whole or not net.is_private
        else:
            whole = bool(vpc) and all(v.subnet_of(net) for v in vpc)
            relevant = whole or any(net.overlaps(v) for v in vpc)
        if not relevant:
            continue
        if whole and cover == "all":
            if action == "allow":
                if doubts:
                    return _AclVerdict(UNSURE, "; ".join(doubts), number)
                return _AclVerdict(OK, f"rule {number} allows {direction} {what}", number)
            return _AclVerdict(FAIL, f"rule {number} denies {direction} {what} ({entry.get('CidrBlock')})", number)
        if action == "deny":
            doubts.append(f"rule {number} denies {direction} {what} to part of the range ({entry.get('CidrBlock')})")
    if doubts:
        return _AclVerdict(UNSURE, "; ".join(doubts))
    return _AclVerdict(FAIL, f"no rule allows {direction} {what}", None)


def _free_rule_number(entries: Sequence[Mapping[str, Any]], egress: bool, below: int | None) -> int:
    used = {int(e.get("RuleNumber", 0)) for e in entries if bool(e.get("Egress")) == egress}
    start = (below - 1) if below else 100
    for n in range(max(start, 1), 0, -1):
        if n not in used:
            return n
    return 1


# ---------------------------------------------------------------------------------------------- the check


def _public_ip(instance: Mapping[str, Any]) -> str:
    if instance.get("PublicIpAddress"):
        return str(instance["PublicIpAddress"])
    for eni in instance.get("NetworkInterfaces") or []:
        ip = (eni.get("Association") or {}).get("PublicIp")
        if ip:
            return str(ip)
    return ""


def _group_ids(instance: Mapping[str, Any]) -> list[str]:
    ids = [str(g.get("GroupId")) for g in instance.get("SecurityGroups") or []]
    for eni in instance.get("NetworkInterfaces") or []:
        ids.extend(str(g.get("GroupId")) for g in eni.get("Groups") or [])
    return [i for i in dict.fromkeys(ids) if i and i != "None"]


def _route_table(tables: Sequence[Mapping[str, Any]], subnet_id: str) -> tuple[Mapping[str, Any] | None, str]:
    for table in tables:
        for assoc in table.get("Associations") or []:
            if assoc.get("SubnetId") == subnet_id:
                return table, "explicit"
    for table in tables:
        if any(a.get("Main") for a in table.get("Associations") or []):
            return table, "main"
    return None, ""


_ROUTE_TARGETS = (
    ("TransitGatewayId", "transit gateway"),
    ("VpcPeeringConnectionId", "VPC peering connection"),
    ("NetworkInterfaceId", "network interface"),
    ("InstanceId", "instance"),
    ("LocalGatewayId", "local gateway"),
    ("CarrierGatewayId", "carrier gateway"),
    ("CoreNetworkArn", "core network"),
)


#: Route kind of a default subnet whose default VPC shows neither its internet gateway nor a default route.
DEFAULT_VPC = "default-vpc"


def _default_vpc_route_unseen(subnet: Mapping[str, Any], how: str, tables: Sequence[Mapping[str, Any]]) -> bool:
    """A default subnet on its VPC's main route table, while no route table of the VPC mentions an internet
    gateway at all.

    AWS builds every default VPC with an internet gateway and a 0.0.0.0/0 route to it in the main table. A
    default VPC whose gateway was really removed still shows a detached route as a blackhole; one where neither
    trace is left is more likely an incomplete copy of AWS (an emulator, a partial facts file) than a
    deliberately private network, so the path is undecided rather than failed.
    """
    if not subnet.get("DefaultForAz") or how != "main":
        return False
    return not any(str(r.get("GatewayId") or "").startswith("igw-") or r.get("DestinationCidrBlock") == "0.0.0.0/0"
                   for t in tables for r in t.get("Routes") or [])


def _default_route(table: Mapping[str, Any]) -> tuple[str, str, Mapping[str, Any] | None]:
    """(kind, target id, route): kind is igw, nat, other, blackhole or none."""
    for route in table.get("Routes") or []:
        if route.get("DestinationCidrBlock") != "0.0.0.0/0":
            continue
        if str(route.get("State", "active")) == "blackhole":
            target = route.get("GatewayId") or route.get("NatGatewayId") or route.get("NetworkInterfaceId") or "?"
            return "blackhole", str(target), route
        gateway = str(route.get("GatewayId") or "")
        if gateway.startswith("igw-"):
            return "igw", gateway, route
        if route.get("NatGatewayId"):
            return "nat", str(route["NatGatewayId"]), route
        if gateway:
            kind = "virtual private gateway" if gateway.startswith("vgw-") else "gateway"
            return "other", f"{kind} {gateway}", route
        for key, name in _ROUTE_TARGETS:
            if route.get(key):
                return "other", f"{name} {route[key]}", route
        return "other", "an unrecognised target", route
    return "none", "", None


#: Endpoint states in which an endpoint carries no traffic and will not again: as good as missing.
GONE_ENDPOINT_STATES = frozenset({"deleted", "deleting", "rejected", "failed", "expired"})


def _service_name(region: str, service: str) -> str:
    return f"com.amazonaws.{region}.{service}"


def _endpoint_for(endpoints: Sequence[Mapping[str, Any]], region: str, service: str, kind: str
                  ) -> Mapping[str, Any] | None:
    suffix = f".{region}.{service}"
    found = [e for e in endpoints if str(e.get("ServiceName", "")).endswith(suffix)
             and str(e.get("VpcEndpointType", "")).lower() == kind.lower()
             and str(e.get("State", "")).lower() not in GONE_ENDPOINT_STATES]
    found.sort(key=lambda e: (str(e.get("State", "")).lower() != "available", not e.get("PrivateDnsEnabled")))
    return found[0] if found else None


def _vpc_cidrs(table: Mapping[str, Any] | None, subnet: Mapping[str, Any]) -> list[ipaddress.IPv4Network]:
    nets: list[ipaddress.IPv4Network] = []
    for route in (table or {}).get("Routes") or []:
        if route.get("GatewayId") == "local":
            net = _network(route.get("DestinationCidrBlock"))
            if net is not None:
                nets.append(net)
    if not nets:
        net = _network(subnet.get("CidrBlock"))
        if net is not None:
            nets.append(net)
    return nets


@dataclass
class _Net:
    """What the check knows about the node's network, plus the fixes it collects."""

    target: Target
    instance: Mapping[str, Any]
    subnet: Mapping[str, Any]
    table: Mapping[str, Any]
    vpc: list[ipaddress.IPv4Network]
    node_ip: ipaddress.IPv4Address | None
    node_groups: list[str]
    groups: dict[str, Mapping[str, Any]]
    acl: Mapping[str, Any] | None
    ports: tuple[int, int]
    fixes: _Fixes = field(default_factory=_Fixes)

    @property
    def region(self) -> str:
        return self.target.region

    @property
    def vpc_id(self) -> str:
        return str(self.subnet.get("VpcId") or self.instance.get("VpcId") or "")

    @property
    def subnet_id(self) -> str:
        return str(self.subnet.get("SubnetId") or "")

    @property
    def node_group(self) -> str:
        return self.node_groups[0] if self.node_groups else "NODE_SECURITY_GROUP"

    def node_group_records(self) -> list[Mapping[str, Any]]:
        return [self.groups[g] for g in self.node_groups if g in self.groups]

    def cmd(self, text: str) -> str:
        return f"{text} --region {self.region}"


def _check_acl(net: _Net, path: _Path, dest: str, where: str) -> None:
    if net.acl is None:
        path.doubt("the subnet's network ACL could not be found")
        return
    entries = net.acl.get("Entries") or []
    acl_id = net.acl.get("NetworkAclId")
    cidr = "0.0.0.0/0" if dest == "internet" else str(net.vpc[0]) if net.vpc else "0.0.0.0/0"
    out = _acl(entries, True, (HTTPS, HTTPS), dest, net.vpc)
    if out.state == FAIL:
        path.fail(f"network ACL {acl_id}: {out.text} to {where}")
        number = _free_rule_number(entries, True, out.rule)
        net.fixes.add(
            f"Let TCP 443 out of subnet {net.subnet_id} in network ACL {acl_id}, with a rule numbered below the "
            "one that blocks it.",
            net.cmd(f"aws ec2 create-network-acl-entry --network-acl-id {acl_id} --egress --rule-number {number} "
                    f"--protocol tcp --port-range From=443,To=443 --cidr-block {cidr} --rule-action allow"),
        )
    elif out.state == UNSURE:
        path.doubt(f"network ACL {acl_id}: {out.text}")
    back = _acl(entries, False, net.ports, dest, net.vpc)
    if back.state == FAIL:
        path.fail(f"network ACL {acl_id}: {back.text} from {where} (replies to the node's ephemeral ports)")
        number = _free_rule_number(entries, False, back.rule)
        net.fixes.add(
            f"Network ACLs are stateless: let the replies back in to the node's ephemeral ports in {acl_id}.",
            net.cmd(f"aws ec2 create-network-acl-entry --network-acl-id {acl_id} --ingress --rule-number {number} "
                    f"--protocol tcp --port-range From=1024,To=65535 --cidr-block {cidr} --rule-action allow"),
        )
    elif back.state == UNSURE:
        path.doubt(f"network ACL {acl_id}: {back.text}")


def _via_endpoint(net: _Net, path: _Path, endpoint: Mapping[str, Any]) -> None:
    eid = str(endpoint.get("VpcEndpointId"))
    path.via = f"interface endpoint {eid}"
    if str(endpoint.get("State", "")).lower() != "available":
        path.fail(f"endpoint {eid} is {endpoint.get('State')}, not available")
        net.fixes.add(f"Endpoint {eid} is {endpoint.get('State')}: wait for it to become available, or recreate it.",
                      net.cmd(f"aws ec2 describe-vpc-endpoints --vpc-endpoint-ids {eid}"))
    endpoint_groups = [str(g.get("GroupId")) for g in endpoint.get("Groups") or []]
    verdicts: list[tuple[str, str]] = []
    if not endpoint_groups:
        # An interface endpoint created without security groups gets the VPC's default group.
        default = next((g for g in net.groups.values()
                        if g.get("GroupName") == "default" and g.get("VpcId") == net.vpc_id), None)
        if default is not None:
            endpoint_groups = [str(default.get("GroupId"))]
        else:
            verdicts.append((UNSURE, f"endpoint {eid} lists no security groups and the VPC's default group "
                                     "could not be read"))
    for gid in endpoint_groups:
        record = net.groups.get(gid)
        if record is None:
            verdicts.append((UNSURE, f"security group {gid} of {eid} could not be read"))
            continue
        verdict = _ingress_from(record, net.node_ip, net.node_groups)
        if verdict[0] == FAIL and _bare_default_group(record, net.node_groups):
            verdict = (UNSURE, f"{gid} is the VPC's default security group and the node is a member; AWS creates "
                               "that group with an inbound rule admitting its own members, but it shows no inbound "
                               "rules at all here, so whether the node may reach the endpoint is not certain")
        verdicts.append(verdict)
    if not any(v[0] == OK for v in verdicts):
        if any(v[0] == UNSURE for v in verdicts):
            path.doubt("; ".join(v[1] for v in verdicts if v[0] == UNSURE))
        else:
            path.fail(f"no security group of {eid} admits TCP 443 from the node")
            gid = endpoint_groups[0] if endpoint_groups else "ENDPOINT_SECURITY_GROUP"
            net.fixes.add(
                f"Let the node reach endpoint {eid}: its security group must admit TCP 443 from the node.",
                net.cmd(f"aws ec2 authorize-security-group-ingress --group-id {gid} --protocol tcp --port 443 "
                        f"--source-group {net.node_group}"),
            )
    state, text = _egress_to(net.node_group_records(), "vpc", net.vpc, endpoint_groups)
    _egress_result(net, path, state, text, "vpc")
    if net.subnet_id not in (endpoint.get("SubnetIds") or []):
        _check_acl(net, path, "vpc", f"endpoint {eid}")


def _egress_result(net: _Net, path: _Path, state: str, text: str, dest: str) -> None:
    if state == FAIL:
        path.fail(text)
        cidr = "0.0.0.0/0" if dest == "internet" or not net.vpc else str(net.vpc[0])
        net.fixes.add(
            f"Allow outbound TCP 443 from the node's security group {net.node_group}.",
            net.cmd(f"aws ec2 authorize-security-group-egress --group-id {net.node_group} --ip-permissions "
                    f"'IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{{CidrIp={cidr}}}]'"),
        )
    elif state == UNSURE:
        path.doubt(text)


def _via_route(net: _Net, path: _Path, kind: str, target_id: str, public_ip: str) -> None:
    if kind == "igw":
        path.via = f"internet gateway {target_id}"
        if not public_ip:
            path.fail(f"the subnet routes to internet gateway {target_id}, but the node has no public IP address")
            return
    elif kind == "nat":
        path.via = f"NAT gateway {target_id}"
    elif kind == "other":
        path.via = target_id
        path.doubt(f"the default route goes to {target_id}, which ssm-doctor does not follow")
        return
    elif kind == "blackhole":
        path.via = f"blackhole route to {target_id}"
        path.fail(f"the default route points at {target_id}, which no longer exists (blackhole)")
        return
    elif kind == DEFAULT_VPC and public_ip:
        path.via = "the default VPC's internet gateway"
        path.doubt(
            f"subnet {net.subnet_id} is a default subnet, and AWS creates the default VPC with an internet gateway "
            f"and a default route to it in the main route table; here route table {net.table.get('RouteTableId')} "
            "has no default route and no route table of the VPC names an internet gateway, so the data look "
            "incomplete rather than deliberately private"
        )
    else:
        path.via = "nothing"
        path.fail("the subnet has no default route to the internet and the VPC has no endpoint for it")
        return
    state, text = _egress_to(net.node_group_records(), "internet", net.vpc)
    _egress_result(net, path, state, text, "internet")
    _check_acl(net, path, "internet", "the internet")


def _endpoint_sg_commands(net: _Net, endpoints: Sequence[Mapping[str, Any]]) -> tuple[str, list[str]]:
    """A security group to put on new endpoints: an existing endpoint group that admits the node, or a new one."""
    for endpoint in endpoints:
        for g in endpoint.get("Groups") or []:
            record = net.groups.get(str(g.get("GroupId")))
            if record and _ingress_from(record, net.node_ip, net.node_groups)[0] == OK:
                return str(g.get("GroupId")), []
    return '"$ENDPOINT_SG"', [
        f"ENDPOINT_SG=$(aws ec2 create-security-group --group-name ssm-endpoints-{net.vpc_id} "
        f"--description 'HTTPS from managed nodes to Systems Manager endpoints' --vpc-id {net.vpc_id} "
        f"--query GroupId --output text --region {net.region})",
        net.cmd(f'aws ec2 authorize-security-group-ingress --group-id "$ENDPOINT_SG" --protocol tcp --port 443 '
                f"--source-group {net.node_group}"),
    ]


def _required_services(session_preferences: Mapping[str, Any] | None) -> tuple[list[str], bool]:
    prefs = preferences_or_none(session_preferences) if session_preferences is not None else None
    services = list(CORE_SERVICES)
    if prefs is not None:
        if prefs.kms_enabled:
            services.append("kms")
        if prefs.cloudwatch_logging:
            services.append("logs")
        if prefs.s3_logging:
            services.append("s3")
    return services, prefs is not None


@check(
    "network.path",
    title="The node can reach the Systems Manager endpoints",
    requires=("ec2.instance",),
    problem="network-unreachable",
    doc=doc("setup-create-vpc"),
    applies_to=("ec2",),
    collect=("session_preferences",),  # KMS and logging add endpoints to trace
)
def network_path(
    ec2_instance: dict[str, Any],
    subnet: dict[str, Any] | None,
    route_tables: list[dict[str, Any]],
    vpc_endpoints: list[dict[str, Any]],
    security_groups: list[dict[str, Any]],
    network_acls: list[dict[str, Any]],
    target: Target,
    session_preferences: dict[str, Any] | None = None,
    instance_info: dict[str, Any] | None = None,
    connection_status: str | None = None,
) -> Outcome:
    region = target.region
    if subnet is None:
        return unknown(
            f"{target.id} has no subnet that ssm-doctor could read, so its network path cannot be traced",
            evidence={"instance_id": target.id, "subnet_id": ec2_instance.get("SubnetId")},
        )
    subnet_id = str(subnet.get("SubnetId"))
    table, how = _route_table(route_tables, subnet_id)
    if table is None:
        return unknown(
            f"No route table was found for subnet {subnet_id} (neither an explicit association nor the VPC's main "
            "table)",
            evidence={"subnet_id": subnet_id, "vpc_id": subnet.get("VpcId")},
        )
    private_ip = str(ec2_instance.get("PrivateIpAddress") or "")
    try:
        node_ip: ipaddress.IPv4Address | None = ipaddress.IPv4Address(private_ip)
    except ValueError:
        node_ip = None
    platform = str(ec2_instance.get("Platform") or ec2_instance.get("PlatformDetails") or "").lower()
    net = _Net(
        target=target,
        instance=ec2_instance,
        subnet=subnet,
        table=table,
        vpc=_vpc_cidrs(table, subnet),
        node_ip=node_ip,
        node_groups=_group_ids(ec2_instance),
        groups={str(g.get("GroupId")): g for g in security_groups},
        acl=network_acls[0] if network_acls else None,
        ports=EPHEMERAL["windows" if "windows" in platform else "linux"],
    )
    services, prefs_known = _required_services(session_preferences)
    kind, target_id, _route = _default_route(table)
    if kind == "none" and _default_vpc_route_unseen(subnet, how, route_tables):
        kind = DEFAULT_VPC
    public_ip = _public_ip(ec2_instance)

    paths: list[_Path] = []
    missing_endpoints: list[str] = []
    for service in services:
        path = _Path(service)
        paths.append(path)
        if service == "s3":
            gateway = _endpoint_for(vpc_endpoints, region, "s3", "Gateway")
            if gateway is not None and table.get("RouteTableId") in (gateway.get("RouteTableIds") or []):
                path.via = f"gateway endpoint {gateway.get('VpcEndpointId')}"
                if str(gateway.get("State", "")).lower() != "available":
                    path.fail(f"gateway endpoint {gateway.get('VpcEndpointId')} is {gateway.get('State')}")
                state, text = _egress_to(net.node_group_records(), "internet", net.vpc)
                _egress_result(net, path, state, text, "internet")
                _check_acl(net, path, "internet", "Amazon S3")
                continue
        endpoint = _endpoint_for(vpc_endpoints, region, service, "Interface")
        if endpoint is not None and endpoint.get("PrivateDnsEnabled"):
            _via_endpoint(net, path, endpoint)
            continue
        _via_route(net, path, kind, target_id, public_ip)
        no_route = kind in ("none", "blackhole") or (kind in ("igw", DEFAULT_VPC) and not public_ip)
        if path.state != FAIL or not no_route:
            continue
        if endpoint is not None:
            eid = endpoint.get("VpcEndpointId")
            path.via = f"nothing (endpoint {eid} has private DNS off)"
            path.problems.insert(0, f"endpoint {eid} exists but has private DNS turned off, so the node does not "
                                    "use it")
            net.fixes.add(f"Turn on private DNS for {eid}, so that {service}.{region}.amazonaws.com resolves to it.",
                          net.cmd(f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {eid} --private-dns-enabled"))
        else:
            missing_endpoints.append(service)

    evidence: dict[str, Any] = {
        "instance_id": target.id,
        "vpc_id": net.vpc_id,
        "subnet_id": subnet_id,
        "private_ip": private_ip or None,
        "public_ip": public_ip or None,
        "route_table_id": table.get("RouteTableId"),
        "route_table_association": how,
        "default_route": ({"kind": kind, "target": target_id} if kind != "none" else None),
        "security_groups": net.node_groups,
        "network_acl_id": (net.acl or {}).get("NetworkAclId"),
        "services": {p.service: p.to_json() for p in paths},
        "not_modelled": list(NOT_MODELLED),
    }
    if not prefs_known:
        evidence["note"] = ("the Session Manager preferences were not read in this run, so only ssm, ssmmessages "
                            "and ec2messages were traced (kms, logs and s3 are needed when encryption or logging "
                            "is on)")

    if missing_endpoints:
        _endpoint_fixes(net, missing_endpoints, vpc_endpoints, kind, target_id, public_ip)
    failing = [p for p in paths if p.state == FAIL]
    doubtful = [p for p in paths if p.state == UNSURE]
    agent_connected = bool(instance_info and instance_info.get("PingStatus") == "Online"
                           and connection_status == "connected")

    if failing:
        names = _join(p.service for p in failing)
        if all(p.via == "nothing" for p in failing):
            summary = (f"{target.id} cannot reach {names} from subnet {subnet_id}: its route table "
                       f"{table.get('RouteTableId')} has no default route to the internet and VPC {net.vpc_id} has "
                       f"no VPC endpoints for {'it' if len(failing) == 1 else 'them'}")
        else:
            summary = f"{target.id} cannot reach {names} from subnet {subnet_id}: {failing[0].problems[0]}"
        # An agent that is online and connected proves a way to the core endpoints; if the model finds none,
        # the node uses one the model does not see (such as a proxy), which then carries the rest too.
        if agent_connected and any(p.service in CORE_SERVICES for p in failing):
            evidence["agent_online"] = True
            return warned(
                summary + ". Yet SSM Agent is online and connected, so it must use a path ssm-doctor does not "
                "model (for example an HTTP proxy)",
                evidence, net.fixes.build(),
            )
        return failed(summary, evidence, net.fixes.build())
    if doubtful:
        names = _join(p.service for p in doubtful)
        reason = doubtful[0].doubts[0]
        # A connected agent proves the pieces on its way to the core endpoints; another service whose only
        # doubts are those same pieces (the same route, the same security group) is proven with them.
        proven = {d for p in paths if p.service in CORE_SERVICES for d in p.doubts}
        if agent_connected and all(p.service in CORE_SERVICES or set(p.doubts) <= proven for p in doubtful):
            evidence["agent_online"] = True
            others = [p.service for p in doubtful if p.service not in CORE_SERVICES]
            also = (f"; {_join(others)} {'goes' if len(others) == 1 else 'go'} the same way" if others else "")
            return passed(
                f"SSM Agent on {target.id} is online and connected, so it reaches "
                f"{_join(p.service for p in doubtful if p.service in CORE_SERVICES) or 'Systems Manager'}{also} "
                f"(ssm-doctor could not trace the path itself: {reason})",
                evidence,
            )
        return unknown(
            f"Could not confirm that {target.id} reaches {names}: {reason}",
            evidence=evidence,
            fix=Fix((
                "Confirm the path on the node itself: with SSM Agent 3.1.501.0 or later run "
                "'ssm-cli get-diagnostics', or test HTTPS to each endpoint "
                f"(for example: curl -sI https://ssm.{region}.amazonaws.com).",
            )),
        )
    return passed(f"{target.id} reaches {_describe_paths(paths)}", evidence)


def _join(items: Iterable[str]) -> str:
    words = list(items)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _describe_paths(paths: Sequence[_Path]) -> str:
    by_via: dict[str, list[str]] = {}
    for p in paths:
        key = "VPC endpoints" if p.via.startswith("interface endpoint") else p.via
        by_via.setdefault(key, []).append(p.service)
    parts = [f"{_join(services)} through {via}" for via, services in by_via.items()]
    return "; ".join(parts)


def _endpoint_fixes(net: _Net, services: Sequence[str], endpoints: Sequence[Mapping[str, Any]], kind: str,
                    target_id: str, public_ip: str) -> None:
    if kind == "igw" and not public_ip:
        net.fixes.add(
            f"Either give the node a public IP address (the subnet already routes to {target_id})…",
            f"EIP=$(aws ec2 allocate-address --domain vpc --query AllocationId --output text --region {net.region})",
            net.cmd(f'aws ec2 associate-address --instance-id {net.target.id} --allocation-id "$EIP"'),
        )
    else:
        net.fixes.add(
            f"Either route subnet {net.subnet_id}'s internet traffic (0.0.0.0/0 in route table "
            f"{net.table.get('RouteTableId')}) through a NAT gateway in a public subnet…"
        )
    interface = [s for s in services if s != "s3"]
    if interface:
        sg, setup = _endpoint_sg_commands(net, endpoints)
        net.fixes.add(
            f"…or add interface VPC endpoints with private DNS in {net.vpc_id} for {_join(interface)}, with a "
            f"security group that admits TCP 443 from the node ({net.node_group}).",
            *setup,
            *[
                net.cmd(f"aws ec2 create-vpc-endpoint --vpc-id {net.vpc_id} --vpc-endpoint-type Interface "
                        f"--service-name {_service_name(net.region, s)} --subnet-ids {net.subnet_id} "
                        f"--security-group-ids {sg} --private-dns-enabled")
                for s in interface
            ],
        )
    if "s3" in services:
        net.fixes.add(
            "Session logs to S3 need a gateway endpoint for S3 on the subnet's route table.",
            net.cmd(f"aws ec2 create-vpc-endpoint --vpc-id {net.vpc_id} --vpc-endpoint-type Gateway "
                    f"--service-name {_service_name(net.region, 's3')} "
                    f"--route-table-ids {net.table.get('RouteTableId')}"),
        )
