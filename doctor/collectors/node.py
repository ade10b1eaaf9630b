"""Collectors for the node: EC2, its Systems Manager registration, tier and sessions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from doctor.facts import Context, fact

# How far back sessions.recent-failures looks.
RECENT_SESSION_WINDOW = timedelta(days=7)


@fact("ec2_instance", scope="target")
def collect_ec2_instance(ctx: Context) -> dict[str, Any] | None:
    """The EC2 instance (ec2:DescribeInstances), or None when it does not exist in this region."""
    assert ctx.target is not None
    missing = {"InvalidInstanceID.NotFound": None, "InvalidInstanceID.Malformed": None}
    resp = ctx.call("ec2", "describe_instances", expect=missing, InstanceIds=[ctx.target.id])
    if resp is None:
        return None
    for reservation in resp.get("Reservations", []):
        for instance in reservation.get("Instances", []):
            if instance.get("InstanceId") == ctx.target.id:
                return instance  # type: ignore[no-any-return]
    return None


@fact("instance_info", scope="target")
def collect_instance_info(ctx: Context) -> dict[str, Any] | None:
    """The node's Systems Manager registration (ssm:DescribeInstanceInformation), or None."""
    assert ctx.target is not None
    nodes = ctx.paginate(
        "ssm",
        "describe_instance_information",
        "InstanceInformationList",
        Filters=[{"Key": "InstanceIds", "Values": [ctx.target.id]}],
    )
    for node in nodes:
        if node.get("InstanceId") == ctx.target.id:
            return node  # type: ignore[no-any-return]
    return None


@fact("connection_status", scope="target")
def collect_connection_status(ctx: Context) -> str:
    """Whether Session Manager can connect to the node now (ssm:GetConnectionStatus)."""
    assert ctx.target is not None
    resp = ctx.call("ssm", "get_connection_status", Target=ctx.target.id)
    return str(resp.get("Status", ""))


def _service_setting(ctx: Context, setting_id: str) -> dict[str, Any]:
    resp = ctx.call("ssm", "get_service_setting", SettingId=setting_id)
    setting = resp.get("ServiceSetting", {})
    return {k: setting.get(k) for k in ("SettingId", "SettingValue", "Status", "ARN", "LastModifiedDate")}


@fact("activation_tier", scope="region")
def collect_activation_tier(ctx: Context) -> dict[str, Any]:
    """The account's instance tier for hybrid nodes in this region (ssm:GetServiceSetting)."""
    return _service_setting(ctx, "/ssm/managed-instance/activation-tier")


@fact("recent_sessions", scope="target")
def collect_recent_sessions(ctx: Context) -> list[dict[str, Any]]:
    """Sessions on the node in the last week (ssm:DescribeSessions, history)."""
    assert ctx.target is not None
    now = datetime.fromisoformat(str(ctx.fact("now")).replace("Z", "+00:00"))
    since = (now - RECENT_SESSION_WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ")
    sessions = ctx.paginate(
        "ssm",
        "describe_sessions",
        "Sessions",
        State="History",
        Filters=[{"key": "Target", "value": ctx.target.id}, {"key": "InvokedAfter", "value": since}],
    )
    keep = ("SessionId", "Status", "StartDate", "EndDate", "DocumentName", "Owner", "Reason", "Details")
    return [{k: s.get(k) for k in keep if s.get(k) is not None} for s in sessions]


_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")


def account_of(arn: str) -> str:
    m = _ARN_ACCOUNT.match(arn or "")
    return m.group(1) if m else ""
