"""A small IAM evaluator written separately from ``doctor.iam``, straight from the IAM User Guide, for cross-checks.

It is deliberately plain and two-valued: it covers only the documented part of the policy language that
``tests/test_iam_reference_agreement.py`` generates, and raises :class:`Undocumented` where the guide leaves the
result open (so a generator that strays there fails loudly instead of comparing against a guess).

Sources (IAM User Guide):

* Policy evaluation logic -- an explicit Deny in any policy wins; an Allow is needed; a permissions boundary must
  allow as well (reference_policies_evaluation-logic.html, access_policies_boundaries.html).
* Action / NotAction -- case-insensitive, ``*`` and ``?`` wildcards (reference_policies_elements_action.html).
* Resource / NotResource -- ARNs compared segment by segment, ``*`` and ``?`` within a segment, case-sensitive
  (reference_policies_elements_resource.html).
* Condition operators, IfExists, Null, missing keys (reference_policies_elements_condition_operators.html).
* Set operators ForAllValues / ForAnyValue (reference_policies_condition-single-vs-multi-valued-context-keys.html).
* Several operators and keys ANDed, values ORed, NORed for negated operators
  (reference_policies_multi-value-conditions.html).
* Policy variables, only with ``"Version": "2012-10-17"``; defaults ``${key, 'default'}``; ``${*}``, ``${?}``,
  ``${$}``; in Resource only after the fifth colon (reference_policies_variables.html).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any


class Undocumented(Exception):
    """The guide does not say what this input evaluates to."""


Context = Mapping[str, Any]

_NEGATED_BASES = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _lookup(context: Context, key: str) -> Any:
    for k, v in context.items():
        if k.lower() == key.lower():
            return v
    return None


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """``*`` any run of characters, ``?`` one character; ``\\x00`` and ``\\x01`` stand for literal ``*`` and ``?``."""
    regex = ""
    for ch in pattern:
        regex += {"*": ".*", "?": ".", "\x00": r"\*", "\x01": r"\?"}.get(ch, re.escape(ch))
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _resolve(text: str, context: Context, variables: bool) -> str | None:
    """Substitute policy variables; None when one has no value (the guide: any match against it fails)."""
    if not variables:
        return text
    failed = False

    def one(m: re.Match[str]) -> str:
        nonlocal failed
        body = m[1]
        if body in ("*", "?", "$"):
            return {"*": "\x00", "?": "\x01", "$": "$"}[body]
        key, sep, default = body.partition(", ")
        if sep and not (default.startswith("'") and default.endswith("'")):
            raise Undocumented(f"variable {body}")
        value = _lookup(context, key)
        if isinstance(value, list):
            raise Undocumented(f"multivalued variable {key}")
        if value is None:
            if sep:
                return default[1:-1].replace("''", "'")
            failed = True
            return ""
        return str(value).replace("*", "\x00").replace("?", "\x01")

    out = _VARIABLE.sub(one, text)
    return None if failed else out


def _arn_matches(pattern: str, arn: str) -> bool:
    if pattern == "*":
        return True
    parts = pattern.split(":")
    values = arn.split(":", len(parts) - 1)
    by_segment = len(values) == len(parts) and all(_wildcard(p, v) for p, v in zip(parts, values, strict=True))
    if by_segment != _wildcard(pattern, arn):
        # The guide: a * ending a segment "can expand to match beyond the colon boundaries", without saying how.
        raise Undocumented("a * that might cross a colon")
    return by_segment


def _number(text: str) -> float:
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise Undocumented(f"number {text}")
    return float(text)


def _date(text: str) -> float:
    if re.fullmatch(r"-?\d+", text):
        return float(text)
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


def _compare(base: str, have: str, want: str, context: Context, variables: bool) -> bool:
    """One request value against one policy value, for the positive operator ``base``."""
    if base.startswith(("String", "Arn")):
        resolved = _resolve(want, context, variables)
        if resolved is None:
            return False
        if base == "StringEquals":
            return resolved.replace("\x00", "*").replace("\x01", "?") == have
        if base == "StringEqualsIgnoreCase":
            return resolved.replace("\x00", "*").replace("\x01", "?").lower() == have.lower()
        if base == "StringLike":
            return _wildcard(resolved, have)
        return _arn_matches(resolved, have)
    if base.startswith("Numeric"):
        a, b = _number(have), _number(want)
        return {"Equals": a == b, "LessThan": a < b, "LessThanEquals": a <= b, "GreaterThan": a > b,
                "GreaterThanEquals": a >= b}[base[len("Numeric"):]]
    if base.startswith("Date"):
        a, b = _date(have), _date(want)
        return {"Equals": a == b, "LessThan": a < b, "LessThanEquals": a <= b, "GreaterThan": a > b,
                "GreaterThanEquals": a >= b}[base[len("Date"):]]
    if base == "Bool":
        return have.lower() == want.lower()
    if base == "IpAddress":
        return ipaddress.ip_address(have) in ipaddress.ip_network(want, strict=False)
    raise Undocumented(base)


def _condition(operator: str, key: str, wanted: Any, context: Context, variables: bool) -> bool:
    qualifier = None
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if operator.startswith(prefix):
            qualifier, operator = prefix[:-1], operator[len(prefix):]
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    wants = ["true" if w is True else "false" if w is False else str(w) for w in _as_list(wanted)]
    have = _lookup(context, key)
    if base == "Null":
        return any((have is None) == (w.lower() == "true") for w in wants)
    negated = base in _NEGATED_BASES
    positive = _NEGATED_BASES.get(base, base)

    def single(value: str) -> bool:
        hit = any(_compare(positive, value, w, context, variables) for w in wants)
        return not hit if negated else hit

    if have is None:
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            if if_exists:
                raise Undocumented("ForAnyValue with IfExists on a missing key")
            return False
        return if_exists or negated
    if qualifier is None:
        if isinstance(have, list):
            raise Undocumented("a multivalued key without a set operator")
        return single(str(have))
    values = [str(v) for v in _as_list(have)]
    return all(single(v) for v in values) if qualifier == "ForAllValues" else any(single(v) for v in values)


def _applies(statement: Mapping[str, Any], action: str, resource: str, context: Context, variables: bool) -> bool:
    if "Action" in statement:
        action_ok = any(_wildcard(a, action, ignore_case=True) for a in _as_list(statement["Action"]))
    else:
        action_ok = not any(_wildcard(a, action, ignore_case=True) for a in _as_list(statement["NotAction"]))
    if not action_ok:
        return False
    field = "Resource" if "Resource" in statement else "NotResource"
    hits = []
    for pattern in _as_list(statement[field]):
        if variables and "${" in ":".join(pattern.split(":")[:5]):
            raise Undocumented("a variable before the resource part of an ARN")
        resolved = _resolve(pattern, context, variables)
        if resolved is None:
            if field == "NotResource":
                raise Undocumented("a variable without a value in NotResource")
            hits.append(False)
        else:
            hits.append(_arn_matches(resolved, resource))
    if any(hits) != (field == "Resource"):
        return False
    for operator, block in (statement.get("Condition") or {}).items():
        for key, wanted in block.items():
            if not _condition(operator, key, wanted, context, variables):
                return False
    if variables and _has_unresolved(statement, context):
        # The guide says a variable without a value "causes the statement to be invalid", and elsewhere that it
        # only "might": when the statement would otherwise apply, the two readings disagree.
        raise Undocumented("a statement with a variable that has no value")
    return True


def _has_unresolved(statement: Mapping[str, Any], context: Context) -> bool:
    texts = [str(t) for key in ("Resource", "NotResource") for t in _as_list(statement.get(key, []))]
    for operator, block in (statement.get("Condition") or {}).items():
        if "String" in operator or "Arn" in operator:
            texts += [str(v) for values in block.values() for v in _as_list(values)]
    return any(_resolve(text, context, True) is None for text in texts)


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return _as_list(document["Statement"])


def decide(action: str, resource: str, context: Context, identity: Sequence[Mapping[str, Any]],
           boundary: Sequence[Mapping[str, Any]] = ()) -> str:
    """``allowed``, ``explicitDeny`` or ``implicitDeny``; raises :class:`Undocumented` outside the fragment."""
    def matching(documents: Sequence[Mapping[str, Any]], effect: str) -> bool:
        found = False
        for document in documents:
            variables = document.get("Version") == "2012-10-17"
            for statement in _statements(document):
                if statement["Effect"] == effect and _applies(statement, action, resource, context, variables):
                    found = True
        return found

    if matching(identity, "Deny") or matching(boundary, "Deny"):
        return "explicitDeny"
    if matching(identity, "Allow") and (not boundary or matching(boundary, "Allow")):
        return "allowed"
    return "implicitDeny"
