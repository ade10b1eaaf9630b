"""Whether a principal may make a request: IAM's own simulation first, the local evaluator second.

Collectors gather an *access* record for one principal and a few requests (see :func:`access_record`): each
request's action, resource ARN and the request context it would carry, the result of
``iam:SimulatePrincipalPolicy`` for it, and -- when the simulation was denied, unavailable, or depended on
context that could not be supplied -- the principal's own policies. :func:`decide` turns a record into a
:class:`PermissionDecision` that names the path that decided (``simulation`` or ``local``), the deciding policy
statement, the permissions that were missing to decide, and what neither path can see.

Context supplied with every request (as ``ContextEntries`` for the simulation and as the request context for
the local evaluator): ``aws:RequestedRegion``, ``aws:CurrentTime``, ``aws:EpochTime``, ``aws:SecureTransport``
(the CLI always uses TLS), ``aws:ViaAWSService`` and ``aws:PrincipalIsAWSService`` (false: a person calls
directly), ``aws:PrincipalAccount``, ``aws:PrincipalArn``, ``aws:PrincipalType``, ``aws:userid``,
``aws:username`` (IAM users only), ``aws:PrincipalTag/*`` (the user's tags, or a role's when the role itself is
the principal; a role *session* may carry session tags that add to or override the role's, so for an assumed-role
caller principal tags are unknowable), and for a node resource
``ssm:resourceTag/*`` and ``aws:ResourceTag/*`` from the node's tags.

Condition keys are then classed as:

* known -- supplied above;
* known to be absent -- a resource tag the resource does not have (when its tags could be read; AWS-owned
  documents carry none), a principal tag the user or role does not have (when its tags were read; never for an
  assumed-role session, whose session tags cannot be seen), ``aws:username`` for anything but an
  IAM user, ``aws:RequestTag/*`` and ``aws:TagKeys`` (these requests tag nothing);
* two candidates -- ``ssm:SessionDocumentAccessCheck``: the decision must be the same whether the key is absent
  or ``true``, else it is ``unknown``;
* unknowable -- every other key (``aws:SourceIp``, ``aws:MultiFactorAuthPresent``, ...).

A simulation whose ``MissingContextValues`` are all known or known to be absent decides on its own. Otherwise the
local evaluator decides, with unknowable keys passed as ``Request.unknown_keys``, so a statement that depends on
them makes the answer ``unknown`` rather than a guess. Policies that could not be read make a local answer
``unknown`` unless a readable statement explicitly denies (an explicit deny wins whatever the others say).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from doctor.iam import Decision, Policy, Request, evaluate

# Caller ARNs as sts:GetCallerIdentity returns them.
_USER_ARN = re.compile(r"^arn:(aws[a-z-]*):(?:iam|sts)::(\d{12}):user/(?:(.*)/)?([^/]+)$")
_ASSUMED_ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")
_ROOT_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):root$")
_FEDERATED_ARN = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):federated-user/(.+)$")

SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
SERVICE_LINKED_ROLE_PATH = "/aws-service-role/"

# Keys whose value the decision must not depend on: (absent, "true").
_ALTERNATIVES: dict[str, tuple[str | None, ...]] = {"ssm:sessiondocumentaccesscheck": (None, "true")}
_ABSENT_PREFIXES = ("aws:requesttag/",)
_ABSENT_KEYS = frozenset({"aws:tagkeys"})
_RESOURCE_TAG_PREFIXES = ("ssm:resourcetag/", "aws:resourcetag/")
_CONTEXT_TYPES = {
    "aws:securetransport": "boolean",
    "aws:viaawsservice": "boolean",
    "aws:principalisawsservice": "boolean",
    "aws:currenttime": "date",
    "aws:epochtime": "numeric",
}

NOT_SEEN_ALWAYS = ("resource control policies", "VPC endpoint policies")
NOT_SEEN_SESSION = "session policies and session tags of the assumed-role session"
NOT_SEEN_SCP = "service control policies"


# ---------------------------------------------------------------------------------------------------------------
# Who the caller is
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallerArn:
    """What a caller ARN says by itself: the kind of principal and its names."""

    kind: str  # "user" | "assumed-role" | "root" | "federated-user" | "other"
    account: str
    name: str = ""  # user name, role name, or federated user name
    session: str = ""  # assumed-role session name
    path: str = ""  # user path, when the ARN carries it
    partition: str = "aws"


def parse_caller_arn(arn: str) -> CallerArn:
    if m := _USER_ARN.match(arn):
        return CallerArn("user", m[2], m[4], path=f"/{m[3]}/" if m[3] else "/", partition=m[1])
    if m := _ASSUMED_ROLE_ARN.match(arn):
        return CallerArn("assumed-role", m[2], m[3], session=m[4], partition=m[1])
    if m := _ROOT_ARN.match(arn):
        return CallerArn("root", m[2], partition=m[1])
    if m := _FEDERATED_ARN.match(arn):
        return CallerArn("federated-user", m[2], m[3], partition=m[1])
    parts = arn.split(":")
    return CallerArn("other", parts[4] if len(parts) > 4 else "")


def session_name_prefix(principal: Mapping[str, Any]) -> str:
    """How Session Manager names this caller's sessions: ``<user name>-…`` or ``<role session name>-…``."""
    raw = str(principal.get("session") or principal.get("name") or "user")
    return re.sub(r"[^A-Za-z0-9_.@-]", "-", raw)


