"""Least-privilege IAM policies: what running a diagnosis reads, and what resetting a password needs.

``ssm-doctor policy --for doctor`` lists exactly the actions the collectors (and target resolution) call; all
are reads, so the policy grants no change. ``--for reset`` is what a person needs to reset passwords with
AWS-PasswordReset: start the session on the node and the document, send commands to the node (the
password-reset prerequisites ask for it; AWS-UpdateSSMAgent is the document the agent update sends), end or
resume only their own sessions, see the node, and create the session's data key.
"""

from __future__ import annotations

import json
from typing import Any

from doctor.iam import least_privilege_policy

#: IAM actions a diagnosis may call, by service (collectors and target resolution).
DOCTOR_ACTIONS: dict[str, tuple[str, ...]] = {
    "sts": ("sts:GetCallerIdentity",),
    "ec2": (
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcEndpoints",
    ),
    "ssm": (
        "ssm:DescribeInstanceInformation",
        "ssm:DescribeSessions",
        "ssm:GetConnectionStatus",
        "ssm:GetDocument",
        "ssm:GetServiceSetting",
        "ssm:ListTagsForResource",
    ),
    "iam": (
        "iam:GetInstanceProfile",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:GetUser",
        "iam:GetUserPolicy",
        "iam:GetGroupPolicy",
        "iam:ListAttachedGroupPolicies",
        "iam:ListAttachedRolePolicies",
        "iam:ListAttachedUserPolicies",
        "iam:ListGroupPolicies",
        "iam:ListGroupsForUser",
        "iam:ListRolePolicies",
        "iam:ListUserPolicies",
        "iam:SimulatePrincipalPolicy",
    ),
    "kms": ("kms:DescribeKey", "kms:GetKeyPolicy"),
    "s3": ("s3:GetBucketLocation", "s3:GetEncryptionConfiguration"),
    "logs": ("logs:DescribeLogGroups",),
}

#: API operations whose IAM action is named differently (as counted in a report's ``aws_calls``).
ACTION_OF_OPERATION = {"s3:GetBucketEncryption": "s3:GetEncryptionConfiguration"}

PASSWORD_RESET_DOCUMENT = "arn:aws:ssm:*:*:document/AWS-PasswordReset"
UPDATE_AGENT_DOCUMENT = "arn:aws:ssm:*:*:document/AWS-UpdateSSMAgent"
NODES = ("arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:managed-instance/*")
OWN_SESSIONS = "arn:aws:ssm:*:*:session/${aws:username}-*"


def iam_action(operation: str) -> str:
    """The IAM action for an operation as ``aws_calls`` names it (``service:Operation``)."""
    return ACTION_OF_OPERATION.get(operation, operation)


def doctor_actions() -> tuple[str, ...]:
    return tuple(a for actions in DOCTOR_ACTIONS.values() for a in actions)


def doctor_policy() -> dict[str, Any]:
    """Read-only: every action a diagnosis calls, on any resource (these reads do not take resource ARNs)."""
    statements = [
        {"Sid": f"SsmDoctorReads{service.upper() if len(service) <= 3 else service.capitalize()}",
         "Effect": "Allow", "Action": sorted(actions), "Resource": "*"}
        for service, actions in DOCTOR_ACTIONS.items()
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def reset_policy(kms_key: str | None = None) -> dict[str, Any]:
    """What a person needs to reset passwords with AWS-PasswordReset."""
    return least_privilege_policy([
        (["ssm:StartSession"], [*NODES, PASSWORD_RESET_DOCUMENT]),
        (["ssm:SendCommand"], [*NODES, UPDATE_AGENT_DOCUMENT]),
        (["ssm:TerminateSession", "ssm:ResumeSession"], [OWN_SESSIONS]),
        (["ssm:GetConnectionStatus", "ssm:DescribeInstanceInformation"], ["*"]),
        (["kms:GenerateDataKey"], [kms_key or "arn:aws:kms:*:*:key/*"]),
    ])


def policy_text(kind: str, kms_key: str | None = None) -> tuple[str, str]:
    """The policy as JSON, and a note for the reader; ``kind`` is ``doctor`` or ``reset``."""
    if kind == "doctor":
        note = ("Read-only: lets ssm-doctor diagnose. It reads IAM policies to explain decisions; without the iam: "
                "actions the permission checks are reported as unknown.")
        return json.dumps(doctor_policy(), indent=2) + "\n", note
    if kind == "reset":
        note = ("The session resources use ${aws:username}, which only IAM users have; for roles (IAM Identity "
                "Center) allow session/* with the condition ssm:resourceTag/aws:ssmmessages:session-id = "
                "${aws:userid}. Narrow the node ARNs to the nodes concerned"
                + ("" if kms_key else ", and pass --kms-key with the session key's ARN")
                + ". ssm-doctor pwreset --reset diagnoses first: attach the doctor policy too.")
        return json.dumps(reset_policy(kms_key), indent=2) + "\n", note
    raise ValueError(f"unknown policy {kind!r}; choose doctor or reset")
