"""Properties of the local IAM policy evaluator over small random policies."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.iam import Decision, Policy, Request, evaluate, evaluate_kms

ACCT = "123456789012"
USER = f"arn:aws:iam::{ACCT}:user/alice"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/Operator/alice"
ROLE = f"arn:aws:iam::{ACCT}:role/Operator"
INSTANCE = f"arn:aws:ec2:us-east-1:{ACCT}:instance/i-0123456789abcdef0"
DOC = "arn:aws:ssm:us-east-1::document/AWS-PasswordReset"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SESSION_RES = f"arn:aws:ssm:us-east-1:{ACCT}:session/alice-0a1b"

UNKNOWN_OPERATOR = "StringMatches"

ACTIONS = [
    "ssm:StartSession",
    "ssm:SendCommand",
    "ssm:TerminateSession",
    "ssm:*",
    "ssm:Start*",
    "SSM:startsession",
    "ssm:?endCommand",
    "kms:GenerateDataKey",
    "kms:*",
    "*",
]
RESOURCES = [
    "*",
    INSTANCE,
    DOC,
    KEY,
    "arn:aws:ssm:*:*:document/AWS-*",
    "arn:aws:ec2:*:*:instance/*",
    "arn:aws:ssm:*:*:session/${aws:username}-*",
    "arn:aws:kms:*",
]
CONDITIONS: list[dict[str, Any]] = [
    {"StringEquals": {"ssm:resourceTag/Env": "dev"}},
    {"StringLike": {"ssm:resourceTag/Env": "d*"}},
    {"StringEqualsIfExists": {"ssm:resourceTag/Env": "dev"}},
    {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    {"Null": {"ssm:resourceTag/Env": "true"}},
    {"ForAnyValue:StringEquals": {"aws:TagKeys": ["Env"]}},
    {"ForAllValues:StringLike": {"aws:TagKeys": ["E*", "Team"]}},
    {UNKNOWN_OPERATOR: {"aws:RequestedRegion": "us-*"}},
]

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


# Strategies are built once: building them inside the composite functions would dominate the run time.
EFFECTS = st.sampled_from(["Allow", "Deny"])
SIDS = st.sampled_from([None, "A", "B", "Ops", "NoReset"])
ACTION_LISTS = st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3)
RESOURCE_LISTS = st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2)
NEGATE = st.integers(0, 9)
MAYBE_CONDITION = st.sampled_from([None, None, *CONDITIONS])


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect or draw(EFFECTS)}
    sid = draw(SIDS)
    if sid:
        s["Sid"] = sid
    actions = draw(ACTION_LISTS)
    s["NotAction" if draw(NEGATE) == 0 else "Action"] = actions[0] if len(actions) == 1 else actions
    s["NotResource" if draw(NEGATE) == 0 else "Resource"] = draw(RESOURCE_LISTS)
    condition = draw(MAYBE_CONDITION)
    if condition is not None:
        s["Condition"] = condition
    return s


def doc(stmts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": stmts}


def has_unknown(s: dict[str, Any]) -> bool:
    return UNKNOWN_OPERATOR in s.get("Condition", {})


ENVS = st.sampled_from([None, "dev", "prod"])
MFAS = st.sampled_from([None, "true", "false"])
REGIONS = st.sampled_from([None, "us-east-1", "eu-west-1", "ap-south-1"])
TAG_KEYS = st.sampled_from([None, ["Env"], ["Env", "Owner"], []])
REQUEST_ACTIONS = st.sampled_from(
    ["ssm:StartSession", "ssm:SendCommand", "ssm:TerminateSession", "kms:GenerateDataKey"]
)
REQUEST_RESOURCES = st.sampled_from([INSTANCE, DOC, KEY, SESSION_RES])
CALLERS = st.sampled_from([USER, SESSION])


@st.composite
def requests(draw: st.DrawFn) -> Request:
    context: dict[str, str | list[str]] = {}
    for key, strategy in (
        ("ssm:resourceTag/Env", ENVS),
        ("aws:MultiFactorAuthPresent", MFAS),
        ("aws:RequestedRegion", REGIONS),
        ("aws:TagKeys", TAG_KEYS),
    ):
        value = draw(strategy)
        if value is not None:
            context[key] = value
    return Request(
        action=draw(REQUEST_ACTIONS),
        resource=draw(REQUEST_RESOURCES),
        context=context,
        principal_arn=draw(CALLERS),
    )


statement_lists = st.lists(statements(), min_size=0, max_size=6)


def run(request: Request, stmts: list[dict[str, Any]], boundary: list[dict[str, Any]] | None = None) -> Decision:
    bpols = [Policy("Boundary", doc(boundary))] if boundary is not None else []
    return evaluate(request, [Policy("Identity", doc(stmts))], boundary=bpols)


@PROPERTY_SETTINGS
@given(requests(), statement_lists, statements(effect="Deny"))
def test_adding_a_deny_never_grants(request: Request, stmts: list[dict[str, Any]], extra: dict[str, Any]) -> None:
    before = run(request, stmts)
    after = run(request, [*stmts, extra])
    if not before.allowed:
        assert not after.allowed, (before, after)
    if before.decision == "explicitDeny":
        assert after.decision == "explicitDeny"


@PROPERTY_SETTINGS
@given(requests(), statement_lists, st.data())
def test_statement_order_and_split_do_not_matter(
    request: Request, stmts: list[dict[str, Any]], data: st.DataObject
) -> None:
    before = run(request, stmts)
    shuffled = data.draw(st.permutations(stmts))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), max_size=3)))
    pieces: list[list[dict[str, Any]]] = []
    start = 0
    for cut in [*cuts, len(shuffled)]:
        pieces.append(shuffled[start:cut])
        start = cut
    policies = [Policy(f"Part{i}", doc(piece)) for i, piece in enumerate(pieces)]
    after = evaluate(request, policies)
    assert after.decision == before.decision, (before, after)
    assert {(r.sid, r.effect) for r in after.deciding} == {(r.sid, r.effect) for r in before.deciding}


@PROPERTY_SETTINGS
@given(requests(), statement_lists, st.lists(statements(), min_size=0, max_size=4))
def test_adding_a_boundary_never_grants(
    request: Request, stmts: list[dict[str, Any]], boundary: list[dict[str, Any]]
) -> None:
    before = run(request, stmts)
    after = run(request, stmts, boundary=boundary)
    if not before.allowed:
        assert not after.allowed, (before, after)
    if before.decision == "explicitDeny":
        assert after.decision == "explicitDeny"


@PROPERTY_SETTINGS
@given(requests(), statement_lists, statements(effect="Allow"))
def test_adding_an_allow_never_revokes(request: Request, stmts: list[dict[str, Any]], extra: dict[str, Any]) -> None:
    before = run(request, stmts)
    after = run(request, [*stmts, extra])
    if before.allowed:
        assert after.allowed or (after.decision == "unknown" and has_unknown(extra)), (before, after)


@PROPERTY_SETTINGS
@given(requests(), statement_lists, statements())
def test_kms_needs_the_key_policy(request: Request, stmts: list[dict[str, Any]], key_stmt: dict[str, Any]) -> None:
    # Without a key policy nothing is known; with one, access never exceeds what the key policy and IAM allow
    # together with a key policy that names the account (delegation).
    identity = [Policy("Identity", doc(stmts))]
    assert evaluate_kms(request, identity, None, ACCT).decision == "unknown"
    key_stmt = {**key_stmt, "Principal": {"AWS": [ROLE, f"arn:aws:iam::{ACCT}:root"]}}
    key_policy = Policy("KeyPolicy", doc([key_stmt]), "resource")
    d = evaluate_kms(request, identity, key_policy, ACCT)
    if d.allowed:
        assert key_stmt["Effect"] == "Allow"
    if evaluate(request, identity).decision == "explicitDeny":
        assert d.decision == "explicitDeny"
