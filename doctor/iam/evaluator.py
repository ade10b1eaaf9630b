"""Local evaluation of AWS IAM policies that explains each decision.

ssm-doctor uses this evaluator when ``iam:SimulatePrincipalPolicy`` is not available to the caller, and to
explain KMS access, which the IAM simulator does not model because it ignores key policies.  Everything here is
pure computation over parsed policy documents; no AWS call is made.

The evaluator is three-valued.  Each statement either certainly applies to a request, certainly does not, or
*might* apply because it uses something the evaluator does not understand (an unknown condition operator or
policy element, a malformed document, or a context key that the caller marked as unknowable).  The final
``Decision`` is ``"unknown"`` whenever an uncertain statement could change the outcome, and it lists what could
not be evaluated in ``Decision.unsupported``.  It never guesses.

Rules implemented (AWS IAM User Guide):

* Policy evaluation logic: an explicit ``Deny`` in any policy wins; otherwise a request is allowed only when some
  policy allows it; otherwise it is implicitly denied.  A certain Deny wins even when other statements are
  uncertain.  If an Allow is certain but a Deny might apply, the decision is ``"unknown"``.  If nothing allows the
  request the decision is ``"implicitDeny"`` even when a Deny might also apply (the request is refused either
  way; the reason says so).
* Permissions boundaries ("Permissions boundaries for IAM entities"): when boundary policies are given, an
  identity-policy allow only counts if the boundary allows the request too.  A boundary never grants by itself.
* Resource-based policies in the same account ("Policy evaluation for requests within a single account"): a
  resource policy Allow whose ``Principal`` matches the caller grants access without any identity-policy allow.
  Under a permissions boundary the chosen model is:

  - an Allow that names the caller's own ARN directly -- an IAM user ARN, or the exact assumed-role session ARN --
    grants regardless of the boundary (the guide: an implicit deny in a boundary does not limit permissions
    granted to an IAM user or to a role session by a resource-based policy);
  - an Allow that matches through the IAM role ARN or through ``"*"`` is still limited by the boundary;
  - an Allow that names only the account (``"123456789012"`` or ``arn:aws:iam::123456789012:root``) delegates to
    IAM ("Principal" element, AWS account principals): it grants nothing by itself, the identity policies decide.

  ``evaluate`` assumes the caller and the resource are in the same account; cross-account evaluation is not
  modelled there.
* ``Principal`` matching: ``"*"``, ``{"AWS": "*"}``, 12-digit account ids, account root ARNs, IAM user and role
  ARNs (compared exactly), and assumed-role session ARNs.  A session ``arn:aws:sts::A:assumed-role/R/S`` matches a
  principal ``arn:aws:iam::A:role/R`` or ``arn:aws:iam::A:role/some/path/R`` (role names are unique in an
  account, whatever the path).  ``Service``, ``Federated`` and ``CanonicalUser`` principals never match an IAM
  caller.  Partial wildcards in principals are not supported by AWS and are reported as unsupported.
* ``NotPrincipal`` is only supported with ``Deny`` (as AWS documents).  The caller is exempt only when every
  identity AWS checks for it is listed: its account and its own ARN (for a role session, the role ARN or the
  session ARN).  A ``NotPrincipal`` Deny always applies to a caller that has a permissions boundary, as the
  guide warns.
* ``Action``/``NotAction`` match case-insensitively with ``*`` and ``?`` wildcards.  ``Resource``/``NotResource``
  match case-sensitively with wildcards, segment by segment of the ARN (a ``*`` does not cross a ``:`` except in
  the last segment written in the pattern, so ``arn:aws:ec2:*`` covers every EC2 ARN); where letting a ``*``
  cross a ``:`` would change the answer, the match is uncertain, since AWS documents that a ``*`` ending a segment
  may expand across colons without saying exactly how.  Resource policies may
  omit ``Resource``; it then means the resource the policy is attached to.
* Policy variables ("Variables and tags"), only in documents with ``"Version": "2012-10-17"`` (older or missing
  versions treat ``${...}`` literally): ``${key}`` for any context key (``aws:username``, ``aws:userid``,
  ``aws:PrincipalTag/x``, ``aws:RequestedRegion``, ``aws:PrincipalArn``, ...), ``${key, 'default'}`` (written
  exactly so, with a comma and one space; other spellings are uncertain), and the literal characters ``${*}``,
  ``${?}``, ``${$}``.  Variables are substituted in ``Resource`` and in the values of String and ARN condition
  operators only; in ``Resource`` only after the fifth colon of the ARN, as the guide allows (a variable in the
  partition, service, region or account makes that entry uncertain).  A multi-valued key has no single value and
  cannot be substituted.  A variable without a value (and without default) makes its Resource entry match
  nothing and a positive String/ARN comparison false; inside a negated operator or ``NotResource`` the effect is
  not documented precisely and is uncertain.  The guide also says such a variable "causes the statement to be
  invalid" (and elsewhere that it "might"), so a statement holding one is uncertain whenever it would otherwise
  apply; a statement that does not apply either way stays decided.
* Condition operators ("Condition operators"): String, Numeric (integers and decimals), Date (W3C ISO 8601 or
  epoch seconds), Bool, IpAddress/NotIpAddress, Arn, Null; each with ``IfExists`` and the
  ``ForAnyValue:``/``ForAllValues:`` set qualifiers.  Several operators, and several keys in one operator, are
  ANDed; several values for one key are ORed, and NORed for negated operators.  Condition keys are
  case-insensitive.  For a key absent from the request context: positive operators are false, negated operators
  (``StringNotEquals``, ``ArnNotLike``, ...) are true, ``...IfExists`` is true, ``ForAllValues:`` is true,
  ``ForAnyValue:`` is false (the guide, "Condition operators" and "Set operators for multivalued context keys").
  ``ForAnyValue:...IfExists`` on an absent key is reported as unknown because public sources disagree.  A context
  value given as a sequence makes the key multi-valued; the guide says such keys require a set operator and does
  not say what a single-valued operator does with them, so that is unknown, whatever the number of values.
  ``ArnEquals`` and ``ArnLike`` behave alike; ``Binary`` operators are not supported.
* ``evaluate_kms`` (AWS KMS Developer Guide, "Key policies"): the key policy is required.  A key-policy Allow that
  names the caller grants directly; an Allow for the account root delegates to IAM, and then the identity
  policies (and the boundary) decide.  An explicit Deny in either wins.

Context keys that the evaluator derives when the caller did not supply them: ``aws:PrincipalAccount``,
``aws:PrincipalType``, ``aws:username`` (IAM users only; the key is absent for roles, as documented) and
``aws:PrincipalArn`` (for an assumed-role session the role ARN cannot be rebuilt from the session ARN because the
role path is unknown, so that key is unknowable unless supplied).  Every other key is absent unless supplied.

Not modelled: service control and resource control policies, session policies, ACLs, grants (KMS), VPC endpoint
policies, cross-account evaluation in ``evaluate``, and service-specific quirks of individual APIs.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "Decision",
    "Policy",
    "Request",
    "StatementRef",
    "evaluate",
    "evaluate_kms",
    "least_privilege_policy",
]

POLICY_VERSION = "2012-10-17"

# ---------------------------------------------------------------------------------------------------------------
# Public data model
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A parsed policy document and where it is attached.

    ``source`` is ``"identity"`` (user, group or role policy), ``"boundary"`` (permissions boundary) or
    ``"resource"`` (resource-based policy such as a KMS key policy).
    """

    name: str
    document: Mapping[str, Any]
    source: str = "identity"


