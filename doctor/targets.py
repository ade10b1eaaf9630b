"""Turning what the user typed into targets: ids are validated before any call; names resolve to one node."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from doctor.facts import ACCESS_DENIED_CODES, Target, UnavailableError

if TYPE_CHECKING:
    from doctor.aws import Aws

INSTANCE_ID_RE = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
MANAGED_ID_RE = re.compile(r"^mi-[0-9a-f]{17}$")
# Something that is meant as an id (a prefix and one run of letters/digits, in any case), valid or not.
_ID_SHAPED = re.compile(r"^[mM]?[iI]-[0-9A-Za-z]*$")
_LIVE_STATES = ["pending", "running", "stopping", "stopped"]


class TargetError(Exception):
    """A target that cannot be diagnosed as typed: malformed, unknown or ambiguous (exit code 2)."""


def is_node_id(text: str) -> bool:
    return bool(INSTANCE_ID_RE.match(text) or MANAGED_ID_RE.match(text))


def validate_id(text: str) -> str:
    """Return the id, or raise TargetError for something id-shaped that is not a valid id."""
    if is_node_id(text):
        return text
    if text[:3].lower() == "mi-":
        raise TargetError(f"malformed managed node id {text!r}: expected mi- followed by 17 hex digits")
    raise TargetError(f"malformed instance id {text!r}: expected i- followed by 8 or 17 hex digits")


def looks_like_id(text: str) -> bool:
    return bool(_ID_SHAPED.match(text))


def _tag(tags: Iterable[dict[str, Any]] | None, key: str) -> str:
    for tag in tags or ():
        if tag.get("Key") == key:
            return str(tag.get("Value", ""))
    return ""


def _why(exc: UnavailableError) -> str:
    gone = exc.unavailable
    if gone.code in ACCESS_DENIED_CODES or not gone.message:
        return gone.describe()
    return f"{gone.describe()}: {gone.message[:200]}"


def resolve_name(aws: Aws, region: str, name: str) -> Target:
    """Find the one node whose Name tag or computer name is ``name``; raise TargetError otherwise."""
    found: dict[str, str] = {}
    errors: list[str] = []
    try:
        reservations = aws.paginate(
            "ec2", "describe_instances", region, "Reservations",
            Filters=[
                {"Name": "tag:Name", "Values": [name]},
                {"Name": "instance-state-name", "Values": _LIVE_STATES},
            ],
        )
        for reservation in reservations:
            for instance in reservation.get("Instances", []):
                if instance.get("InstanceId"):
                    found[str(instance["InstanceId"])] = _tag(instance.get("Tags"), "Name")
    except UnavailableError as exc:
        errors.append(_why(exc))
    try:
        nodes = aws.paginate("ssm", "describe_instance_information", region, "InstanceInformationList")
        wanted = name.lower()
        for node in nodes:
            computer = str(node.get("ComputerName") or "")
            labels = {computer.lower(), computer.split(".")[0].lower(), str(node.get("Name") or "").lower()}
            if wanted in labels and node.get("InstanceId"):
                found.setdefault(str(node["InstanceId"]), computer or str(node.get("Name") or ""))
    except UnavailableError as exc:
        errors.append(_why(exc))
    if not found and len(errors) == 2:
        raise TargetError(f"cannot look up the name {name!r} in {region}: {'; '.join(errors)}")
    if not found:
        detail = f" ({'; '.join(errors)})" if errors else ""
        raise TargetError(f"no instance or managed node named {name!r} in {region}{detail}")
    if len(found) > 1:
        listing = ", ".join(f"{nid} ({label})" if label else nid for nid, label in sorted(found.items()))
        raise TargetError(f"{name!r} matches {len(found)} nodes in {region}: {listing}; pass one id instead")
    node_id = next(iter(found))
    return Target(node_id, region, name)


def resolve(aws: Aws | None, region: str, text: str) -> Target:
    text = text.strip()
    if not text:
        raise TargetError("empty target")
    if looks_like_id(text):
        return Target(validate_id(text), region)
    if aws is None:
        raise TargetError(f"{text!r} is a name; names need AWS access to resolve")
    return resolve_name(aws, region, text)


def expand_filters(aws: Aws, region: str, filters: Sequence[str]) -> list[Target]:
    """Nodes matching every ``tag:K=V`` filter (EC2 tags and managed-node tags)."""
    ec2_filters = []
    ssm_filters = []
    for item in filters:
        m = re.match(r"^tag:([^=]+)=(.*)$", item)
        if not m:
            raise TargetError(f"unsupported filter {item!r}: use tag:KEY=VALUE")
        key, value = m.group(1), m.group(2)
        ec2_filters.append({"Name": f"tag:{key}", "Values": [value]})
        ssm_filters.append({"Key": f"tag:{key}", "Values": [value]})
    found: dict[str, str] = {}
    reservations = aws.paginate(
        "ec2", "describe_instances", region, "Reservations",
        Filters=[*ec2_filters, {"Name": "instance-state-name", "Values": _LIVE_STATES}],
    )
    for reservation in reservations:
        for instance in reservation.get("Instances", []):
            if instance.get("InstanceId"):
                found[str(instance["InstanceId"])] = _tag(instance.get("Tags"), "Name")
    nodes = aws.paginate("ssm", "describe_instance_information", region, "InstanceInformationList",
                         Filters=ssm_filters)
    for node in nodes:
        if node.get("InstanceId"):
            found.setdefault(str(node["InstanceId"]), str(node.get("ComputerName") or ""))
    return [Target(nid, region, label) for nid, label in sorted(found.items())]


def all_managed(aws: Aws, region: str) -> list[Target]:
    nodes = aws.paginate("ssm", "describe_instance_information", region, "InstanceInformationList")
    return [Target(str(n["InstanceId"]), region, str(n.get("ComputerName") or ""))
            for n in nodes if n.get("InstanceId")]


def read_targets_file(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        lines = [line.split("#", 1)[0].strip() for line in handle]
    return [line for line in lines if line]
