"""Compare doctor.iam's decisions with independent IAM evaluators on hypothesis-generated policies.

Evaluators compared with ``doctor.iam.evaluate``:

* ``tests/iam_reference.py`` -- a small evaluator written separately from the IAM User Guide (always run);
* ``@cloud-copilot/iam-simulate`` (npm), through ``iam_crosscheck_runner.js`` -- run when ``--node-modules``
  points at a folder holding it (``npm install --prefix DIR @cloud-copilot/iam-simulate``);
* principalmapper's ``local_policy_simulation`` (PyPI ``principalmapper``) -- run when it can be imported.

Each disagreement is put in a category that says why the answers differ (a rule of the IAM User Guide the other
evaluator does not follow, or an input the guide leaves open); ``unexplained`` ones are printed in full. Run:

    npm install --prefix /tmp/iamsim @cloud-copilot/iam-simulate
    python benchmarks/iam_crosscheck.py --examples 5000 --seed 11 --node-modules /tmp/iamsim/node_modules

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from doctor.iam import Policy, Request, evaluate  # noqa: E402
from tests import iam_reference  # noqa: E402

ACCT = "123456789012"
USER = f"arn:aws:iam::{ACCT}:user/alice"
ROLE = f"arn:aws:iam::{ACCT}:role/Operator"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/Operator/alice"
NODE = f"arn:aws:ec2:us-east-1:{ACCT}:instance/i-0123456789abcdef0"
DOC = "arn:aws:ssm:us-east-1::document/AWS-PasswordReset"
OWN_SESSION = f"arn:aws:ssm:us-east-1:{ACCT}:session/alice-0123456789abcdef0"

# Only resource types each action applies to (iam-simulate refuses the others).
REQUESTS = [("ssm:StartSession", NODE), ("ssm:StartSession", DOC), ("ssm:SendCommand", NODE),
            ("ssm:SendCommand", DOC), ("ssm:TerminateSession", OWN_SESSION)]
ACTIONS = ["ssm:StartSession", "ssm:Start*", "ssm:*", "SSM:startsession", "ssm:?tartSession", "ssm:SendCommand",
           "*", "ec2:*", "ssm:Terminate*", "ssm:*Session", "ssm:*Command"]
RESOURCES = [
    "*", NODE, DOC, OWN_SESSION, "arn:aws:ec2:*:*:instance/*", f"arn:aws:ec2:us-east-1:{ACCT}:instance/i-*",
    "arn:aws:ec2:*:*:instance/I-*", "arn:aws:ssm:*::document/AWS-*", "arn:aws:ssm:*:*:document/*",
    "arn:aws:ssm:us-east-?::document/AWS-PasswordReset", "arn:aws:ssm:*:*:session/${aws:username}-*",
    f"arn:aws:ssm:us-east-1:{ACCT}:session/${{aws:username}}-*", "arn:aws:ssm:*:*:session/*", "arn:aws:ec2:*",
    "arn:aws:ssm:*:*:*", "arn:aws:ssm:*:*:session/${aws:username, 'x'}*", "arn:aws:ssm:*:*:session/${aws:userid}-*",
    "arn:aws:ssm:${aws:RequestedRegion}::document/AWS-PasswordReset",
    "arn:aws:ec2:us-east-1:*:instance/i-0123456789abcdef?",
]
KEYS: dict[str, tuple[str, list[Any]]] = {
    "ssm:resourceTag/Env": ("string", ["dev", "prod", "Dev", None]),
    "aws:ResourceTag/Env": ("string", ["dev", "prod", None]),
    "aws:PrincipalTag/team": ("string", ["ops", "dev", None]),
    "aws:RequestedRegion": ("string", ["us-east-1", "eu-west-1"]),
    "aws:SourceVpc": ("string", [None]),
    "aws:SourceIp": ("ip", ["10.0.0.5", "192.168.1.9", "2001:db8::1", None]),
    "aws:MultiFactorAuthPresent": ("bool", ["true", "false", None]),
    "aws:SecureTransport": ("bool", ["true", "false"]),
    "aws:MultiFactorAuthAge": ("numeric", ["100", "5000", None]),
    "aws:CurrentTime": ("date", ["2026-01-01T00:00:00Z", "2024-06-01T12:00:00Z"]),
    "aws:TagKeys": ("multi", [["Env"], ["Env", "Team"], ["Owner"], None]),
    "aws:CalledVia": ("multi", [["cloudformation.amazonaws.com"],
                                ["athena.amazonaws.com", "cloudformation.amazonaws.com"], None]),
    "aws:PrincipalArn": ("arn", [None]),
}
SPELLINGS = {"ssm:resourceTag/Env": ["ssm:resourceTag/Env", "ssm:ResourceTag/Env", "SSM:resourcetag/env"],
             "aws:RequestedRegion": ["aws:RequestedRegion", "AWS:requestedregion"]}
VALUES: dict[str, list[Any]] = {
    "string": ["dev", "prod", "DEV", "d*", "*", "p?od", "${aws:PrincipalTag/team}", "${aws:username}", "ops",
               "us-east-1", "us-*", "eu-west-1", "${aws:username, 'dev'}", "${aws:PrincipalTag/missing, 'prod'}",
               "${aws:SourceVpc, 'dev'}", "d${*}", "${aws:RequestedRegion}"],
    "ip": ["10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "10.0.0.5", "10.0.0.5/32"],
    "bool": ["true", "false", True, False],
    "numeric": ["3600", "100", "5000", 200],
    "date": ["2025-01-01T00:00:00Z", "2026-06-01T00:00:00Z", "1700000000", "2025-01-01"],
    "multi": ["Env", "Team", "E*", "cloudformation.amazonaws.com", "*.amazonaws.com", "Owner"],
    "arn": [USER, f"arn:aws:iam::{ACCT}:user/*", "arn:aws:iam::*:role/Operator", f"arn:aws:iam::{ACCT}:*",
            f"arn:aws:iam::{ACCT}:user/${{aws:username}}", ROLE, "arn:aws:iam::*:*"],
}
OPERATORS = {
    "string": ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
               "StringNotLike"],
    "multi": ["StringEquals", "StringLike", "StringNotEquals", "StringNotLike"],
    "arn": ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "StringLike", "StringEquals"],
    "ip": ["IpAddress", "NotIpAddress"],
    "bool": ["Bool"],
    "numeric": ["NumericLessThan", "NumericGreaterThanEquals", "NumericEquals", "NumericNotEquals",
                "NumericLessThanEquals", "NumericGreaterThan"],
    "date": ["DateGreaterThan", "DateLessThan", "DateEquals", "DateNotEquals", "DateLessThanEquals"],
}


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(1, 2))):
        key = draw(st.sampled_from(sorted(KEYS)))
        kind = KEYS[key][0]
        values: Any
        if draw(st.integers(0, 9)) == 0:
            operator, values = "Null", draw(st.sampled_from(["true", "false", True]))
        else:
            operator = draw(st.sampled_from(OPERATORS[kind]))
            if draw(st.integers(0, 3)) == 0:
                operator += "IfExists"
            qualify = draw(st.integers(0, 9))
            if (kind == "multi" and qualify < 7) or qualify == 0:
                operator = draw(st.sampled_from(["ForAnyValue:", "ForAllValues:"])) + operator
            values = draw(st.lists(st.sampled_from(VALUES[kind]), min_size=1, max_size=3, unique_by=str))
            if len(values) == 1 and draw(st.booleans()):
                values = values[0]
        out.setdefault(operator, {})[draw(st.sampled_from(SPELLINGS.get(key, [key])))] = values
    return out


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    actions = draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True))
    s["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = actions[0] if len(actions) == 1 else actions
    resources = draw(st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=3, unique=True))
    s["NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"] = (
        resources[0] if len(resources) == 1 else resources)
    if draw(st.integers(0, 2)) > 0:
        s["Condition"] = draw(conditions())
    return s


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {"Statement": draw(st.lists(statements(), min_size=1, max_size=3))}
    if draw(st.integers(0, 9)) > 0:
        doc["Version"] = "2012-10-17"
    return doc


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    caller = draw(st.sampled_from([USER, USER, SESSION]))
    context: dict[str, Any] = {}
    for key, (_, values) in KEYS.items():
        value = draw(st.sampled_from(values))
        if value is not None:
            context[key] = value
    # Keys every evaluator is given explicitly, so that none has to derive them.
    context.update({"aws:PrincipalAccount": ACCT, "aws:PrincipalArn": USER if caller == USER else ROLE,
                    "aws:PrincipalType": "User" if caller == USER else "AssumedRole"})
    if caller == USER:
        context["aws:username"] = "alice"
    action, resource = draw(st.sampled_from(REQUESTS))
    boundary = draw(st.lists(documents(), max_size=1)) if draw(st.integers(0, 2)) == 0 else []
    return {"caller": caller, "account": ACCT, "action": action, "resource": resource, "context": context,
            "identity": draw(st.lists(documents(), min_size=1, max_size=3)), "boundary": boundary}


def generate(n: int, rng_seed: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    @seed(rng_seed)
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(scenarios())
    def collect(scenario: dict[str, Any]) -> None:
        out.append(scenario)

    collect()
    return out


# --------------------------------------------------------------------------------------------------- evaluators


def ours(s: dict[str, Any]) -> str:
    request = Request(s["action"], s["resource"], s["context"], principal_arn=s["caller"])
    return evaluate(request, [Policy(f"P{i}", d) for i, d in enumerate(s["identity"])],
                    [Policy(f"B{i}", d) for i, d in enumerate(s["boundary"])]).decision


def reason(s: dict[str, Any]) -> str:
    request = Request(s["action"], s["resource"], s["context"], principal_arn=s["caller"])
    return evaluate(request, [Policy(f"P{i}", d) for i, d in enumerate(s["identity"])],
                    [Policy(f"B{i}", d) for i, d in enumerate(s["boundary"])]).reason


def reference(s: dict[str, Any]) -> str:
    try:
        return iam_reference.decide(s["action"], s["resource"], s["context"], s["identity"], s["boundary"])
    except iam_reference.Undocumented:
        return "undocumented"
    except (ValueError, KeyError) as exc:
        return f"error: {exc}"


def iam_simulate(cases: list[dict[str, Any]], node_modules: str) -> list[str]:
    names = {"Allowed": "allowed", "ImplicitlyDenied": "implicitDeny", "ExplicitlyDenied": "explicitDeny"}
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "cases.json"), Path(tmp, "decisions.json")
        src.write_text(json.dumps(cases))
        env = {**os.environ, "NODE_PATH": node_modules}
        subprocess.run(["node", str(ROOT / "benchmarks" / "iam_crosscheck_runner.js"), str(src), str(dst)],
                       check=True, env=env)
        return [names.get(d, d) for d in json.loads(dst.read_text())]


def pmapper_evaluator() -> Callable[[dict[str, Any]], str] | None:
    import collections.abc

    for name in ("Mapping", "MutableMapping"):  # principalmapper still imports these from collections
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    try:
        from principalmapper.querying.local_policy_simulation import policy_has_matching_statement
        from principalmapper.util.case_insensitive_dict import CaseInsensitiveDict
    except ImportError:
        return None

    def decide(s: dict[str, Any]) -> str:
        ctx = CaseInsensitiveDict(dict(s["context"]))

        def has(docs: list[dict[str, Any]], effect: str) -> bool:
            return any(policy_has_matching_statement(d, effect, s["action"], s["resource"], ctx) for d in docs)

        try:
            if has(s["identity"], "Deny") or has(s["boundary"], "Deny"):
                return "explicitDeny"
            if has(s["identity"], "Allow") and (not s["boundary"] or has(s["boundary"], "Allow")):
                return "allowed"
            return "implicitDeny"
        except Exception as exc:  # it fails on some inputs (JSON booleans, unparseable numbers)
            return f"error: {type(exc).__name__}"

    return decide


# --------------------------------------------------------------------------------------------------- comparison


def why(s: dict[str, Any], mine: str, theirs: str) -> str:
    """Why two decisions differ, when the difference is a known one."""
    docs = s["identity"] + s["boundary"]
    text = json.dumps(docs)
    if any("Version" not in d and "${" in json.dumps(d) for d in docs):
        return "policy without Version: the guide says variables are then literal text"
    if mine == "implicitDeny" and theirs == "explicitDeny" and "could not be evaluated" in reason(s):
        return "denied either way; a Deny that might apply could not be evaluated"
    if ":" in str(s["context"].get("aws:SourceIp", "")) and "IpAddress" in text:
        return "an IPv6 caller against IPv4 ranges (it is outside them)"
    if '"arn:aws:ec2:*"' in text:
        return "arn:aws:ec2:* matched against another service's ARN"
    if ", '" in text:
        return "a variable with a default value (${key, 'default'})"
    if "true" in text.lower() and ("Bool" in text or "Null" in text) and (" true" in text or " false" in text):
        return "JSON true/false as condition values (the policy grammar allows them)"
    return "unexplained"


def compare(name: str, cases: list[dict[str, Any]], mine: list[str], theirs: list[str]) -> None:
    stats: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    unexplained = []
    for s, a, b in zip(cases, mine, theirs, strict=True):
        stats["cases"] += 1
        if b.startswith("error") or b == "undocumented":
            stats[f"{name}: {b.split(':')[0]}"] += 1
            continue
        if a == "unknown":
            stats["doctor.iam unknown"] += 1
            continue
        stats["compared"] += 1
        stats["agree"] += a == b
        stats["agree on allowed or not"] += (a == "allowed") == (b == "allowed")
        if a != b:
            r = why(s, a, b)
            reasons[r] += 1
            if r == "unexplained":
                unexplained.append({"doctor.iam": a, name: b, "case": s})
    compared = stats["compared"] or 1
    print(f"\n== doctor.iam vs {name}")
    print(f"  cases {stats['cases']}, compared {stats['compared']} (doctor.iam unknown {stats['doctor.iam unknown']}"
          + "".join(f", {k} {v}" for k, v in stats.items() if k.startswith(name)) + ")")
    print(f"  same decision: {stats['agree']} ({100 * stats['agree'] / compared:.2f}%); same allowed/not allowed: "
          f"{stats['agree on allowed or not']} ({100 * stats['agree on allowed or not'] / compared:.2f}%)")
    for r, n in reasons.most_common():
        print(f"  differ, {r}: {n}")
    for item in unexplained[:5]:
        print("  UNEXPLAINED", json.dumps(item))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--node-modules", help="folder holding @cloud-copilot/iam-simulate")
    args = parser.parse_args()
    cases = generate(args.examples, args.seed)
    mine = [ours(s) for s in cases]
    print("doctor.iam decisions:", dict(collections.Counter(mine)))
    compare("tests/iam_reference.py", cases, mine, [reference(s) for s in cases])
    if args.node_modules:
        compare("iam-simulate", cases, mine, iam_simulate(cases, args.node_modules))
    pmapper = pmapper_evaluator()
    if pmapper is not None:
        compare("principalmapper", cases, mine, [pmapper(s) for s in cases])


if __name__ == "__main__":
    main()