@dataclass(frozen=True)
class Request:
    """One authorization request: who does what on which resource, with its context.

    ``context`` keys are matched case-insensitively; a value is a string or a sequence of strings (multi-valued
    key).  ``unknown_keys`` names context keys whose value cannot be determined: any condition or variable that
    reads them makes its statement uncertain instead of being evaluated.
    """

    action: str
    resource: str
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    principal_arn: str | None = None
    principal_account: str | None = None
    unknown_keys: Collection[str] = ()


@dataclass(frozen=True)
class StatementRef:
    """Identifies one statement of one policy."""

    policy: str
    sid: str | None
    index: int
    effect: str

    def label(self) -> str:
        """Human name of the statement: its Sid when present, else its 1-based position (``index`` + 1)."""
        if self.sid:
            return f'{self.policy} statement "{self.sid}"'
        return f"{self.policy} statement #{self.index + 1}"


@dataclass(frozen=True)
class Decision:
    """The outcome of an evaluation.

    ``decision`` is ``"allowed"``, ``"explicitDeny"``, ``"implicitDeny"`` or ``"unknown"``.  ``deciding`` holds
    the Deny statements for an explicit deny and the Allow statements of the granting path for an allow.
    ``unsupported`` lists what could not be evaluated when the decision is ``"unknown"``.
    """

    decision: str
    deciding: tuple[StatementRef, ...]
    reason: str
    unsupported: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


# ---------------------------------------------------------------------------------------------------------------
# Three-valued logic carrying the reasons for uncertainty
# ---------------------------------------------------------------------------------------------------------------


class _T(enum.IntEnum):
    NO = 0
    MAYBE = 1
    YES = 2


@dataclass(frozen=True)
class _R:
    t: _T
    notes: tuple[str, ...] = ()


_YES = _R(_T.YES)
_NO = _R(_T.NO)


def _maybe(note: str) -> _R:
    return _R(_T.MAYBE, (note,))


def _all(results: Iterable[_R]) -> _R:
    """Kleene AND: false dominates; uncertainty is kept with its reasons."""
    notes: list[str] = []
    uncertain = False
    for r in results:
        if r.t is _T.NO:
            return _NO
        if r.t is _T.MAYBE:
            uncertain = True
            notes.extend(r.notes)
    return _R(_T.MAYBE, _dedupe(notes)) if uncertain else _YES


def _any(results: Iterable[_R]) -> _R:
    """Kleene OR: true dominates; uncertainty is kept with its reasons."""
    notes: list[str] = []
    uncertain = False
    for r in results:
        if r.t is _T.YES:
            return _YES
        if r.t is _T.MAYBE:
            uncertain = True
            notes.extend(r.notes)
    return _R(_T.MAYBE, _dedupe(notes)) if uncertain else _NO


def _neg(r: _R) -> _R:
    if r.t is _T.YES:
        return _NO
    if r.t is _T.NO:
        return _YES
    return r


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# ---------------------------------------------------------------------------------------------------------------
# Request context and caller identity
# ---------------------------------------------------------------------------------------------------------------

_ARN_USER = re.compile(r"arn:[^:]+:iam::(\d{12}):user/(?:.*/)?([^/]+)")
_ARN_ROLE = re.compile(r"arn:[^:]+:iam::(\d{12}):role/(?:.*/)?([^/]+)")
_ARN_SESSION = re.compile(r"arn:[^:]+:sts::(\d{12}):assumed-role/([^/]+)/(.+)")
_ARN_ROOT = re.compile(r"arn:[^:]+:iam::(\d{12}):root")
_ACCOUNT_ID = re.compile(r"\d{12}")


@dataclass(frozen=True)
class _Who:
    arn: str | None
    account: str | None
    kind: str  # "user" | "role" | "session" | "root" | "other" | "unknown"
    role_name: str | None = None


def _who(request: Request, fallback_account: str | None = None) -> _Who:
    arn = request.principal_arn
    kind = "unknown" if arn is None else "other"
    account: str | None = None
    role_name: str | None = None
    if arn is not None:
        if m := _ARN_USER.fullmatch(arn):
            kind, account = "user", m[1]
        elif m := _ARN_ROLE.fullmatch(arn):
            kind, account, role_name = "role", m[1], m[2]
        elif m := _ARN_SESSION.fullmatch(arn):
            kind, account, role_name = "session", m[1], m[2]
        elif m := _ARN_ROOT.fullmatch(arn):
            kind, account = "root", m[1]
        else:
            parts = arn.split(":")
            if len(parts) > 4 and _ACCOUNT_ID.fullmatch(parts[4]):
                account = parts[4]
    if request.principal_account:
        account = request.principal_account
    if account is None:
        account = fallback_account
    return _Who(arn=arn, account=account, kind=kind, role_name=role_name)


