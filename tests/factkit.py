"""Build fact stores for checks without AWS: the same shapes the collectors produce."""

from __future__ import annotations

from typing import Any

import doctor.collectors  # noqa: F401  (registers fact scopes)
from doctor.facts import FactStore, Options, Target, Unavailable

EC2_ID = "i-0123456789abcdef0"
MI_ID = "mi-0123456789abcdef0"
REGION = "us-east-1"
ACCOUNT = "123456789012"
NOW = "2026-12-03T10:00:00Z"


def credentials(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ok": True,
        "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
        "account": ACCOUNT,
        "user_id": "AIDAEXAMPLE",
        "region": REGION,
        "profile": None,
    }
    data.update(over)
    return data


def plugin(version: str | None = "1.2.650.0", **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "path": "/usr/local/bin/session-manager-plugin",
        "on_path": True,
        "searched": ["PATH"],
        "platform": "linux",
        "runs": True,
        "exit_code": 0,
        "output": version or "",
        "version": version,
        "error": None,
    }
    data.update(over)
    return data


def ec2_instance(state: str = "running", **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "InstanceId": EC2_ID,
        "State": {"Name": state},
        "InstanceType": "t3.micro",
        "Tags": [{"Key": "Name", "Value": "web-01"}],
        "PrivateIpAddress": "10.0.1.15",
    }
    data.update(over)
    return data


def instance_info(node_id: str = EC2_ID, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "InstanceId": node_id,
        "PingStatus": "Online",
        "LastPingDateTime": "2026-12-03T09:58:00Z",
        "AgentVersion": "3.3.987.0",
        "IsLatestVersion": True,
        "PlatformType": "Linux",
        "PlatformName": "Amazon Linux",
        "PlatformVersion": "2023",
        "ResourceType": "EC2Instance" if node_id.startswith("i-") else "ManagedInstance",
        "ComputerName": "ip-10-0-1-15.ec2.internal",
        "IPAddress": "10.0.1.15",
    }
    data.update(over)
    return data


def healthy(node_id: str = EC2_ID) -> dict[str, Any]:
    """Facts for a node where every foundation check passes."""
    return {
        "credentials": credentials(),
        "plugin": plugin(),
        "now": NOW,
        "ec2_instance": ec2_instance(),
        "instance_info": instance_info(node_id),
        "connection_status": "connected",
        "activation_tier": {"SettingId": "/ssm/managed-instance/activation-tier", "SettingValue": "advanced",
                            "Status": "Customized"},
        "recent_sessions": [],
    }


def denied(operation: str) -> Unavailable:
    return Unavailable(operation, "AccessDeniedException", f"not authorized to perform: {operation}", operation)


def store(facts: dict[str, Any], target: Target, user: str | None = None) -> FactStore:
    """A replay store holding exactly these facts for the target."""
    s = FactStore(None, Options(user=user), replay=True)
    for name, value in facts.items():
        s.put(FactStore.key(name, target, target.region), value)
    return s


def target(node_id: str = EC2_ID, region: str = REGION) -> Target:
    return Target(node_id, region)