# ---------------------------------------------------------------------------------------------------------------
# ARNs of what is asked for
# ---------------------------------------------------------------------------------------------------------------


def node_arn(node_id: str, region: str, account: str, partition: str = "aws") -> str:
    if node_id.startswith("mi-"):
        return f"arn:{partition}:ssm:{region}:{account}:managed-instance/{node_id}"
    return f"arn:{partition}:ec2:{region}:{account}:instance/{node_id}"


def aws_document_arn(name: str, region: str, partition: str = "aws") -> str:
    """An AWS-owned document: its ARN has an empty account field."""
    return f"arn:{partition}:ssm:{region}::document/{name}"


def session_arn(principal: Mapping[str, Any], region: str, account: str, partition: str = "aws") -> str:
    """A concrete ARN of one of the caller's own sessions."""
    return f"arn:{partition}:ssm:{region}:{account}:session/{session_name_prefix(principal)}-0123456789abcdef0"


# ---------------------------------------------------------------------------------------------------------------
# Request context
# ---------------------------------------------------------------------------------------------------------------


def tag_dict(tags: Any) -> dict[str, str]:
    """Tags from the list form AWS returns (``[{"Key": k, "Value": v}]``) or a plain mapping."""
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    out: dict[str, str] = {}
    for tag in tags or ():
        if isinstance(tag, Mapping) and tag.get("Key") is not None:
            out[str(tag["Key"])] = str(tag.get("Value", ""))
    return out


def principal_context(principal: Mapping[str, Any]) -> dict[str, str]:
    """Context keys that describe the principal making the request."""
    ctx: dict[str, str] = {}
    if principal.get("account"):
        ctx["aws:PrincipalAccount"] = str(principal["account"])
    kind = principal.get("kind")
    if principal.get("principal_arn") and not principal.get("principal_arn_guessed"):
        ctx["aws:PrincipalArn"] = str(principal["principal_arn"])
    if kind == "user":
        ctx["aws:PrincipalType"] = "User"
        ctx["aws:username"] = str(principal.get("name", ""))
    elif kind in ("assumed-role", "role"):
        ctx["aws:PrincipalType"] = "AssumedRole"
    if principal.get("user_id"):
        ctx["aws:userid"] = str(principal["user_id"])
    if kind != "assumed-role":  # a session's tags may add to or override its role's: they cannot be seen
        for key, value in tag_dict(principal.get("tags") or {}).items():
            ctx[f"aws:PrincipalTag/{key}"] = value
    return ctx