@dataclass(frozen=True)
class _Ctx:
    values: Mapping[str, str | tuple[str, ...]]  # lower-cased keys
    unknown: Mapping[str, str]  # lower-cased key -> why it is unknowable


def _context(request: Request, who: _Who) -> _Ctx:
    values: dict[str, str | tuple[str, ...]] = {}
    for key, value in request.context.items():
        values[key.lower()] = value if isinstance(value, str) else tuple(str(v) for v in value)
    unknown = {k.lower(): "marked unknowable by the caller" for k in request.unknown_keys}

    def derive(key: str, value: str) -> None:
        if key not in values and key not in unknown:
            values[key] = value

    if who.account:
        derive("aws:principalaccount", who.account)
    if who.arn is not None:
        if who.kind == "user":
            derive("aws:principalarn", who.arn)
            derive("aws:principaltype", "User")
            m = _ARN_USER.fullmatch(who.arn)
            if m:
                derive("aws:username", m[2])
        elif who.kind == "role":
            derive("aws:principalarn", who.arn)
            derive("aws:principaltype", "AssumedRole")
        elif who.kind == "session":
            derive("aws:principaltype", "AssumedRole")
            if "aws:principalarn" not in values:
                unknown.setdefault(
                    "aws:principalarn", "the role ARN (with its path) cannot be derived from a session ARN"
                )
        elif who.kind == "root":
            derive("aws:principalarn", who.arn)
            derive("aws:principaltype", "Account")
    return _Ctx(values=values, unknown=unknown)


# ---------------------------------------------------------------------------------------------------------------
# Policy variables and wildcard matching
# ---------------------------------------------------------------------------------------------------------------

# Private-use characters stand for literal '*' and '?' produced by ${*}, ${?} or by substituted values, so that
# they are not taken as wildcards afterwards.
_STAR = "\ue000"
_QMARK = "\ue001"
# The documented forms only: ${key} and ${key, 'default'} (a comma and one space before the quoted default).
_VAR_BODY = re.compile(r"([^\s,']+)(?:, '((?:[^']|'')*)')?")


def _literal(text: str) -> str:
    return text.replace("*", _STAR).replace("?", _QMARK)


def _plain(text: str) -> str:
    return text.replace(_STAR, "*").replace(_QMARK, "?")


@dataclass(frozen=True)
class _Subst:
    status: str  # "ok" | "novalue" | "maybe"
    text: str = ""
    note: str = ""


def _substitute(text: str, ctx: _Ctx, variables: bool) -> _Subst:
    """Replace policy variables in ``text`` with values from the request context."""
    if not variables or "${" not in text:
        return _Subst("ok", text)
    out: list[str] = []
    missing: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if not text.startswith("${", i):
            out.append(text[i])
            i += 1
            continue
        j, in_quote = i + 2, False
        while j < n:
            c = text[j]
            if in_quote:
                if c == "'":
                    if j + 1 < n and text[j + 1] == "'":
                        j += 2
                        continue
                    in_quote = False
            elif c == "'":
                in_quote = True
            elif c == "}":
                break
            j += 1
        if j >= n:
            return _Subst("maybe", note=f'malformed policy variable in "{text}"')
        body = text[i + 2 : j]
        i = j + 1
        if body.strip() in ("*", "?", "$"):
            out.append(_literal(body.strip()))
            continue
        m = _VAR_BODY.fullmatch(body)
        if not m:
            return _Subst("maybe", note=f'policy variable "${{{body}}}" is not in a documented form (${{key}} or '
                                        "${key, 'default'})")
        key, default = m[1].lower(), m[2]
        if key in ctx.unknown:
            return _Subst("maybe", note=f'policy variable "${{{m[1]}}}" cannot be resolved ({ctx.unknown[key]})')
        value = ctx.values.get(key)
        if isinstance(value, tuple):
            value = None  # a multi-valued key has no single value to substitute
        if value is None:
            if default is None:
                missing.append(m[1])
                continue
            value = default.replace("''", "'")
        out.append(_literal(value))
    if missing:
        return _Subst("novalue", note=", ".join(f"${{{k}}}" for k in missing))
    return _Subst("ok", "".join(out))


@functools.lru_cache(maxsize=4096)
def _glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts: list[str] = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        elif ch == _STAR:
            parts.append(re.escape("*"))
        elif ch == _QMARK:
            parts.append(re.escape("?"))
        else:
            parts.append(re.escape(ch))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _glob_regex(pattern, ignore_case).fullmatch(value) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """Match an ARN against a pattern segment by segment (wildcards stay within a segment)."""
    if pattern == "*":
        return True
    p = pattern.split(":", 5)
    v = value.split(":", 5)
    if len(p) < 6:
        if len(v) < len(p):
            return False
        v = [*v[: len(p) - 1], ":".join(v[len(p) - 1 :])]
    elif len(v) < 6:
        return False
    return all(_glob(a, b) for a, b in zip(p, v, strict=True))


def _arn_match(pattern: str, value: str, where: str) -> _R:
    """Match an ARN segment by segment; where a ``*`` crossing a ``:`` would change the answer, say so.

    AWS documents that a ``*`` ending a segment "can expand to match beyond the colon boundaries" without
    saying exactly how; when reading it that way and segment by segment disagree, the answer is uncertain.
    """
    by_segment = _arn_like(pattern, value)
    crossing = _glob(pattern, value) if ":" in value and "*" in pattern else by_segment
    if crossing == by_segment:
        return _YES if by_segment else _NO
    return _maybe(f'"{pattern}" matches "{value}" only if a * crosses a ":", which AWS leaves unclear ({where})')


# ---------------------------------------------------------------------------------------------------------------
# Condition operators
# ---------------------------------------------------------------------------------------------------------------

