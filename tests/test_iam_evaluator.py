"""Table of named cases for the local IAM policy evaluator.

Every case cites the documented AWS rule it encodes (IAM User Guide chapter, or the KMS Developer Guide).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from doctor.iam import Decision, Policy, Request, StatementRef, evaluate, evaluate_kms, least_privilege_policy

ACCT = "123456789012"
OTHER_ACCT = "210987654321"
USER = f"arn:aws:iam::{ACCT}:user/alice"
ROLE = f"arn:aws:iam::{ACCT}:role/ops/Operator"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/Operator/alice"
INSTANCE = f"arn:aws:ec2:us-east-1:{ACCT}:instance/i-0123456789abcdef0"
DOC = "arn:aws:ssm:us-east-1::document/AWS-PasswordReset"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

EVAL_LOGIC = "IAM User Guide, policy evaluation logic (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)"
ELEMENTS = "IAM User Guide, JSON policy elements (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html)"
OPERATORS = "IAM User Guide, condition operators (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)"
SETS = ("IAM User Guide, set operators for multivalued context keys "
        "(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html)")
VARIABLES = "IAM User Guide, policy variables (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html)"
BOUNDARIES = "IAM User Guide, permissions boundaries for IAM entities (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)"
SINGLE_ACCOUNT = ("IAM User Guide, policy evaluation for requests within a single account "
                  "(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html)")
PRINCIPAL = "IAM User Guide, Principal element (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)"
NOTPRINCIPAL = "IAM User Guide, NotPrincipal element (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)"
RESOURCE = "IAM User Guide, Resource element (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)"
KMS = "AWS KMS Developer Guide, key policies (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html)"
NO_GUESS = "evaluator contract: what cannot be evaluated is reported, never guessed"


def stmt(effect: str, action: Any, resource: Any = "*", sid: str | None = None, **extra: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect}
    if sid:
        s["Sid"] = sid
    if action is not None:
        s["Action"] = action
    if resource is not None:
        s["Resource"] = resource
    s.update(extra)
    return s


def allow(action: Any, resource: Any = "*", sid: str | None = None, **extra: Any) -> dict[str, Any]:
    return stmt("Allow", action, resource, sid, **extra)


def deny(action: Any, resource: Any = "*", sid: str | None = None, **extra: Any) -> dict[str, Any]:
    return stmt("Deny", action, resource, sid, **extra)


def pol(name: str, *statements: dict[str, Any], version: str | None = "2012-10-17", source: str = "identity") -> Policy:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return Policy(name, doc, source)


def req(action: str, resource: str, who: str | None = USER, **context: str | list[str]) -> Request:
    return Request(action=action, resource=resource, context=dict(context), principal_arn=who)


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    request: Request
    expect: str
    identity: tuple[Policy, ...] = ()
    boundary: tuple[Policy, ...] = ()
    resource: tuple[Policy, ...] = ()
    deciding: tuple[tuple[str, str | None, int], ...] | None = None
    unsupported: str | None = None  # a substring expected in one of Decision.unsupported
    reason: str | None = None  # a substring expected in Decision.reason
    kms: bool = False
    key_policy: Policy | None = None


CORE = pol("AmazonSSMManagedInstanceCore", allow(["ssm:*", "ssmmessages:*"], "*", sid="AllowSSM"))
START_DOC_AND_NODE = pol("StartPwReset", allow("ssm:StartSession", [INSTANCE, "arn:aws:ssm:*:*:document/AWS-*"]))
DENY_DOCS = pol("DenyDocs", deny("ssm:StartSession", "arn:aws:ssm:*:*:document/AWS-PasswordReset", sid="NoPwReset"))
SESSIONS = f"arn:aws:ssm:us-east-1:{ACCT}:session"
KEY_ROOT = pol(
    "KeyPolicy",
    allow("kms:*", "*", sid="EnableIAM", Principal={"AWS": f"arn:aws:iam::{ACCT}:root"}),
    source="resource",
)
IAM_GDK = pol("KmsUse", allow("kms:GenerateDataKey", KEY, sid="GenerateKey"))
UNKNOWN_OP = {"StringMatches": {"aws:RequestedRegion": "us-*"}}

CASES: list[Case] = [
    # --- policy evaluation logic -------------------------------------------------------------------------------
    Case(
        "explicit deny overrides allow",
        EVAL_LOGIC,
        req("ssm:StartSession", DOC),
        "explicitDeny",
        identity=(CORE, DENY_DOCS),
        deciding=(("DenyDocs", "NoPwReset", 0),),
        reason='explicitly denied by identity policy DenyDocs statement "NoPwReset"',
    ),
    Case("implicit deny by default without policies", EVAL_LOGIC, req("ssm:StartSession", DOC), "implicitDeny"),
    Case(
        "implicit deny when no statement allows the action",
        EVAL_LOGIC,
        req("ssm:SendCommand", INSTANCE),
        "implicitDeny",
        identity=(START_DOC_AND_NODE,),
        reason="no statement allows ssm:SendCommand on " + INSTANCE,
    ),
    Case(
        "allow names the deciding statement by sid and index",
        EVAL_LOGIC,
        req("ssm:SendCommand", INSTANCE),
        "allowed",
        identity=(pol("Ops", allow("ec2:*", sid="Ec2"), allow("ssm:SendCommand", INSTANCE, sid="Send")),),
        deciding=(("Ops", "Send", 1),),
        reason='allowed by identity policy Ops statement "Send"',
    ),
    Case(
        "a * ending a segment may cross a colon: a deny that only matches that way is uncertain",
        RESOURCE,
        req("ssm:StartSession", DOC),
        "unknown",
        identity=(pol("Ops", allow("ssm:*", "*"),
                      deny("ssm:StartSession", "arn:aws:ssm:*:document/AWS-PasswordReset", sid="NoReset")),),
        unsupported="crosses",
    ),
    Case(
        "wildcards within each segment match the AWS-owned document ARN with its empty account",
        RESOURCE,
        req("ssm:StartSession", DOC),
        "explicitDeny",
        identity=(pol("Ops", allow("ssm:*", "*"),
                      deny("ssm:StartSession", "arn:aws:ssm:*:*:document/AWS-PasswordReset", sid="NoReset")),),
    ),
    Case(
        "allow without sid is labelled by position",
        EVAL_LOGIC,
        req("ssm:StartSession", INSTANCE),
        "allowed",
        identity=(START_DOC_AND_NODE,),
        deciding=(("StartPwReset", None, 0),),
        reason="StartPwReset statement #1",
    ),
    Case(
        "statement may be a single object and action a string",
        ELEMENTS + ", Statement",
        req("ssm:StartSession", DOC),
        "allowed",
        identity=(Policy("Single", {"Version": "2012-10-17", "Statement": allow("ssm:StartSession")}),),
    ),
    # --- Action / NotAction / Resource / NotResource ------------------------------------------------------------
    Case(
        "NotAction allows every action not listed",
        ELEMENTS + ", NotAction",
        req("ssm:StartSession", DOC),
        "allowed",
        identity=(pol("AllButIam", stmt("Allow", None, "*", NotAction="iam:*")),),
    ),
    Case(
        "NotAction does not allow the listed actions",
        ELEMENTS + ", NotAction",
        req("ssm:SendCommand", INSTANCE),
        "implicitDeny",
        identity=(pol("AllButSsm", stmt("Allow", None, "*", NotAction=["ssm:*"])),),
    ),
    Case(
        "NotResource excludes the listed resource",
        ELEMENTS + ", NotResource",
        req("ssm:StartSession", DOC),
        "implicitDeny",
        identity=(pol("NotDocs", stmt("Allow", "ssm:StartSession", None, NotResource="arn:aws:ssm:*:*:document/*")),),
    ),
    Case(
        "NotResource covers resources that are not listed",
        ELEMENTS + ", NotResource",
        req("ssm:StartSession", INSTANCE),
        "allowed",
        identity=(pol("NotDocs", stmt("Allow", "ssm:StartSession", None, NotResource="arn:aws:ssm:*:*:document/*")),),
    ),
    Case(
        "action wildcard matches case-insensitively",
        ELEMENTS + ", Action (action names are not case sensitive)",
        req("ssm:StartSession", DOC),
        "allowed",
        identity=(pol("Mixed", allow("SSM:start*")),),
    ),
    Case(
        "question mark wildcard matches exactly one character",
        ELEMENTS + ", Action wildcards",
        req("ssm:SendCommand", INSTANCE),
        "allowed",
        identity=(pol("Q", allow("ssm:?endCommand")),),
    ),
    Case(
        "question mark wildcard does not match zero characters",
        ELEMENTS + ", Action wildcards",
        req("ssm:SendCommand", INSTANCE),
        "implicitDeny",
        identity=(pol("Q", allow("ssm:?SendCommand")),),
    ),
    Case(
        "resource ARN match is case-sensitive",
        ELEMENTS + ", Resource (ARNs are case sensitive)",
        req("ssm:StartSession", DOC),
        "implicitDeny",
        identity=(pol("Lower", allow("ssm:StartSession", "arn:aws:ssm:*:*:document/aws-passwordreset")),),
    ),
    Case(
        "resource wildcard matches the empty account of an AWS-owned document",
        ELEMENTS + ", Resource wildcards",
        req("ssm:StartSession", DOC),
        "allowed",
        identity=(START_DOC_AND_NODE,),
    ),
    Case(
        "resource with a short wildcard pattern covers the whole service",
        ELEMENTS + ", Resource wildcards",
        req("ssm:SendCommand", INSTANCE),
        "allowed",
        identity=(pol("AllEc2", allow("ssm:SendCommand", "arn:aws:ec2:*")),),
    ),
    # --- permissions boundaries ----------------------------------------------------------------------------------
    Case(
        "boundary intersects: identity allows, boundary does not",
        BOUNDARIES,
        req("ssm:StartSession", DOC),
        "implicitDeny",
        identity=(CORE,),
        boundary=(pol("Ec2Only", allow("ec2:*")),),
        reason="permissions boundary Ec2Only does not",
    ),
    Case(
        "boundary and identity both allow",
        BOUNDARIES,
        req("ssm:StartSession", DOC),
        "allowed",
        identity=(CORE,),
        boundary=(pol("SsmBoundary", allow("ssm:*", sid="Max")),),
        deciding=(("AmazonSSMManagedInstanceCore", "AllowSSM", 0), ("SsmBoundary", "Max", 0)),
    ),
    Case(
        "boundary alone never grants",
        BOUNDARIES,
        req("ssm:StartSession", DOC),
        "implicitDeny",
        boundary=(pol("SsmBoundary", allow("ssm:*")),),
    ),
    Case(
        "explicit deny in a boundary wins",
        BOUNDARIES,
        req("ssm:StartSession", DOC),
        "explicitDeny",
        identity=(CORE,),
        boundary=(pol("B", allow("*"), deny("ssm:StartSession", sid="NoSessions")),),
        deciding=(("B", "NoSessions", 1),),
        reason="permissions boundary B statement",
    ),
    # --- policy variables ----------------------------------------------------------------------------------------
    Case(
        "aws:username variable in Resource matches own sessions",
        VARIABLES + ", Resource element",
        req("ssm:TerminateSession", f"{SESSIONS}/alice-0a1b2c3d"),
        "allowed",
        identity=(pol("Own", allow("ssm:TerminateSession", "arn:aws:ssm:*:*:session/${aws:username}-*")),),
    ),
    Case(
        "aws:username variable in Resource does not match another user's session",
        VARIABLES + ", Resource element",
        req("ssm:TerminateSession", f"{SESSIONS}/bob-0a1b2c3d"),
        "implicitDeny",
        identity=(pol("Own", allow("ssm:TerminateSession", "arn:aws:ssm:*:*:session/${aws:username}-*")),),
    ),
    Case(
        "variable without a value makes the Resource entry match nothing (roles have no aws:username)",
        VARIABLES + ", principal key values (not present)",
        req("ssm:TerminateSession", f"{SESSIONS}/alice-0a1b2c3d", who=SESSION),
        "implicitDeny",
        identity=(pol("Own", allow("ssm:TerminateSession", "arn:aws:ssm:*:*:session/${aws:username}-*")),),
    ),
    Case(
        "variable default value is used when the key is absent",
        VARIABLES + ", specifying default values",
        req("ssm:TerminateSession", f"{SESSIONS}/shared-0a1b", who=SESSION),
        "allowed",
        identity=(pol("Own", allow("ssm:TerminateSession", "arn:aws:ssm:*:*:session/${aws:username, 'shared'}-*")),),
    ),
    Case(
        "variables are literal text without Version 2012-10-17",
        ELEMENTS + ", Version (variables need 2012-10-17)",
        req("ssm:TerminateSession", f"{SESSIONS}/alice-0a1b2c3d"),
        "implicitDeny",
        identity=(
            pol("Old", allow("ssm:TerminateSession", "arn:aws:ssm:*:*:session/${aws:username}-*"), version=None),
        ),
    ),
    Case(
        "${*} stands for a literal asterisk, not a wildcard",
        VARIABLES + ", special characters",
        req("s3:GetObject", "arn:aws:s3:::bucket/report"),
        "implicitDeny",
        identity=(pol("Star", allow("s3:GetObject", "arn:aws:s3:::bucket/${*}")),),
    ),
    Case(
        "aws:PrincipalTag variable in a condition value",
        VARIABLES + ", tags as policy variables",
        req("ssm:StartSession", INSTANCE, **{"aws:PrincipalTag/team": "blue", "ssm:resourceTag/Team": "blue"}),
        "allowed",
        identity=(
            pol(
                "Team",
                allow(
                    "ssm:StartSession", Condition={"StringEquals": {"ssm:resourceTag/Team": "${aws:PrincipalTag/team}"}}
                ),
            ),
        ),
    ),
    # --- String / Arn operators and the resource-tag pattern ----------------------------------------------------
    Case(
        "StringLike on ssm:resourceTag/Env matches dev",
        OPERATORS + ", StringLike",
        req("ssm:StartSession", INSTANCE, **{"ssm:resourceTag/Env": "dev-eu"}),
        "allowed",
        identity=(
            pol("DevOnly", allow("ssm:StartSession", Condition={"StringLike": {"ssm:resourceTag/Env": "dev*"}})),
        ),
    ),
    Case(
        "StringLike on ssm:resourceTag/Env rejects prod",
        OPERATORS + ", StringLike",
        req("ssm:StartSession", INSTANCE, **{"ssm:resourceTag/Env": "prod"}),
        "implicitDeny",
        identity=(
            pol("DevOnly", allow("ssm:StartSession", Condition={"StringLike": {"ssm:resourceTag/Env": "dev*"}})),
        ),
    ),
    Case(
        "StringEquals on a resource tag fails for the untagged AWS-PasswordReset document",
        OPERATORS + " (absent key does not match); domain facts section 4 pitfall",
        req("ssm:StartSession", DOC),
        "implicitDeny",
        identity=(
            pol("Tagged", allow("ssm:StartSession", Condition={"StringEquals": {"ssm:resourceTag/Env": "dev"}})),
        ),
    ),
    Case(
        "StringEqualsIfExists on a resource tag passes for the untagged AWS-PasswordReset document",
        OPERATORS + ", ...IfExists (absent key is true)",
        req("ssm:StartSession", DOC),
        "allowed",
        identity=(
            pol(
                "Tagged",
                allow("ssm:StartSession", Condition={"StringEqualsIfExists": {"ssm:resourceTag/Env": "dev"}}),
            ),
        ),
    ),
    Case(
        "StringEqualsIfExists still tests a present key",
        OPERATORS + ", ...IfExists",
        req("ssm:StartSession", INSTANCE, **{"ssm:resourceTag/Env": "prod"}),
        "implicitDeny",
        identity=(
            pol(
                "Tagged",
                allow("ssm:StartSession", Condition={"StringEqualsIfExists": {"ssm:resourceTag/Env": "dev"}}),
            ),
        ),
    ),
    Case(
        "condition keys are case-insensitive, StringEqualsIgnoreCase ignores value case",
        OPERATORS + ", StringEqualsIgnoreCase; condition key names are not case sensitive",
        req("ssm:StartSession", INSTANCE, **{"SSM:ResourceTag/Env": "DEV"}),
        "allowed",
        identity=(
            pol("Ci", allow("ssm:StartSession", Condition={"StringEqualsIgnoreCase": {"ssm:resourcetag/env": "dev"}})),
        ),
    ),
    Case(
        "negated operator on an absent key is true (StringNotEquals deny applies)",
        OPERATORS + " (key absent: negated operators such as StringNotLike are true)",
        req("ssm:StartSession", DOC),
        "explicitDeny",
        identity=(
            CORE,
            pol(
                "Region",
                deny("*", sid="OnlyUsEast1", Condition={"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}),
            ),
        ),
        deciding=(("Region", "OnlyUsEast1", 0),),
    ),
    Case(
        "negated operator with several values is a NOR: listed value does not deny",
        "IAM User Guide, multiple values for a negated operator (NOR)",
        req("ssm:StartSession", DOC, **{"aws:RequestedRegion": "eu-west-1"}),
        "allowed",
        identity=(
            CORE,
            pol(
                "Region", deny("*", Condition={"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}})
            ),
        ),
    ),
    Case(
        "negated operator with several values is a NOR: unlisted value denies",
        "IAM User Guide, multiple values for a negated operator (NOR)",
        req("ssm:StartSession", DOC, **{"aws:RequestedRegion": "ap-south-1"}),
        "explicitDeny",
        identity=(
            CORE,
            pol(
                "Region", deny("*", Condition={"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}})
            ),
        ),
    ),
    Case(
        "several values for one key are ORed",
        "IAM User Guide, multiple values for one context key (OR)",
        req("ssm:StartSession", DOC, **{"aws:RequestedRegion": "eu-west-1"}),
        "allowed",
        identity=(
            pol("Two", allow("ssm:*", Condition={"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}})),
        ),
    ),
    Case(
        "several keys in one operator are ANDed",
        "IAM User Guide, multiple context keys (AND)",
        req("ssm:StartSession", INSTANCE, **{"aws:RequestedRegion": "eu-west-1", "ssm:resourceTag/Env": "dev"}),
        "implicitDeny",
        identity=(
            pol(
                "Both",
                allow(
                    "ssm:*",
                    Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1", "ssm:resourceTag/Env": "dev"}},
                ),
            ),
        ),
    ),
    Case(
        "several operators are ANDed",
        "IAM User Guide, multiple condition operators (AND)",
        req("ssm:StartSession", INSTANCE, **{"aws:MultiFactorAuthPresent": "true", "ssm:resourceTag/Env": "dev"}),
        "allowed",
        identity=(
            pol(
                "Both",
                allow(
                    "ssm:*",
                    Condition={
                        "Bool": {"aws:MultiFactorAuthPresent": "true"},
                        "StringLike": {"ssm:resourceTag/Env": "d*"},
                    },
                ),
            ),
        ),
    ),
    Case(
        "ArnLike on aws:PrincipalArn matches a user by path wildcard",
        OPERATORS + ", ARN condition operators",
        req("ssm:StartSession", DOC),
        "allowed",
        identity=(
            pol("Arn", allow("ssm:*", Condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:user/*"}})),
        ),
    ),
    # --- Null, Bool, IP, Date, Numeric ------------------------------------------------------------------------------
    Case(
        "Null true matches an absent key",
        OPERATORS + ", Null condition operator",
        req("ssm:StartSession", DOC),
        "explicitDeny",
        identity=(CORE, pol("NeedMfa", deny("*", Condition={"Null": {"aws:MultiFactorAuthAge": "true"}}))),
    ),
    Case(
        "Null false matches a present key",
        OPERATORS + ", Null condition operator",
        req("ssm:StartSession", INSTANCE, **{"ssm:resourceTag/Env": "dev"}),
        "allowed",
        identity=(pol("TaggedOnly", allow("ssm:*", Condition={"Null": {"ssm:resourceTag/Env": "false"}})),),
    ),
    Case(
        "Bool aws:MultiFactorAuthPresent true allows",
        OPERATORS + ", Bool",
        req("ssm:StartSession", DOC, **{"aws:MultiFactorAuthPresent": "true"}),
        "allowed",
        identity=(pol("Mfa", allow("ssm:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": True}})),),
    ),
    Case(
        "Bool aws:MultiFactorAuthPresent absent does not match",
        OPERATORS + ", Bool (absent key is false)",
        req("ssm:StartSession", DOC),
        "implicitDeny",
        identity=(pol("Mfa", allow("ssm:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})),),
    ),
    Case(
        "BoolIfExists false deny applies to long-term keys without MFA context",
        OPERATORS + ", ...IfExists (documented MFA example)",
        req("ssm:StartSession", DOC),
        "explicitDeny",
        identity=(CORE, pol("Mfa", deny("*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))),
    ),
    Case(
        "IpAddress inside the CIDR allows",
        OPERATORS + ", IP address condition operators",
        req("ssm:StartSession", DOC, **{"aws:SourceIp": "203.0.113.10"}),
        "allowed",
        identity=(pol("Office", allow("ssm:*", Condition={"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}})),),
    ),
    Case(
        "NotIpAddress deny applies outside the CIDR",
        OPERATORS + ", IP address condition operators",
        req("ssm:StartSession", DOC, **{"aws:SourceIp": "198.51.100.7"}),
        "explicitDeny",
        identity=(CORE, pol("Office", deny("*", Condition={"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))),
    ),
    Case(
        "DateLessThan before the deadline allows",
        OPERATORS + ", date condition operators",
        req("ssm:StartSession", DOC, **{"aws:CurrentTime": "2026-06-01T12:00:00Z"}),
        "allowed",
        identity=(
            pol("Until", allow("ssm:*", Condition={"DateLessThan": {"aws:CurrentTime": "2026-12-31T23:59:59Z"}})),
        ),
    ),
    Case(
        "DateLessThan after the deadline (epoch value) does not allow",
        OPERATORS + ", date condition operators (epoch time)",
        req("ssm:StartSession", DOC, **{"aws:CurrentTime": "2027-01-02T00:00:00Z"}),
        "implicitDeny",
        identity=(pol("Until", allow("ssm:*", Condition={"DateLessThan": {"aws:CurrentTime": "1798761599"}})),),
    ),
    Case(
        "NumericLessThan on aws:MultiFactorAuthAge",
        OPERATORS + ", numeric condition operators",
        req("ssm:StartSession", DOC, **{"aws:MultiFactorAuthAge": "100"}),
        "allowed",
        identity=(pol("Fresh", allow("ssm:*", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}})),),
    ),
    # --- set operators -----------------------------------------------------------------------------------------
    Case(
        "ForAnyValue with an absent key is false",
        SETS + " (ForAnyValue: absent key returns false)",
        req("ssm:AddTagsToResource", INSTANCE),
        "implicitDeny",
        identity=(pol("Tags", allow("ssm:*", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["Env"]}})),),
    ),
    Case(
        "ForAllValues with an absent key is true",
        SETS + " (ForAllValues: absent key returns true)",
        req("ssm:AddTagsToResource", INSTANCE),
        "allowed",
        identity=(
            pol("Tags", allow("ssm:*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["Env", "Team"]}})),
        ),
    ),
    Case(
        "ForAllValues fails when one request value is not listed",
        SETS,
        Request("ssm:AddTagsToResource", INSTANCE, {"aws:TagKeys": ["Env", "Owner"]}, principal_arn=USER),
        "implicitDeny",
        identity=(
            pol("Tags", allow("ssm:*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["Env", "Team"]}})),
        ),
    ),
    Case(
        "ForAnyValue holds when one request value is listed",
        SETS,
        Request("ssm:AddTagsToResource", INSTANCE, {"aws:TagKeys": ["Owner", "Env"]}, principal_arn=USER),
        "allowed",
        identity=(pol("Tags", allow("ssm:*", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["Env"]}})),),
    ),
    # --- found by comparing with independent evaluators --------------------------------------------------------
    Case(
        "a * in the account field covers an AWS-owned document, whose account field is empty",
        RESOURCE + ", wildcards in ARN segments",
        req("ssm:StartSession", DOC),
        "allowed",
        identity=(pol("AnySsm", allow("ssm:StartSession", "arn:aws:ssm:*:*:*")),),
    ),
    Case(
        "a short ARN pattern keeps its service: arn:aws:ec2:* does not cover an SSM document",
        RESOURCE + ", wildcards in ARN segments",
        req("ssm:StartSession", DOC),
        "allowed",
        identity=(pol("NotEc2", stmt("Allow", "ssm:StartSession", None, NotResource="arn:aws:ec2:*")),),
    ),
    Case(
        "NotIpAddress with IPv4 ranges holds for an IPv6 caller",
        OPERATORS + ", IP address condition operators",
        req("ssm:StartSession", DOC, **{"aws:SourceIp": "2001:db8::1"}),
        "explicitDeny",
        identity=(CORE, pol("Office", deny("*", Condition={"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}))),
    ),
    Case(
        "a date-only value compares as midnight UTC",
        OPERATORS + ", date condition operators (W3C ISO 8601)",
        req("ssm:StartSession", DOC, **{"aws:CurrentTime": "2026-01-01T00:00:00Z"}),
        "allowed",
        identity=(pol("After", allow("ssm:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2025-12-31"}})),),
    ),
    Case(
        "a number in exponent notation is not a documented numeric value",
        NO_GUESS + "; " + OPERATORS + ", numeric condition operators",
        req("ssm:StartSession", DOC, **{"aws:MultiFactorAuthAge": "100"}),
        "unknown",
        identity=(pol("Age", allow("ssm:*", Condition={"NumericEquals": {"aws:MultiFactorAuthAge": "1e2"}})),),
        unsupported='"1e2"',
    ),
    Case(
        "a single-valued operator on a multivalued key is unknown even with one value",
        NO_GUESS + "; " + SETS,
        Request("ssm:StartSession", DOC, {"aws:TagKeys": ["Env"]}, principal_arn=USER),
        "unknown",
        identity=(pol("Tags", allow("ssm:*", Condition={"StringEquals": {"aws:TagKeys": "Env"}})),),
        unsupported="multi-valued",
    ),
    Case(
        "a policy variable before the resource part of an ARN is not supported",
        NO_GUESS + "; " + VARIABLES + ", Resource element (only after the fifth colon)",
        req("ssm:StartSession", DOC, **{"aws:RequestedRegion": "us-east-1"}),
        "unknown",
        identity=(pol("Region", allow("ssm:*", "arn:aws:ssm:${aws:RequestedRegion}::document/AWS-PasswordReset")),),
        unsupported="before the resource part",
    ),
    Case(
        "a default value needs the documented comma and space",
        NO_GUESS + "; " + VARIABLES + ", specifying default values",
        req("ssm:TerminateSession", f"{SESSIONS}/shared-0a1b", who=SESSION),
        "unknown",
        identity=(pol("Own", allow("ssm:TerminateSession", "arn:aws:ssm:*:*:session/${aws:username,'shared'}-*")),),
        unsupported="documented form",
    ),
    Case(
        "a variable without a value may invalidate the whole statement, so another entry cannot decide it",
        NO_GUESS + "; " + VARIABLES + ", principal key values (not present: the statement is invalid)",
        req("ssm:StartSession", INSTANCE, who=SESSION),
        "unknown",
        identity=(pol("Mixed", allow("ssm:*", [INSTANCE, "arn:aws:ssm:*:*:session/${aws:username}-*"])),),
        unsupported="${aws:username}",
    ),
    Case(
        "the same statement decides for an IAM user, who has aws:username",
        VARIABLES,
        req("ssm:StartSession", INSTANCE),
        "allowed",
        identity=(pol("Mixed", allow("ssm:*", [INSTANCE, "arn:aws:ssm:*:*:session/${aws:username}-*"])),),
    ),
    # --- unknowns ----------------------------------------------------------------------------------------------
    Case(
        "unknown condition operator makes the decision unknown",
        NO_GUESS,
        req("ssm:StartSession", DOC),
        "unknown",
        identity=(pol("Odd", allow("ssm:*", Condition=UNKNOWN_OP)),),
        unsupported='"StringMatches"',
    ),
    Case(
        "unknown operator in a statement whose action does not match is ignored",
        NO_GUESS + "; " + ELEMENTS + ", Action",
        req("ssm:StartSession", DOC),
        "allowed",
        identity=(CORE, pol("Odd", deny("iam:*", Condition=UNKNOWN_OP))),
    ),
    Case(
        "certain allow with a deny that might apply is unknown",
        NO_GUESS + "; " + EVAL_LOGIC,
        req("ssm:StartSession", DOC),
        "unknown",
        identity=(CORE, pol("Odd", deny("ssm:StartSession", Condition=UNKNOWN_OP))),
        unsupported="StringMatches",
    ),
    Case(
        "certain deny wins over unknown statements elsewhere",
        EVAL_LOGIC + " (explicit deny in any policy)",
        req("ssm:StartSession", DOC),
        "explicitDeny",
        identity=(pol("Odd", allow("ssm:*", Condition=UNKNOWN_OP)), DENY_DOCS),
        deciding=(("DenyDocs", "NoPwReset", 0),),
    ),
    Case(
        "uncertain allow with nothing else is unknown",
        NO_GUESS,
        req("ssm:StartSession", DOC),
        "unknown",
        identity=(pol("Odd", allow("ssm:*", Condition={"BinaryEquals": {"aws:x": "AA=="}})),),
        unsupported="BinaryEquals",
    ),
    Case(
        "unknown policy element is reported",
        NO_GUESS + "; " + ELEMENTS,
        req("ssm:StartSession", DOC),
        "unknown",
        identity=(pol("Odd", allow("ssm:*", Obligation="log")),),
        unsupported='"Obligation"',
    ),
    Case(
        "document without Statement is reported",
        NO_GUESS + "; " + ELEMENTS + ", Statement",
        req("ssm:StartSession", DOC),
        "unknown",
        identity=(Policy("Broken", {"Version": "2012-10-17"}),),
        unsupported="no readable Statement",
    ),
    Case(
        "context key marked unknowable is reported",
        NO_GUESS,
        Request("ssm:StartSession", DOC, principal_arn=USER, unknown_keys=("aws:SourceIp",)),
        "unknown",
        identity=(pol("Office", allow("ssm:*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})),),
        unsupported="aws:SourceIp",
    ),
    Case(
        "aws:PrincipalArn of a role session is unknowable without its path",
        NO_GUESS + "; IAM User Guide, aws:PrincipalArn (role ARN, not session ARN)",
        req("ssm:StartSession", DOC, who=SESSION),
        "unknown",
        identity=(
            pol("Arn", allow("ssm:*", Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ops/*"}})),
        ),
        unsupported="aws:PrincipalArn",
    ),
    Case(
        "Principal in an identity policy is reported",
        NO_GUESS + "; " + PRINCIPAL + " (not allowed in identity-based policies)",
        req("ssm:StartSession", DOC),
        "unknown",
        identity=(pol("Odd", allow("ssm:*", Principal="*")),),
        unsupported="Principal",
    ),
    Case(
        "ForAnyValue IfExists on an absent key is reported",
        NO_GUESS + "; " + SETS,
        req("ssm:StartSession", DOC),
        "unknown",
        identity=(pol("Odd", allow("ssm:*", Condition={"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "Env"}})),),
        unsupported="aws:TagKeys",
    ),
    # --- resource-based policies -------------------------------------------------------------------------------
    Case(
        "same-account resource policy naming the user grants without identity allow",
        SINGLE_ACCOUNT,
        req("ssm:StartSession", DOC),
        "allowed",
        resource=(
            pol("DocPolicy", allow("ssm:StartSession", sid="Alice", Principal={"AWS": USER}), source="resource"),
        ),
        deciding=(("DocPolicy", "Alice", 0),),
    ),
    Case(
        "resource policy naming the role matches its assumed-role session",
        PRINCIPAL + ", role sessions",
        req("ssm:StartSession", DOC, who=SESSION),
        "allowed",
        resource=(pol("DocPolicy", allow("ssm:StartSession", Principal={"AWS": [ROLE]}), source="resource"),),
    ),
    Case(
        "resource policy naming the role is limited by the role's boundary",
        BOUNDARIES + ", resource-based policies",
        req("ssm:StartSession", DOC, who=SESSION),
        "implicitDeny",
        boundary=(pol("Ec2Only", allow("ec2:*")),),
        resource=(pol("DocPolicy", allow("ssm:StartSession", Principal={"AWS": ROLE}), source="resource"),),
    ),
    Case(
        "resource policy naming the IAM user directly is not limited by the boundary",
        BOUNDARIES + ", resource-based policies",
        req("ssm:StartSession", DOC),
        "allowed",
        boundary=(pol("Ec2Only", allow("ec2:*")),),
        resource=(pol("DocPolicy", allow("ssm:StartSession", Principal={"AWS": USER}), source="resource"),),
        reason="names the principal directly",
    ),
    Case(
        "resource policy naming only the account delegates to IAM and grants nothing alone",
        PRINCIPAL + ", AWS account principals",
        req("ssm:StartSession", DOC),
        "implicitDeny",
        resource=(pol("DocPolicy", allow("ssm:StartSession", Principal={"AWS": ACCT}), source="resource"),),
    ),
    Case(
        "resource policy for another principal grants nothing",
        PRINCIPAL,
        req("ssm:StartSession", DOC),
        "implicitDeny",
        resource=(
            pol(
                "DocPolicy",
                allow("ssm:StartSession", Principal={"AWS": f"arn:aws:iam::{ACCT}:user/bob"}),
                source="resource",
            ),
        ),
    ),
    Case(
        "resource policy deny for everyone wins over identity allow",
        EVAL_LOGIC + "; " + PRINCIPAL + " (everyone)",
        req("ssm:StartSession", DOC),
        "explicitDeny",
        identity=(CORE,),
        resource=(pol("DocPolicy", deny("ssm:*", sid="Nobody", Principal={"AWS": "*"}), source="resource"),),
        deciding=(("DocPolicy", "Nobody", 0),),
        reason="resource policy DocPolicy",
    ),
    Case(
        "NotPrincipal deny exempts a caller whose account and ARN are listed",
        NOTPRINCIPAL,
        req("ssm:StartSession", DOC),
        "allowed",
        identity=(CORE,),
        resource=(
            pol(
                "DocPolicy",
                stmt("Deny", "ssm:*", NotPrincipal={"AWS": [USER, f"arn:aws:iam::{ACCT}:root"]}),
                source="resource",
            ),
        ),
    ),
    Case(
        "NotPrincipal deny without the account still denies the listed user",
        NOTPRINCIPAL + " (include the account ARN)",
        req("ssm:StartSession", DOC),
        "explicitDeny",
        identity=(CORE,),
        resource=(pol("DocPolicy", stmt("Deny", "ssm:*", NotPrincipal={"AWS": USER}), source="resource"),),
    ),
    Case(
        "NotPrincipal deny always applies to a caller with a permissions boundary",
        BOUNDARIES + " (NotPrincipal with Deny)",
        req("ssm:StartSession", DOC),
        "explicitDeny",
        identity=(CORE,),
        boundary=(pol("All", allow("*")),),
        resource=(
            pol(
                "DocPolicy",
                stmt("Deny", "ssm:*", NotPrincipal={"AWS": [USER, f"arn:aws:iam::{ACCT}:root"]}),
                source="resource",
            ),
        ),
    ),
    Case(
        "NotPrincipal with Allow is reported",
        NO_GUESS + "; " + NOTPRINCIPAL + " (must be used with Deny)",
        req("ssm:StartSession", DOC),
        "unknown",
        resource=(pol("DocPolicy", stmt("Allow", "ssm:*", NotPrincipal={"AWS": USER}), source="resource"),),
        unsupported="NotPrincipal",
    ),
    # --- KMS key policies --------------------------------------------------------------------------------------
    Case(
        "KMS key policy root delegation plus IAM allow is allowed",
        KMS + " (allowing the account enables IAM policies)",
        req("kms:GenerateDataKey", KEY),
        "allowed",
        identity=(IAM_GDK,),
        kms=True,
        key_policy=KEY_ROOT,
        deciding=(("KeyPolicy", "EnableIAM", 0), ("KmsUse", "GenerateKey", 0)),
        reason="key policy delegates to IAM",
    ),
    Case(
        "KMS key policy root delegation without IAM allow is an implicit deny",
        KMS,
        req("kms:GenerateDataKey", KEY),
        "implicitDeny",
        identity=(CORE,),
        kms=True,
        key_policy=KEY_ROOT,
        reason="no identity policy allows",
    ),
    Case(
        "KMS key policy with the account id form delegates too",
        KMS + "; " + PRINCIPAL + ", AWS account principals",
        req("kms:GenerateDataKey", KEY),
        "allowed",
        identity=(IAM_GDK,),
        kms=True,
        key_policy=pol("KeyPolicy", allow("kms:*", Principal={"AWS": ACCT}), source="resource"),
    ),
    Case(
        "KMS key policy granting the role directly needs no IAM allow",
        KMS + " (key policy alone can grant)",
        req("kms:GenerateDataKey", KEY, who=SESSION),
        "allowed",
        kms=True,
        key_policy=pol(
            "KeyPolicy",
            allow(["kms:GenerateDataKey", "kms:Decrypt"], sid="Operators", Principal={"AWS": ROLE}),
            source="resource",
        ),
        deciding=(("KeyPolicy", "Operators", 0),),
        reason="key policy grants the principal directly",
    ),
    Case(
        "KMS IAM allow without key policy permission is an implicit deny",
        KMS + " (IAM policies alone are not sufficient)",
        req("kms:GenerateDataKey", KEY),
        "implicitDeny",
        identity=(IAM_GDK,),
        kms=True,
        key_policy=pol(
            "KeyPolicy", allow("kms:*", Principal={"AWS": f"arn:aws:iam::{ACCT}:role/Admin"}), source="resource"
        ),
        reason="neither grants the principal nor delegates",
    ),
    Case(
        "KMS key policy explicit deny wins",
        KMS + "; " + EVAL_LOGIC,
        req("kms:GenerateDataKey", KEY),
        "explicitDeny",
        identity=(IAM_GDK,),
        kms=True,
        key_policy=pol(
            "KeyPolicy",
            allow("kms:*", sid="EnableIAM", Principal={"AWS": f"arn:aws:iam::{ACCT}:root"}),
            deny("kms:GenerateDataKey", sid="NoDataKeys", Principal="*"),
            source="resource",
        ),
        deciding=(("KeyPolicy", "NoDataKeys", 1),),
        reason='explicitly denied by key policy KeyPolicy statement "NoDataKeys"',
    ),
    Case(
        "KMS delegation is limited by the permissions boundary",
        KMS + "; " + BOUNDARIES,
        req("kms:GenerateDataKey", KEY),
        "implicitDeny",
        identity=(IAM_GDK,),
        boundary=(pol("SsmOnly", allow("ssm:*")),),
        kms=True,
        key_policy=KEY_ROOT,
        reason="permissions boundary SsmOnly does not",
    ),
    Case(
        "KMS without a readable key policy is unknown",
        KMS + "; " + NO_GUESS,
        req("kms:GenerateDataKey", KEY),
        "unknown",
        identity=(IAM_GDK,),
        kms=True,
        key_policy=None,
        reason="key policy",
    ),
    Case(
        "KMS delegation to another account does not cover this caller",
        KMS + "; " + PRINCIPAL,
        req("kms:GenerateDataKey", KEY),
        "implicitDeny",
        identity=(IAM_GDK,),
        kms=True,
        key_policy=pol(
            "KeyPolicy", allow("kms:*", Principal={"AWS": f"arn:aws:iam::{OTHER_ACCT}:root"}), source="resource"
        ),
    ),
]


def run(case: Case) -> Decision:
    if case.kms:
        return evaluate_kms(case.request, case.identity, case.key_policy, ACCT, boundary=case.boundary)
    return evaluate(case.request, case.identity, boundary=case.boundary, resource=case.resource)


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(c.rule for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    d = run(case)
    assert d.decision == case.expect, f"{case.rule}: {d}"
    assert d.allowed is (case.expect == "allowed")
    assert d.reason
    if case.deciding is not None:
        assert [(r.policy, r.sid, r.index) for r in d.deciding] == list(case.deciding), d
    if case.expect == "explicitDeny":
        assert d.deciding and all(r.effect == "Deny" for r in d.deciding)
    if case.expect == "implicitDeny":
        assert d.deciding == ()
    if case.expect == "unknown":
        assert d.unsupported, d
    else:
        assert d.unsupported == ()
    if case.unsupported is not None:
        assert any(case.unsupported in u for u in d.unsupported), d.unsupported
    if case.reason is not None:
        assert case.reason in d.reason, d.reason


def test_statement_ref_labels() -> None:
    assert StatementRef("AmazonSSMManagedInstanceCore", "AllowSSM", 0, "Allow").label() == (
        'AmazonSSMManagedInstanceCore statement "AllowSSM"'
    )
    assert StatementRef("inline:MyPolicy", None, 1, "Deny").label() == "inline:MyPolicy statement #2"


def test_deny_statements_are_all_listed() -> None:
    d = evaluate(req("ssm:StartSession", DOC), [CORE, DENY_DOCS, pol("More", deny("ssm:*", sid="All"))])
    assert d.decision == "explicitDeny"
    assert [(r.policy, r.sid) for r in d.deciding] == [("DenyDocs", "NoPwReset"), ("More", "All")]
    assert "and 1 more deny statement" in d.reason


def test_implicit_deny_mentions_uncertain_deny() -> None:
    d = evaluate(req("ssm:SendCommand", INSTANCE), [pol("Odd", deny("ssm:*", Condition=UNKNOWN_OP))])
    assert d.decision == "implicitDeny"
    assert "could not be evaluated" in d.reason


def test_least_privilege_policy() -> None:
    doc = least_privilege_policy(
        [
            (["ssm:StartSession"], [INSTANCE, "arn:aws:ssm:*:*:document/AWS-PasswordReset"]),
            (["kms:GenerateDataKey"], [KEY]),
            (["ssm:StartSession"], [INSTANCE]),
            (["ssm:TerminateSession", "ssm:ResumeSession"], ["arn:aws:ssm:*:*:session/${aws:username}-*"]),
        ]
    )
    assert doc["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in doc["Statement"]]
    assert sids == [
        "AllowSsmStartSession",
        "AllowKmsGenerateDataKey",
        "AllowSsmStartSession2",
        "AllowSsmTerminateSessionSsmResumeSession",
    ]
    assert doc["Statement"][1] == {
        "Sid": "AllowKmsGenerateDataKey",
        "Effect": "Allow",
        "Action": "kms:GenerateDataKey",
        "Resource": KEY,
    }
    policy = Policy("LeastPrivilege", doc)
    assert evaluate(req("ssm:StartSession", DOC), [policy]).allowed
    assert evaluate(req("ssm:TerminateSession", f"{SESSIONS}/alice-1"), [policy]).allowed
    assert not evaluate(req("ssm:SendCommand", INSTANCE), [policy]).allowed
    with pytest.raises(ValueError):
        least_privilege_policy([([], ["*"])])
