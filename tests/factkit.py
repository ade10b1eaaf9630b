"""Build fact stores for checks without AWS: the same shapes the collectors produce."""

from __future__ import annotations

import json
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


ROLE = "SSMInstanceRole"
CORE_POLICY: dict[str, Any] = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["ssm:UpdateInstanceInformation"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                                   "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["ec2messages:*"], "Resource": "*"},
]}


def iam_role(name: str = ROLE, trust: str = "ec2.amazonaws.com", **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "exists": True, "RoleName": name, "RoleId": "AROAEXAMPLE", "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "Path": "/", "Tags": {}, "PermissionsBoundaryArn": None,
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": trust}, "Action": "sts:AssumeRole"}]},
    }
    data.update(over)
    return data


def node_role(node_id: str = EC2_ID, **over: Any) -> dict[str, Any]:
    """The node_role fact: an instance profile (EC2) or the activation role (hybrid)."""
    if node_id.startswith("mi-"):
        data: dict[str, Any] = {"source": "activation", "registered": True, "role_name": "SSMServiceRole",
                                "activation_id": "a1b2c3", "how": "the role of the node's hybrid activation",
                                "role": iam_role("SSMServiceRole", "ssm.amazonaws.com")}
    else:
        data = {"source": "instance-profile", "role_name": ROLE, "how": f"instance profile {ROLE}",
                "metadata_options": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
                "profile": {"name": ROLE, "arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{ROLE}", "exists": True,
                            "roles": [{"RoleName": ROLE, "Arn": f"arn:aws:iam::{ACCOUNT}:role/{ROLE}", "Path": "/"}]},
                "role": iam_role()}
    data.update(over)
    return data


def caller_principal(name: str = "alice", **over: Any) -> dict[str, Any]:
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    data: dict[str, Any] = {"kind": "user", "caller_arn": arn, "arn": arn, "principal_arn": arn, "account": ACCOUNT,
                            "name": name, "user_id": "AIDAEXAMPLE", "tags": {}, "tags_known": True,
                            "policies_key": f"user/{name}"}
    data.update(over)
    return data


def access(
    principal: dict[str, Any],
    requests: list[tuple[str, str]],
    decisions: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    policies: list[dict[str, Any]] | None = None,
    simulate: bool = True,
) -> dict[str, Any]:
    """An access record as the collectors build it. With ``simulate``, the simulation decides each request
    (``decisions`` maps an action to its decision, default allowed); otherwise it was denied and ``policies``
    (documents) are evaluated locally."""
    from doctor import permissions as perm

    context = perm.request_context(principal, REGION, NOW, tags or {})
    record = perm.access_record(principal, [perm.new_request(a, r, context, True) for a, r in requests])
    if simulate:
        for req in record["requests"]:
            decision = (decisions or {}).get(req["action"], "allowed")
            matched = [{"policy": "SessionManagerOperator", "type": "user"}] if decision != "implicitDeny" else []
            req["simulation"] = {"action": req["action"], "resource": req["resource"], "decision": decision,
                                 "matched": matched, "missing_context": []}
    else:
        record["simulation_unavailable"] = [denied("iam:SimulatePrincipalPolicy").to_json()]
        record["policies"] = {"principal": principal.get("policies_key"), "boundary": None, "unreadable": [],
                              "policies": [{"name": f"policy{i}", "type": "inline", "document": d}
                                           for i, d in enumerate(policies or [])]}
    return record