_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
_STRING_OPS = {"StringEquals", "StringEqualsIgnoreCase", "StringLike"}
_ARN_OPS = {"ArnEquals", "ArnLike"}
_ORDER: dict[str, Callable[[float, float], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
_NUMERIC_OPS = {f"Numeric{k}" for k in _ORDER}
_DATE_OPS = {f"Date{k}" for k in _ORDER}
_BASE_OPS = set(_NEGATED) | _STRING_OPS | _ARN_OPS | _NUMERIC_OPS | _DATE_OPS | {"Bool", "IpAddress", "Null"}


def _parse_operator(op: str) -> tuple[str | None, str, bool] | None:
    qualifier: str | None = None
    if op.startswith("ForAnyValue:"):
        qualifier, op = "any", op[len("ForAnyValue:") :]
    elif op.startswith("ForAllValues:"):
        qualifier, op = "all", op[len("ForAllValues:") :]
    if_exists = op.endswith("IfExists") and op != "IfExists"
    base = op[: -len("IfExists")] if if_exists else op
    if base not in _BASE_OPS:
        return None
    return qualifier, base, if_exists


# Integers and decimals as the guide shows them; exponents, "inf", "nan" or digit separators are not documented.
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
# ISO 8601 in the W3C profile the guide refers to: a date, optionally a time and a zone.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?")


def _parse_number(text: str) -> float | None:
    text = text.strip()
    return float(text) if _NUMBER.fullmatch(text) else None


def _parse_date(text: str) -> float | None:
    text = text.strip()
    if _NUMBER.fullmatch(text):
        return float(text)
    if not _ISO_DATE.fullmatch(text):
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _scalar_list(raw: Any) -> list[str] | None:
    """Condition values: a scalar or a list of scalars, normalised to strings (JSON booleans as true/false)."""
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            return None
    return out


def _str_list(raw: Any) -> list[str] | None:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return list(raw)
    return None


@dataclass(frozen=True)
class _Scope:
    """What one statement evaluation needs to know."""

    request: Request
    ctx: _Ctx
    who: _Who
    variables: bool
    label: str
    has_boundary: bool


def _compare(op: str, negated: bool, ctx_value: str, policy_value: str, sc: _Scope) -> _R:
    """Whether ``ctx_value`` matches one policy value under the positive form of the operator."""
    if op in _STRING_OPS or op in _ARN_OPS:
        sub = _substitute(policy_value, sc.ctx, sc.variables)
        if sub.status == "maybe":
            return _maybe(f"{sub.note} in {sc.label}")
        if sub.status == "novalue":
            if negated:
                return _maybe(f"policy variable {sub.note} has no value inside a negated operator in {sc.label}")
            return _NO
        pattern = sub.text
        if op == "StringEquals":
            ok = _plain(pattern) == ctx_value
        elif op == "StringEqualsIgnoreCase":
            ok = _plain(pattern).casefold() == ctx_value.casefold()
        elif op == "StringLike":
            ok = _glob(pattern, ctx_value)
        else:
            return _arn_match(pattern, ctx_value, sc.label)
        return _YES if ok else _NO
    if op in _NUMERIC_OPS or op in _DATE_OPS:
        parse = _parse_number if op in _NUMERIC_OPS else _parse_date
        want = parse(policy_value)
        if want is None:
            return _maybe(f'{op} value "{policy_value}" is not understood in {sc.label}')
        got = parse(ctx_value)
        if got is None:
            return _NO
        family = "Numeric" if op in _NUMERIC_OPS else "Date"
        return _YES if _ORDER[op[len(family) :]](got, want) else _NO
    if op == "Bool":
        if policy_value.lower() not in ("true", "false"):
            return _maybe(f'Bool value "{policy_value}" is not true or false in {sc.label}')
        return _YES if ctx_value.lower() == policy_value.lower() else _NO
    if op == "IpAddress":
        try:
            network = ipaddress.ip_network(policy_value.strip(), strict=False)
        except ValueError:
            return _maybe(f'IpAddress value "{policy_value}" is not an address or CIDR in {sc.label}')
        try:
            address = ipaddress.ip_address(ctx_value.strip())
        except ValueError:
            return _NO
        return _YES if address in network else _NO
    return _maybe(f'unsupported condition operator "{op}" in {sc.label}')  # pragma: no cover - guarded earlier


def _single_value(base: str, ctx_value: str, policy_values: list[str], sc: _Scope) -> _R:
    negated = base in _NEGATED
    positive = _NEGATED.get(base, base)
    matched = _any(_compare(positive, negated, ctx_value, pv, sc) for pv in policy_values)
    return _neg(matched) if negated else matched


def _condition_entry(op: str, key: str, raw_values: Any, sc: _Scope) -> _R:
    parsed = _parse_operator(op)
    if parsed is None:
        return _maybe(f'unsupported condition operator "{op}" in {sc.label}')
    qualifier, base, if_exists = parsed
    values = _scalar_list(raw_values)
    if not values:
        return _maybe(f'condition {op} on "{key}" has no usable values in {sc.label}')
    lkey = key.lower()
    if lkey in sc.ctx.unknown:
        return _maybe(f'condition key "{key}" cannot be determined ({sc.ctx.unknown[lkey]}) in {sc.label}')
    present = lkey in sc.ctx.values

    if base == "Null":
        if qualifier is not None or if_exists:
            return _maybe(f'unsupported condition operator "{op}" in {sc.label}')
        wanted: list[bool] = []
        for v in values:
            if v.lower() not in ("true", "false"):
                return _maybe(f'Null value "{v}" is not true or false in {sc.label}')
            wanted.append(v.lower() == "true")
        return _YES if (not present) in wanted else _NO

    if not present:
        if qualifier == "all":
            return _YES
        if qualifier == "any":
            if if_exists:
                return _maybe(f'{op} on absent key "{key}" has no documented result in {sc.label}')
            return _NO
        if if_exists or base in _NEGATED:
            return _YES
        return _NO

    ctx_value = sc.ctx.values[lkey]
    items = (ctx_value,) if isinstance(ctx_value, str) else ctx_value
    if qualifier is None:
        if not isinstance(ctx_value, str):
            return _maybe(f'single-valued operator {op} used on multi-valued key "{key}" in {sc.label}')
        return _single_value(base, items[0], values, sc)
    per_item = [_single_value(base, item, values, sc) for item in items]
    return _all(per_item) if qualifier == "all" else _any(per_item)


def _conditions(raw: Mapping[str, Any], sc: _Scope) -> _R:
    if "Condition" not in raw:
        return _YES
    cond = raw["Condition"]
    if not isinstance(cond, Mapping):
        return _maybe(f"Condition is not an object in {sc.label}")
    results: list[_R] = []
    for op, block in cond.items():
        if not isinstance(op, str) or not isinstance(block, Mapping):
            results.append(_maybe(f'condition block "{op}" is not an object in {sc.label}'))
            continue
        for key, raw_values in block.items():
            results.append(_condition_entry(op, str(key), raw_values, sc))
    return _all(results)


# ---------------------------------------------------------------------------------------------------------------
# Statements
# ---------------------------------------------------------------------------------------------------------------

_KNOWN_ELEMENTS = {
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
}
_KNOWN_TOP = {"Version", "Id", "Statement"}


@dataclass(frozen=True)
class _Stmt:
    ref: StatementRef
    source: str
    raw: Mapping[str, Any] | None  # None: the statement (or its whole policy) could not be read
    variables: bool
    notes: tuple[str, ...]  # problems found while reading the policy or the statement


def _read_policy(policy: Policy) -> list[_Stmt]:
    name, source = policy.name, policy.source
    doc = policy.document

    def broken(note: str) -> list[_Stmt]:
        return [_Stmt(StatementRef(name, None, 0, "?"), source, None, False, (note,))]

    if not isinstance(doc, Mapping):
        return broken(f"policy {name} is not a JSON object")
    notes: list[str] = [f'unsupported policy element "{k}" in policy {name}' for k in doc if k not in _KNOWN_TOP]
    version = doc.get("Version")
    if version is not None and version not in (POLICY_VERSION, "2008-10-17"):
        notes.append(f'unsupported policy Version "{version}" in policy {name}')
    variables = version == POLICY_VERSION
    raw_statements = doc.get("Statement")
    if isinstance(raw_statements, Mapping):
        items: list[Any] = [raw_statements]
    elif isinstance(raw_statements, list):
        items = raw_statements
    else:
        return broken(f"policy {name} has no readable Statement")
    out: list[_Stmt] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            ref = StatementRef(name, None, index, "?")
            out.append(_Stmt(ref, source, None, variables, (*notes, f"{ref.label()} is not a JSON object")))
            continue
        sid = item.get("Sid")
        effect = item.get("Effect")
        stmt_notes = list(notes)
        if effect not in ("Allow", "Deny"):
            effect_text = "?"
        else:
            effect_text = str(effect)
        ref = StatementRef(name, sid if isinstance(sid, str) and sid else None, index, effect_text)
        if effect_text == "?":
            stmt_notes.append(f'{ref.label()} has an unreadable Effect "{effect}"')
        stmt_notes.extend(
            f'unsupported policy element "{k}" in {ref.label()}' for k in item if k not in _KNOWN_ELEMENTS
        )
        out.append(_Stmt(ref, source, item, variables, tuple(stmt_notes)))
    return out


def _action_part(raw: Mapping[str, Any], sc: _Scope) -> _R:
    has_a, has_na = "Action" in raw, "NotAction" in raw
    if has_a == has_na:
        return _maybe(f"{sc.label} must have exactly one of Action and NotAction")
    key = "Action" if has_a else "NotAction"
    patterns = _str_list(raw[key])
    if patterns is None:
        return _maybe(f"{key} of {sc.label} is not a string or a list of strings")
    results: list[_R] = []
    for p in patterns:
        if p != "*" and ":" not in p:
            results.append(_maybe(f'action "{p}" in {sc.label} is not of the form service:action'))
        else:
            results.append(_YES if _glob(p, sc.request.action, ignore_case=True) else _NO)
    matched = _any(results)
    return matched if has_a else _neg(matched)


def _resource_part(raw: Mapping[str, Any], source: str, sc: _Scope) -> _R:
    has_r, has_nr = "Resource" in raw, "NotResource" in raw
    if has_r and has_nr:
        return _maybe(f"{sc.label} has both Resource and NotResource")
    if not has_r and not has_nr:
        if source == "resource":
            return _YES  # a resource-based policy applies to the resource it is attached to
        return _maybe(f"{sc.label} has neither Resource nor NotResource")
    key = "Resource" if has_r else "NotResource"
    patterns = _str_list(raw[key])
    if patterns is None:
        return _maybe(f"{key} of {sc.label} is not a string or a list of strings")
    results: list[_R] = []
    for p in patterns:
        if sc.variables and "${" in ":".join(p.split(":", 5)[:5]):
            # The guide allows variables only in the resource part of an ARN (after the fifth colon) and does not
            # say what one before it does.
            results.append(_maybe(f'{key} "{p}" of {sc.label} uses a policy variable before the resource part of '
                                  "the ARN, which AWS does not support"))
            continue
        sub = _substitute(p, sc.ctx, sc.variables)
        if sub.status == "maybe":
            results.append(_maybe(f"{sub.note} in {sc.label}"))
        elif sub.status == "novalue":
            if has_r:
                results.append(_NO)  # a Resource entry whose variable has no value matches nothing
            else:
                results.append(_maybe(f"policy variable {sub.note} has no value inside NotResource of {sc.label}"))
        else:
            results.append(_arn_match(sub.text, sc.request.resource, sc.label))
    matched = _any(results)
    return matched if has_r else _neg(matched)


@dataclass(frozen=True)
class _PMatch:
    direct: _R  # names the caller's own user or session ARN: not limited by a permissions boundary
    limited: _R  # matches through a role ARN or "*": limited by a permissions boundary
    account: _R  # names only the caller's account: delegates to IAM

    def any(self) -> _R:
        return _any([self.direct, self.limited, self.account])


def _principal_entry(entry: str, sc: _Scope) -> tuple[str, _R]:
    who = sc.who
    if entry == "*":
        return "limited", _YES
    if "*" in entry or "?" in entry:
        return "limited", _maybe(f'wildcard principal "{entry}" in {sc.label} is not supported')
    m = _ARN_ROOT.fullmatch(entry)
    if _ACCOUNT_ID.fullmatch(entry) or m:
        account = m[1] if m else entry
        if who.account is None:
            return "account", _maybe(f"the caller's account is unknown ({sc.label} names an account)")
        return "account", _YES if account == who.account else _NO
    if who.arn is None:
        return "limited", _maybe(f"the caller's ARN is unknown ({sc.label} names principals)")
    if entry == who.arn:
        return ("direct" if who.kind in ("user", "session") else "limited"), _YES
    rm = _ARN_ROLE.fullmatch(entry)
    if rm and who.kind == "session" and who.account == rm[1] and who.role_name == rm[2]:
        return "limited", _YES
    return "limited", _NO


def _principal_entries(value: Any, key: str, sc: _Scope) -> list[tuple[str, _R]] | _R:
    """All (kind, match) pairs of a Principal/NotPrincipal value, or a single uncertain result."""
    if value == "*":
        return [("limited", _YES)]
    if not isinstance(value, Mapping):
        return _maybe(f"{key} of {sc.label} is not understood")
    out: list[tuple[str, _R]] = []
    for ptype, pvalue in value.items():
        entries = _str_list(pvalue)
        if entries is None:
            return _maybe(f'{key} "{ptype}" of {sc.label} is not a string or a list of strings')
        if ptype == "AWS":
            out.extend(_principal_entry(e, sc) for e in entries)
        elif ptype in ("Service", "Federated", "CanonicalUser"):
            out.extend(("limited", _NO) for _ in entries)
        else:
            return _maybe(f'unsupported principal type "{ptype}" in {sc.label}')
    return out


def _principal_part(raw: Mapping[str, Any], effect: str, sc: _Scope) -> _PMatch:
    has_p, has_np = "Principal" in raw, "NotPrincipal" in raw
    if has_p == has_np:
        u = _maybe(f"{sc.label} must have exactly one of Principal and NotPrincipal")
        return _PMatch(u, u, u)
    if has_p:
        entries = _principal_entries(raw["Principal"], "Principal", sc)
        if isinstance(entries, _R):
            return _PMatch(entries, entries, entries)
        return _PMatch(
            direct=_any(r for k, r in entries if k == "direct"),
            limited=_any(r for k, r in entries if k == "limited"),
            account=_any(r for k, r in entries if k == "account"),
        )
    if effect != "Deny":
        u = _maybe(f"NotPrincipal with Effect {effect} in {sc.label} is not supported by AWS")
        return _PMatch(u, u, u)
    if sc.has_boundary:
        # A NotPrincipal Deny always applies to principals that have a permissions boundary.
        return _PMatch(_NO, _YES, _NO)
    entries = _principal_entries(raw["NotPrincipal"], "NotPrincipal", sc)
    if isinstance(entries, _R):
        return _PMatch(_NO, entries, _NO)
    account_listed = _any(r for k, r in entries if k == "account")
    if sc.who.kind == "root":
        excluded = account_listed
    else:
        self_listed = _any(r for k, r in entries if k != "account")
        excluded = _all([account_listed, self_listed])
    return _PMatch(_NO, _neg(excluded), _NO)


@dataclass(frozen=True)
class _Eval:
    st: _Stmt
    deny: _R  # the statement denies the request
    allow: _R  # identity/boundary: the statement allows the request
    principal: _PMatch  # resource policies: Allow matches, split by how the principal matched


def _unresolved_variables(raw: Mapping[str, Any], sc: _Scope) -> list[str]:
    """Policy variables without a value in the statement's Resource/NotResource or String/Arn condition values."""
    if not sc.variables:
        return []
    texts: list[str] = []
    for key in ("Resource", "NotResource"):
        texts += _str_list(raw.get(key)) or []
    cond = raw.get("Condition")
    if isinstance(cond, Mapping):
        for op, block in cond.items():
            parsed = _parse_operator(str(op))
            if parsed is None or not isinstance(block, Mapping):
                continue
            if parsed[1] in _STRING_OPS or parsed[1] in _ARN_OPS or _NEGATED.get(parsed[1]) in _STRING_OPS | _ARN_OPS:
                for values in block.values():
                    texts += _scalar_list(values) or []
    out: list[str] = []
    for text in texts:
        sub = _substitute(text, sc.ctx, True)
        if sub.status == "novalue" and sub.note not in out:
            out.append(sub.note)
    return out


def _evaluate_statement(st: _Stmt, request: Request, ctx: _Ctx, who: _Who, has_boundary: bool) -> _Eval:
    label = st.ref.label()
    sc = _Scope(request, ctx, who, st.variables, label, has_boundary)
    parts: list[_R] = [_maybe(n) for n in st.notes]
    raw = st.raw
    if raw is None:
        if not parts:
            parts.append(_maybe(f"{label} could not be read"))
        base = _all(parts)
        u = _PMatch(base, base, base)
        return _Eval(st, base, base, u)
    parts.append(_action_part(raw, sc))
    parts.append(_resource_part(raw, st.source, sc))
    if st.source != "resource" and ("Principal" in raw or "NotPrincipal" in raw):
        parts.append(_maybe(f"{label} uses Principal/NotPrincipal, which only resource-based policies may use"))
    parts.append(_conditions(raw, sc))
    base = _all(parts)
    if base.t is not _T.NO and (unresolved := _unresolved_variables(raw, sc)):
        # Read with the variable's entries failing to match, the statement might apply; the guide also says a
        # variable without a value "causes the statement to be invalid", and then it would not.
        base = _all([base, _maybe(f"policy variable {', '.join(unresolved)} has no value in {label}, which AWS "
                                  "may treat as making the whole statement invalid")])
    effect = st.ref.effect
    if st.source == "resource":
        pm = _principal_part(raw, "Deny" if effect == "Deny" else "Allow", sc)
        pm = _PMatch(_all([base, pm.direct]), _all([base, pm.limited]), _all([base, pm.account]))
        applies = pm.any()
    else:
        pm = _PMatch(_NO, _NO, _NO)
        applies = base
    if effect == "Deny":
        return _Eval(st, applies, _NO, _PMatch(_NO, _NO, _NO))
    if effect == "Allow":
        return _Eval(st, _NO, applies, pm)
    # Unreadable effect: it might allow or deny (the notes already make ``base`` uncertain).
    return _Eval(st, applies, applies, pm)


# ---------------------------------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------------------------------

_SOURCE_WORD = {"identity": "identity policy", "boundary": "permissions boundary", "resource": "resource policy"}


def _word(st: _Stmt, resource_word: str = "resource policy") -> str:
    if st.source == "resource":
        return resource_word
    return _SOURCE_WORD.get(st.source, "policy")


def _refs(evals: Iterable[_Eval], pick: Callable[[_Eval], _R]) -> tuple[StatementRef, ...]:
    return tuple(e.st.ref for e in evals if pick(e).t is _T.YES)


def _names(refs: Sequence[StatementRef]) -> str:
    labels = [r.label() for r in refs]
    if len(labels) <= 2:
        return " and ".join(labels)
    return f"{labels[0]}, {labels[1]} and {len(labels) - 2} more"


def _first_label(evals: Sequence[_Eval], pick: Callable[[_Eval], _R]) -> str:
    refs = _refs(evals, pick)
    return refs[0].label() if refs else ""


@dataclass(frozen=True)
class _Groups:
    identity: list[_Eval]
    boundary: list[_Eval]
    resource: list[_Eval]

    def everything(self) -> list[_Eval]:
        return [*self.identity, *self.boundary, *self.resource]


def _evaluate_groups(
    request: Request,
    identity: Sequence[Policy],
    boundary: Sequence[Policy],
    resource: Sequence[Policy],
    fallback_account: str | None = None,
) -> _Groups:
    who = _who(request, fallback_account)
    ctx = _context(request, who)
    has_boundary = len(boundary) > 0

    def run(policies: Sequence[Policy], source: str) -> list[_Eval]:
        out: list[_Eval] = []
        for p in policies:
            for st in _read_policy(Policy(p.name, p.document, source)):
                out.append(_evaluate_statement(st, request, ctx, who, has_boundary))
        return out

    return _Groups(run(identity, "identity"), run(boundary, "boundary"), run(resource, "resource"))


def _explicit_deny(groups: _Groups, resource_word: str = "resource policy") -> Decision | None:
    evals = groups.everything()
    denies = [e for e in evals if e.deny.t is _T.YES]
    if not denies:
        return None
    first = denies[0]
    reason = f"explicitly denied by {_word(first.st, resource_word)} {first.st.ref.label()}"
    if len(denies) > 1:
        reason += f" (and {len(denies) - 1} more deny statement{'s' if len(denies) > 2 else ''})"
    return Decision("explicitDeny", tuple(e.st.ref for e in denies), reason)


def _maybe_denies(groups: _Groups) -> list[_Eval]:
    return [e for e in groups.everything() if e.deny.t is _T.MAYBE]


def _finish(
    request: Request,
    groups: _Groups,
    grant: _R,
    allowed: Callable[[], tuple[tuple[StatementRef, ...], str]],
    denied: Callable[[], str],
) -> Decision:
    """Combine the certain/uncertain grant with the uncertain denies into a decision."""
    what = f"{request.action} on {request.resource}"
    maybe_denies = _maybe_denies(groups)
    deny_notes = _dedupe(n for e in maybe_denies for n in e.deny.notes)
    if grant.t is _T.YES:
        refs, reason = allowed()
        if not maybe_denies:
            return Decision("allowed", refs, reason)
        return Decision(
            "unknown",
            (),
            f"{reason}, but deny statement {_names([e.st.ref for e in maybe_denies])} might apply and could not "
            f"be evaluated: cannot decide {what}",
            deny_notes,
        )
    if grant.t is _T.MAYBE:
        notes = _dedupe([*grant.notes, *deny_notes])
        return Decision(
            "unknown",
            (),
            f"cannot decide {what}: {notes[0] if notes else 'some statements could not be evaluated'}",
            notes,
        )
    reason = denied()
    if maybe_denies:
        reason += f" (deny statement {_names([e.st.ref for e in maybe_denies])} could not be evaluated)"
    return Decision("implicitDeny", (), reason)


def evaluate(
    request: Request,
    identity: Sequence[Policy],
    boundary: Sequence[Policy] = (),
    resource: Sequence[Policy] = (),
) -> Decision:
    """Decide a same-account request from identity policies, an optional permissions boundary and resource policies.

    The ``source`` field of the given policies is ignored: the argument they are passed in decides their role.
    """
    g = _evaluate_groups(request, identity, boundary, resource)
    if (d := _explicit_deny(g)) is not None:
        return d
    has_boundary = bool(boundary)
    id_allow = _any(e.allow for e in g.identity)
    b_allow = _any(e.allow for e in g.boundary) if has_boundary else _YES
    r_direct = _any(e.principal.direct for e in g.resource)
    r_limited = _any(e.principal.limited for e in g.resource)
    grant = _any([r_direct, _all([_any([id_allow, r_limited]), b_allow])])
    what = f"{request.action} on {request.resource}"

    def within_boundary() -> tuple[tuple[StatementRef, ...], str]:
        if not has_boundary:
            return (), ""
        refs = _refs(g.boundary, lambda e: e.allow)
        return refs, f", within permissions boundary {_names(refs)}"

    def allowed() -> tuple[tuple[StatementRef, ...], str]:
        if id_allow.t is _T.YES and b_allow.t is _T.YES:
            refs = _refs(g.identity, lambda e: e.allow)
            brefs, btext = within_boundary()
            return refs + brefs, f"allowed by identity policy {_names(refs)}{btext}"
        if r_direct.t is _T.YES:
            refs = _refs(g.resource, lambda e: e.principal.direct)
            extra = " (a permissions boundary does not limit such a grant)" if has_boundary else ""
            return refs, f"allowed by resource policy {_names(refs)}, which names the principal directly{extra}"
        refs = _refs(g.resource, lambda e: e.principal.limited)
        brefs, btext = within_boundary()
        return refs + brefs, f"allowed by resource policy {_names(refs)}{btext}"

    def denied() -> str:
        if has_boundary and b_allow.t is _T.NO and (id_allow.t is _T.YES or r_limited.t is _T.YES):
            src = (
                f"identity policy {_first_label(g.identity, lambda e: e.allow)}"
                if id_allow.t is _T.YES
                else f"resource policy {_first_label(g.resource, lambda e: e.principal.limited)}"
            )
            names = ", ".join(dict.fromkeys(p.name for p in boundary))
            return f"{src} allows {what}, but permissions boundary {names} does not: implicitly denied"
        return f"no statement allows {what}: implicitly denied"

    return _finish(request, g, grant, allowed, denied)


def evaluate_kms(
    request: Request,
    identity: Sequence[Policy],
    key_policy: Policy | None,
    account: str,
    boundary: Sequence[Policy] = (),
) -> Decision:
    """Decide a KMS request from the key policy, the caller's identity policies and its permissions boundary.

    ``account`` is the key's account; it stands for the caller's account when the request does not say.  The key
    policy grants directly when an Allow names the caller; when it allows the caller's account root it delegates
    to IAM, and identity policies (within the boundary) decide.
    """
    what = f"{request.action} on {request.resource}"
    if key_policy is None:
        return Decision(
            "unknown",
            (),
            f"the key policy of {request.resource} could not be read, so {request.action} cannot be decided",
            ("key policy not readable",),
        )
    g = _evaluate_groups(request, identity, boundary, [key_policy], fallback_account=account)
    if (d := _explicit_deny(g, "key policy")) is not None:
        return d
    has_boundary = bool(boundary)
    id_allow = _any(e.allow for e in g.identity)
    b_allow = _any(e.allow for e in g.boundary) if has_boundary else _YES
    k_direct = _any(e.principal.direct for e in g.resource)
    k_limited = _any(e.principal.limited for e in g.resource)
    k_account = _any(e.principal.account for e in g.resource)
    grant = _any([k_direct, _all([_any([k_limited, _all([k_account, id_allow])]), b_allow])])
    kp = key_policy.name

    def boundary_refs() -> tuple[StatementRef, ...]:
        return _refs(g.boundary, lambda e: e.allow) if has_boundary else ()

    def allowed() -> tuple[tuple[StatementRef, ...], str]:
        if k_direct.t is _T.YES:
            refs = _refs(g.resource, lambda e: e.principal.direct)
            return refs, f"key policy grants the principal directly: {_names(refs)} allows {request.action}"
        btext = f", within permissions boundary {_names(boundary_refs())}" if has_boundary else ""
        if k_limited.t is _T.YES and b_allow.t is _T.YES:
            krefs = _refs(g.resource, lambda e: e.principal.limited)
            return krefs + boundary_refs(), (
                f"key policy grants the principal directly: {_names(krefs)} allows {request.action}{btext}"
            )
        krefs = _refs(g.resource, lambda e: e.principal.account)
        irefs = _refs(g.identity, lambda e: e.allow)
        return krefs + irefs + boundary_refs(), (
            f"key policy delegates to IAM ({_names(krefs)}); identity policy {_names(irefs)} allows "
            f"{request.action}{btext}"
        )

    def denied() -> str:
        names = ", ".join(dict.fromkeys(p.name for p in boundary))
        if has_boundary and b_allow.t is _T.NO and k_limited.t is _T.YES:
            label = _first_label(g.resource, lambda e: e.principal.limited)
            return (
                f"key policy {label} grants {what} to the principal, but permissions boundary {names} does not "
                f"allow it: implicitly denied"
            )
        if has_boundary and b_allow.t is _T.NO and k_account.t is _T.YES and id_allow.t is _T.YES:
            label = _first_label(g.identity, lambda e: e.allow)
            return (
                f"key policy delegates to IAM and identity policy {label} allows {what}, but permissions boundary "
                f"{names} does not: implicitly denied"
            )
        if k_account.t is _T.YES:
            label = _first_label(g.resource, lambda e: e.principal.account)
            return f"key policy delegates to IAM ({label}), but no identity policy allows {what}: implicitly denied"
        if id_allow.t is _T.YES:
            label = _first_label(g.identity, lambda e: e.allow)
            return (
                f"identity policy {label} allows {what}, but key policy {kp} neither grants the principal nor "
                f"delegates to IAM: implicitly denied"
            )
        return f"neither key policy {kp} nor any identity policy allows {what}: implicitly denied"

    return _finish(request, g, grant, allowed, denied)


# ---------------------------------------------------------------------------------------------------------------
# Least-privilege policy builder
# ---------------------------------------------------------------------------------------------------------------


def _sid_part(action: str) -> str:
    def word(text: str) -> str:
        text = text.replace("*", "All").replace("?", "Any")
        cleaned = "".join(ch for ch in text if ch.isalnum())
        return cleaned[:1].upper() + cleaned[1:]

    if action == "*":
        return "All"
    service, _, name = action.partition(":")
    return word(service.lower()) + word(name)


def least_privilege_policy(grants: Sequence[tuple[Sequence[str], Sequence[str]]]) -> dict[str, Any]:
    """Build a minimal identity policy: one Allow statement per (actions, resources) pair.

    Sids are derived from the actions (``["ssm:StartSession"]`` gives ``"AllowSsmStartSession"``); a repeated Sid
    gets a numeric suffix.  A single action or resource is written as a string, several as a list.
    """
    statements: list[dict[str, Any]] = []
    used: set[str] = set()
    for actions, resources in grants:
        acts = list(dict.fromkeys(actions))
        ress = list(dict.fromkeys(resources))
        if not acts or not ress:
            raise ValueError("every grant needs at least one action and one resource")
        sid = "Allow" + "".join(_sid_part(a) for a in acts)
        if len(sid) > 100:
            sid = sid[:100]
        base, n = sid, 2
        while sid in used:
            sid = f"{base}{n}"
            n += 1
        used.add(sid)
        statements.append(
            {
                "Sid": sid,
                "Effect": "Allow",
                "Action": acts[0] if len(acts) == 1 else acts,
                "Resource": ress[0] if len(ress) == 1 else ress,
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}