def request_context(
    principal: Mapping[str, Any],
    region: str,
    now: str,
    resource_tags: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The context a request by ``principal`` in ``region`` carries (see the module docstring)."""
    ctx = {
        "aws:RequestedRegion": region,
        "aws:SecureTransport": "true",
        "aws:ViaAWSService": "false",
        "aws:PrincipalIsAWSService": "false",
    }
    if now:
        ctx["aws:CurrentTime"] = now
        try:
            ctx["aws:EpochTime"] = str(int(datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp()))
        except ValueError:
            pass
    ctx.update(principal_context(principal))
    for key, value in (resource_tags or {}).items():
        ctx[f"ssm:resourceTag/{key}"] = value
        ctx[f"aws:ResourceTag/{key}"] = value
    ctx.update(extra or {})
    return ctx


def context_entries(context: Mapping[str, str]) -> list[dict[str, Any]]:
    """``ContextEntries`` for iam:SimulatePrincipalPolicy."""
    return [
        {"ContextKeyName": key, "ContextKeyValues": [value],
         "ContextKeyType": _CONTEXT_TYPES.get(key.lower(), "string")}
        for key, value in sorted(context.items())
    ]


def new_request(action: str, resource: str, context: Mapping[str, str], resource_tags_known: bool) -> dict[str, Any]:
    """One request of an access record, before simulation."""
    return {"action": action, "resource": resource, "context": dict(context),
            "resource_tags_known": resource_tags_known, "simulation": None}


def access_record(principal: Mapping[str, Any], requests: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An access record with nothing decided yet; collectors fill in simulation results and policies."""
    return {
        "principal": dict(principal),
        "requests": [dict(r) for r in requests],
        "simulation_unavailable": [],
        "policies": None,
        "policies_unavailable": None,
    }


def merge_records(*records: Mapping[str, Any]) -> dict[str, Any]:
    """Combine access records for the same principal."""
    out: dict[str, Any] = {"principal": dict(records[0]["principal"]) if records else {}, "requests": [],
                           "simulation_unavailable": [], "policies": None, "policies_unavailable": None}
    for rec in records:
        out["requests"].extend(rec.get("requests", []))
        for u in rec.get("simulation_unavailable", []):
            if u not in out["simulation_unavailable"]:
                out["simulation_unavailable"].append(u)
        if rec.get("policies") is not None:
            out["policies"] = rec["policies"]
        if rec.get("policies_unavailable") and out["policies_unavailable"] is None:
            out["policies_unavailable"] = rec["policies_unavailable"]
    if out["policies"] is not None:
        out["policies_unavailable"] = None
    return out


# ---------------------------------------------------------------------------------------------------------------
# Condition keys
# ---------------------------------------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{\s*([^\s,'}]+)")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _statements(document: Any) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return []
    raw = document.get("Statement")
    if isinstance(raw, Mapping):
        return [raw]
    return [s for s in raw if isinstance(s, Mapping)] if isinstance(raw, list) else []


def condition_keys(documents: Iterable[Any]) -> set[str]:
    """Every condition key and policy variable the documents read."""
    keys: set[str] = set()
    for document in documents:
        for st in _statements(document):
            cond = st.get("Condition")
            if isinstance(cond, Mapping):
                for block in cond.values():
                    if isinstance(block, Mapping):
                        keys.update(str(k) for k in block)
            for element in ("Resource", "NotResource", "Condition"):
                for text in _strings(st.get(element)):
                    keys.update(_VARIABLE.findall(text))
    return {k for k in keys if k not in ("*", "?", "$")}


def key_status(key: str, request: Mapping[str, Any], principal: Mapping[str, Any]) -> str:
    """``known``, ``absent``, ``alternatives`` or ``unknown`` (see the module docstring)."""
    lkey = key.lower()
    if lkey in {k.lower() for k in request.get("context", {})}:
        return "known"
    if lkey in _ALTERNATIVES:
        return "alternatives"
    if lkey.startswith(_RESOURCE_TAG_PREFIXES):
        return "absent" if request.get("resource_tags_known") else "unknown"
    if lkey.startswith("aws:principaltag/"):
        if principal.get("kind") == "assumed-role":
            return "unknown"  # session tags (IAM Identity Center attributes, AssumeRole tags) are not visible
        return "absent" if principal.get("tags_known") else "unknown"
    if lkey == "aws:username" and principal.get("kind") != "user":
        return "absent"
    if lkey.startswith(_ABSENT_PREFIXES) or lkey in _ABSENT_KEYS:
        return "absent"
    return "unknown"


# ---------------------------------------------------------------------------------------------------------------
# Simulation results
# ---------------------------------------------------------------------------------------------------------------


def normalise_simulation(results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """EvaluationResults as one entry per (action, resource); per-resource results win over the aggregate."""
    out: list[dict[str, Any]] = []
    for result in results:
        action = str(result.get("EvalActionName", ""))
        org = result.get("OrganizationsDecisionDetail") or {}
        boundary = result.get("PermissionsBoundaryDecisionDetail") or {}
        common = {
            "organizations_allowed": org.get("AllowedByOrganizations") if org else None,
            "boundary_allowed": boundary.get("AllowedByPermissionsBoundary") if boundary else None,
        }
        specific = result.get("ResourceSpecificResults") or []
        if specific:
            for item in specific:
                out.append({
                    "action": action,
                    "resource": str(item.get("EvalResourceName", "")),
                    "decision": str(item.get("EvalResourceDecision", "")),
                    "matched": _matched(item.get("MatchedStatements")),
                    "missing_context": list(item.get("MissingContextValues") or result.get("MissingContextValues")
                                            or []),
                    **common,
                })
        else:
            out.append({
                "action": action,
                "resource": str(result.get("EvalResourceName", "*")),
                "decision": str(result.get("EvalDecision", "")),
                "matched": _matched(result.get("MatchedStatements")),
                "missing_context": list(result.get("MissingContextValues") or []),
                **common,
            })
    return out


def _matched(statements: Any) -> list[dict[str, Any]]:
    out = []
    for st in statements or ():
        if isinstance(st, Mapping):
            item: dict[str, Any] = {"policy": str(st.get("SourcePolicyId", "")),
                                    "type": str(st.get("SourcePolicyType", ""))}
            start = st.get("StartPosition") or {}
            if start:
                item["line"], item["column"] = start.get("Line"), start.get("Column")
            out.append(item)
    return out


def attach_simulation(requests: Sequence[dict[str, Any]], entries: Sequence[Mapping[str, Any]]) -> None:
    """Put each request's entry from one simulation call on it (same action; the same resource if listed)."""
    for request in requests:
        same_action = [e for e in entries if str(e["action"]).lower() == str(request["action"]).lower()]
        exact = [e for e in same_action if e["resource"] == request["resource"]]
        candidates = exact or same_action
        if candidates:
            request["simulation"] = {**candidates[0], "resource": request["resource"]}


def simulation_settles(request: Mapping[str, Any], principal: Mapping[str, Any]) -> bool:
    """The simulation decides this request on its own: every missing context key is known to be absent."""
    sim = request.get("simulation")
    if not sim or sim.get("decision") not in ("allowed", "explicitDeny", "implicitDeny"):
        return False
    return all(key_status(k, request, principal) in ("known", "absent") for k in sim.get("missing_context", ()))


# ---------------------------------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PermissionDecision:
    """How one request is decided, and why."""

    action: str
    resource: str
    decision: str  # "allowed" | "explicitDeny" | "implicitDeny" | "unknown"
    path: str  # "simulation" | "local" | "none"
    reason: str
    deciding: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # permissions that would have let ssm-doctor decide
    unsupported: tuple[str, ...] = ()
    not_seen: tuple[str, ...] = ()
    unknown_context: tuple[str, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"

    @property
    def denied(self) -> bool:
        return self.decision in ("explicitDeny", "implicitDeny")

    def evidence(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "action": self.action,
            "resource": self.resource,
            "decision": self.decision,
            "decided_by": {"simulation": "iam:SimulatePrincipalPolicy", "local": "local evaluation of the "
                           "principal's policies", "none": "nothing"}[self.path],
            "reason": self.reason,
        }
        if self.deciding:
            data["deciding_statements"] = list(self.deciding)
        if self.missing:
            data["missing_permissions"] = list(self.missing)
        if self.unsupported:
            data["could_not_evaluate"] = list(self.unsupported)
        if self.unknown_context:
            data["unknown_context_keys"] = list(self.unknown_context)
        if self.not_seen:
            data["not_seen"] = list(self.not_seen)
        return data


def _not_seen(principal: Mapping[str, Any], path: str, organizations_seen: bool = False) -> tuple[str, ...]:
    items: list[str] = []
    if not (path == "simulation" and organizations_seen):
        items.append(NOT_SEEN_SCP)
    items.extend(NOT_SEEN_ALWAYS)
    if principal.get("kind") == "assumed-role":
        items.append(NOT_SEEN_SESSION)
    return tuple(items)


def _find(record: Mapping[str, Any], action: str, resource: str) -> Mapping[str, Any] | None:
    for req in record.get("requests", ()):
        if str(req["action"]).lower() == action.lower() and req["resource"] == resource:
            return req  # type: ignore[no-any-return]
    return None


def _position(m: Mapping[str, Any]) -> str:
    label = m.get("policy") or "a policy"
    if m.get("type"):
        label += f" ({m['type']})"
    if m.get("line") is not None:
        label += f", statement at line {m['line']}, column {m.get('column')}"
    return str(label)


def _from_simulation(req: Mapping[str, Any], principal: Mapping[str, Any]) -> PermissionDecision:
    sim = req["simulation"]
    action, resource = str(req["action"]), str(req["resource"])
    what = f"{action} on {resource}"
    deciding = tuple(_position(m) for m in sim.get("matched", ()))
    org_seen = sim.get("organizations_allowed") is not None
    not_seen = _not_seen(principal, "simulation", org_seen)
    decision = str(sim["decision"])
    if decision == "allowed":
        names = ", ".join(dict.fromkeys(m.get("policy", "") for m in sim.get("matched", ()) if m.get("policy")))
        reason = f"allowed by {names}" if names else "allowed"
    elif decision == "explicitDeny":
        if sim.get("organizations_allowed") is False:
            reason = f"explicitly denied by a service control policy: {what}"
        else:
            names = ", ".join(dict.fromkeys(m.get("policy", "") for m in sim.get("matched", ()) if m.get("policy")))
            reason = f"explicitly denied by {names}" if names else f"explicitly denied: {what}"
    else:
        if sim.get("boundary_allowed") is False:
            reason = f"the permissions boundary does not allow {what}: implicitly denied"
        elif sim.get("organizations_allowed") is False:
            reason = f"a service control policy does not allow {what}"
        else:
            reason = f"no policy allows {what}: implicitly denied"
    return PermissionDecision(action, resource, decision, "simulation", reason, deciding, not_seen=not_seen)


def _policies(record: Mapping[str, Any]) -> tuple[list[Policy], list[Policy], list[Any]]:
    pol = record.get("policies") or {}
    identity = [Policy(str(p["name"]), p.get("document"), "identity") for p in pol.get("policies", ())]
    boundary = [Policy(str(b["name"]), b.get("document"), "boundary") for b in ([pol["boundary"]]
                                                                               if pol.get("boundary") else [])]
    return identity, boundary, list(pol.get("unreadable", ()))


def _permissions_of(unavailable: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(u.get("permission") or u.get("operation") or "") for u in unavailable if u))


def _describe(u: Mapping[str, Any]) -> str:
    op, code = u.get("operation", "?"), u.get("code", "?")
    if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        return f"{op} was denied"
    return f"{op} failed with {code}"


def _local(req: Mapping[str, Any], record: Mapping[str, Any]) -> PermissionDecision:
    principal = record.get("principal") or {}
    action, resource = str(req["action"]), str(req["resource"])
    identity, boundary, unreadable = _policies(record)
    documents = [p.document for p in identity + boundary]
    statuses = {k: key_status(k, req, principal) for k in condition_keys(documents)}
    unknown_keys = tuple(sorted(k for k, s in statuses.items() if s == "unknown"))
    alternatives = sorted(k for k, s in statuses.items() if s == "alternatives")
    base_ctx = dict(req.get("context", {}))
    principal_arn = str(principal.get("arn") or "") or None
    decisions: list[Decision] = []
    for values in itertools.product(*(_ALTERNATIVES[k.lower()] for k in alternatives)):
        ctx = dict(base_ctx)
        for key, value in zip(alternatives, values, strict=True):
            if value is not None:
                ctx[key] = value
        request = Request(action, resource, ctx, principal_arn=principal_arn,
                          principal_account=str(principal.get("account") or "") or None, unknown_keys=unknown_keys)
        decisions.append(evaluate(request, identity, boundary))
    first = decisions[0]
    not_seen = _not_seen(principal, "local")
    deciding = tuple(ref.label() for ref in first.deciding)
    if any(d.decision != first.decision for d in decisions):
        return PermissionDecision(
            action, resource, "unknown", "local",
            f"the decision on {action} depends on {', '.join(alternatives)}, which the request may or may not carry",
            unsupported=tuple(alternatives), not_seen=not_seen, unknown_context=tuple(alternatives),
        )
    if unreadable and first.decision != "explicitDeny":
        missing = _permissions_of([*record.get("simulation_unavailable", ()), *unreadable])
        what = "; ".join(_describe(u) for u in unreadable)
        return PermissionDecision(
            action, resource, "unknown", "local",
            f"some of the principal's policies could not be read ({what}), so {action} on {resource} cannot be "
            "decided", missing=missing, not_seen=not_seen,
        )
    if first.decision == "unknown":
        used_unknown = tuple(k for k in unknown_keys if any(k.lower() in n.lower() for n in first.unsupported))
        return PermissionDecision(action, resource, "unknown", "local", first.reason, (), (),
                                  tuple(first.unsupported), not_seen, used_unknown)
    return PermissionDecision(action, resource, first.decision, "local", first.reason, deciding, not_seen=not_seen)


def decide(record: Mapping[str, Any], action: str, resource: str) -> PermissionDecision:
    """Decide one request of an access record: the simulation if it settles it, else the local evaluator."""
    principal = record.get("principal") or {}
    req = _find(record, action, resource)
    if req is None:
        return PermissionDecision(action, resource, "unknown", "none",
                                  f"{action} on {resource} was not among the requests collected")
    if simulation_settles(req, principal):
        decision = _from_simulation(req, principal)
        if decision.decision == "explicitDeny" and record.get("policies") is not None:
            local = _local(req, record)
            if local.decision == "explicitDeny" and local.deciding:
                # The same answer locally names the statements by Sid (or position) as well.
                return replace(decision, deciding=local.deciding + decision.deciding,
                               reason=f"{local.reason} (confirmed by iam:SimulatePrincipalPolicy)")
        return decision
    if record.get("policies") is not None:
        return _local(req, record)
    unavailable = list(record.get("simulation_unavailable", ()))
    if record.get("policies_unavailable"):
        unavailable.append(record["policies_unavailable"])
    missing = _permissions_of(unavailable)
    why = "; ".join(_describe(u) for u in unavailable) or "neither a simulation nor the policies were available"
    sim = req.get("simulation")
    if sim and not unavailable:
        unresolved = [k for k in sim.get("missing_context", ()) if key_status(k, req, principal) not in
                      ("known", "absent")]
        why = f"the simulation depends on context that could not be supplied ({', '.join(unresolved)})"
    return PermissionDecision(action, resource, "unknown", "none", f"cannot decide {action} on {resource}: {why}",
                              missing=missing, not_seen=_not_seen(principal, "local"))


def policy_json(document: Mapping[str, Any]) -> str:
    """A policy as compact JSON, for a command line."""
    return json.dumps(document, separators=(",", ":"))