def permission_facts(node_id: str = EC2_ID, principal: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    """The caller's access records for a node (see ``access``)."""
    from doctor import permissions as perm

    who = principal or caller_principal()
    node = perm.node_arn(node_id, REGION, ACCOUNT)
    return {
        "caller_principal": who,
        "caller_node_access": access(who, [("ssm:SendCommand", node), ("ssm:StartSession", node)], **kwargs),
        "caller_document_access": access(who, [
            ("ssm:StartSession", perm.aws_document_arn("AWS-PasswordReset", REGION)),
            ("ssm:SendCommand", perm.aws_document_arn("AWS-UpdateSSMAgent", REGION))], **{
                k: v for k, v in kwargs.items() if k != "tags"}),
        "caller_session_access": access(who, [("ssm:TerminateSession", perm.session_arn(who, REGION, ACCOUNT))],
                                        **{k: v for k, v in kwargs.items() if k != "tags"}),
    }


def role_access(node_id: str = EC2_ID, role: str = ROLE, **kwargs: Any) -> dict[str, Any]:
    """The node_role_access fact for the node's role."""
    from doctor import permissions as perm
    from doctor.collectors.iam import NODE_REQUIRED_ACTIONS, NODE_WANTED_ACTIONS

    principal = {"kind": "role", "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "account": ACCOUNT, "name": role,
                 "principal_arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "tags": {}, "tags_known": True,
                 "policies_key": f"role/{role}"}
    requests = [(NODE_REQUIRED_ACTIONS[0], perm.node_arn(node_id, REGION, ACCOUNT))]
    requests += [(a, "*") for a in NODE_REQUIRED_ACTIONS[1:] + NODE_WANTED_ACTIONS]
    return access(principal, requests, **kwargs)


#: Where the healthy instance sits: a public subnet whose route table sends 0.0.0.0/0 to an internet gateway.
PUBLIC_INSTANCE: dict[str, Any] = {
    "SubnetId": "subnet-0123456789abcdef0", "VpcId": "vpc-0123456789abcdef0", "PublicIpAddress": "54.0.0.15",
    "SecurityGroups": [{"GroupId": "sg-0123456789abcdef0", "GroupName": "nodes"}],
}
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def prefs_network_facts(node_id: str = EC2_ID) -> dict[str, Any]:
    """Preferences with KMS on and no logging, a usable key both sides may use, and an open network path."""
    role = "SSMServiceRole" if node_id.startswith("mi-") else ROLE
    role_principal = {"kind": "role", "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "account": ACCOUNT,
                      "name": role, "principal_arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "tags": {},
                      "tags_known": True, "policies_key": f"role/{role}"}
    root = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    vpc, subnet, group = PUBLIC_INSTANCE["VpcId"], PUBLIC_INSTANCE["SubnetId"], "sg-0123456789abcdef0"
    return {
        "session_preferences": {"exists": True, "document_version": "1", "status": "Active", "content": json.dumps(
            {"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {"kmsKeyId": KEY_ARN}})},
        "kms_key": {"requested": KEY_ARN, "found": True, "policy": json.dumps({"Statement": [root]}), "metadata": {
            "Arn": KEY_ARN, "AWSAccountId": ACCOUNT, "Enabled": True, "KeyState": "Enabled",
            "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT"}},
        "caller_kms_access": access(caller_principal(), [("kms:GenerateDataKey", KEY_ARN)]),
        "node_kms_access": access(role_principal, [("kms:Decrypt", KEY_ARN)]),
        "s3_log_bucket": None,
        "cloudwatch_log_group": None,
        "node_logging_access": None,
        "subnet": {"SubnetId": subnet, "VpcId": vpc, "CidrBlock": "10.0.1.0/24"},
        "route_tables": [{"RouteTableId": "rtb-0123456789abcdef0", "VpcId": vpc,
                          "Associations": [{"Main": True}],
                          "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
                                     {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0123456789abcdef0",
                                      "State": "active"}]}],
        "vpc_endpoints": [],
        "security_groups": [{"GroupId": group, "IpPermissions": [], "IpPermissionsEgress": [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}],
        "network_acls": [{"NetworkAclId": "acl-0123456789abcdef0", "Entries": [
            {"RuleNumber": 100, "Egress": e, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}
            for e in (True, False)]}],
    }


def healthy(node_id: str = EC2_ID) -> dict[str, Any]:
    """Facts for a node where every check passes."""
    return {
        "credentials": credentials(),
        "plugin": plugin(),
        "now": NOW,
        "ec2_instance": ec2_instance(**PUBLIC_INSTANCE),
        "instance_info": instance_info(node_id),
        "connection_status": "connected",
        "activation_tier": {"SettingId": "/ssm/managed-instance/activation-tier", "SettingValue": "advanced",
                            "Status": "Customized"},
        "recent_sessions": [],
        "node_role": node_role(node_id),
        "node_role_access": role_access(node_id, "SSMServiceRole" if node_id.startswith("mi-") else ROLE),
        **permission_facts(node_id),
        **prefs_network_facts(node_id),
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
