"""Collectors for identities and permissions: the node's role, the caller, their policies and simulations.

IAM is global, so a role's, a user's and a managed policy's documents are keyed facts of scope ``local``
(``iam_role:NAME``, ``iam_user:NAME``, ``iam_managed_policy:ARN``, ``iam_policies:role/NAME``): a fleet reads
each of them once. Policy documents are parsed whether they arrive as JSON objects or as the URL-encoded JSON
text IAM returns.

Permission facts (``node_role_access``, ``caller_node_access``, ``caller_document_access``,
``caller_session_access``) are access records (see :mod:`doctor.permissions`): the requests with their
context, the result of ``iam:SimulatePrincipalPolicy`` for each, and -- only when the simulation cannot decide on
its own -- the principal's policies. A denied simulation is recorded, not fatal: the checks then evaluate the
policies locally.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote

from doctor import permissions as perm
from doctor.collectors.node import _service_setting
from doctor.facts import Context, Unavailable, UnavailableError, fact

DHMC_SETTING = "/ssm/managed-instance/default-ec2-instance-management-role"
PASSWORD_RESET_DOCUMENT = "AWS-PasswordReset"
UPDATE_AGENT_DOCUMENT = "AWS-UpdateSSMAgent"
#: What the node's role must allow for Session Manager (required), and the legacy channel (wanted).
NODE_REQUIRED_ACTIONS = (
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
NODE_WANTED_ACTIONS = (
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
)

T = TypeVar("T")


def parse_document(raw: Any) -> Any:
    """A policy document as a JSON object; IAM returns it URL-encoded. Unparseable text is returned as is."""
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, str):
        return raw
    for text in (raw, unquote(raw)):
        try:
            return json.loads(text)
        except ValueError:
            continue
    return raw


def _get(ctx: Context, name: str) -> Any:
    """Another fact, or its :class:`Unavailable` (not raised)."""
    return ctx.store.get(name, ctx.target, ctx.region)


def _account(ctx: Context) -> str:
    creds = ctx.fact("credentials")
    return str(creds.get("account") or "")


# ---------------------------------------------------------------------------------------------------------------
# IAM entities (keyed, read once per run)
# ---------------------------------------------------------------------------------------------------------------


@fact("iam_role:*", scope="local")
def collect_iam_role(ctx: Context) -> dict[str, Any]:
    """An IAM role by name (iam:GetRole): ARN, path, trust policy, tags, permissions boundary."""
    resp = ctx.call("iam", "get_role", expect={"NoSuchEntity": None}, RoleName=ctx.param)
    if resp is None:
        return {"RoleName": ctx.param, "exists": False}
    role = resp.get("Role", {})
    return {
        "exists": True,
        "RoleName": role.get("RoleName", ctx.param),
        "RoleId": role.get("RoleId"),
        "Arn": role.get("Arn"),
        "Path": role.get("Path", "/"),
        "AssumeRolePolicyDocument": parse_document(role.get("AssumeRolePolicyDocument")),
        "Tags": perm.tag_dict(role.get("Tags")),
        "PermissionsBoundaryArn": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
    }


@fact("iam_user:*", scope="local")
def collect_iam_user(ctx: Context) -> dict[str, Any]:
    """An IAM user by name (iam:GetUser): ARN, path, tags, permissions boundary."""
    resp = ctx.call("iam", "get_user", expect={"NoSuchEntity": None}, UserName=ctx.param)
    if resp is None:
        return {"UserName": ctx.param, "exists": False}
    user = resp.get("User", {})
    return {
        "exists": True,
        "UserName": user.get("UserName", ctx.param),
        "UserId": user.get("UserId"),
        "Arn": user.get("Arn"),
        "Path": user.get("Path", "/"),
        "Tags": perm.tag_dict(user.get("Tags")),
        "PermissionsBoundaryArn": (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
    }


@fact("iam_managed_policy:*", scope="local")
def collect_managed_policy(ctx: Context) -> dict[str, Any]:
    """A managed policy's default version (iam:GetPolicy, iam:GetPolicyVersion); AWS-managed ones too."""
    arn = ctx.param
    policy = ctx.call("iam", "get_policy", PolicyArn=arn).get("Policy", {})
    version = str(policy.get("DefaultVersionId", "v1"))
    doc = ctx.call("iam", "get_policy_version", PolicyArn=arn, VersionId=version).get("PolicyVersion", {})
    return {
        "arn": arn,
        "name": policy.get("PolicyName") or arn.rsplit("/", 1)[-1],
        "version": version,
        "aws_managed": arn.split(":")[4:5] == ["aws"],
        "document": parse_document(doc.get("Document")),
    }


class _Reader:
    """Reads what it can and records what it could not."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.unreadable: list[dict[str, str]] = []

    def attempt(self, func: Callable[[], T]) -> T | None:
        try:
            return func()
        except UnavailableError as exc:
            self.unreadable.append(exc.unavailable.to_json())
            return None

    def call(self, operation: str, **params: Any) -> Any:
        return self.attempt(lambda: self.ctx.call("iam", operation, **params))

    def fact(self, name: str) -> Any:
        value = _get(self.ctx, name)
        if isinstance(value, Unavailable):
            self.unreadable.append(value.to_json())
            return None
        return value

    def managed(self, arn: str, attached_to: str) -> dict[str, Any] | None:
        value = self.fact(f"iam_managed_policy:{arn}")
        if value is None:
            return None
        kind = "aws-managed" if value.get("aws_managed") else "managed"
        return {"name": value["name"], "type": kind, "arn": arn, "attached_to": attached_to,
                "document": value["document"]}

    def inline(self, kind: str, owner: str, list_op: str, get_op: str, label: str) -> list[dict[str, Any]]:
        key = {"role": "RoleName", "user": "UserName", "group": "GroupName"}[kind]
        names = self.attempt(lambda: self.ctx.paginate("iam", list_op, "PolicyNames", **{key: owner})) or []
        out = []
        for name in names:
            resp = self.call(get_op, **{key: owner, "PolicyName": name})
            if resp is not None:
                out.append({"name": label.format(name=name), "type": "inline", "attached_to": f"{kind}/{owner}",
                            "document": parse_document(resp.get("PolicyDocument"))})
        return out

    def attached(self, kind: str, owner: str, list_op: str) -> list[dict[str, Any]]:
        key = {"role": "RoleName", "user": "UserName", "group": "GroupName"}[kind]
        items = self.attempt(lambda: self.ctx.paginate("iam", list_op, "AttachedPolicies", **{key: owner})) or []
        out = []
        for item in items:
            policy = self.managed(str(item.get("PolicyArn")), f"{kind}/{owner}")
            if policy is not None:
                out.append(policy)
        return out


@fact("iam_policies:*", scope="local")
def collect_iam_policies(ctx: Context) -> dict[str, Any]:
    """A role's or user's policies (``role/NAME``, ``user/NAME``): inline, attached, groups', boundary."""
    kind, _, name = ctx.param.partition("/")
    reader = _Reader(ctx)
    policies: list[dict[str, Any]] = []
    boundary_arn: str | None = None
    if kind == "role":
        role = reader.fact(f"iam_role:{name}")
        if role is not None:
            boundary_arn = role.get("PermissionsBoundaryArn")
        policies += reader.inline("role", name, "list_role_policies", "get_role_policy", "{name}")
        policies += reader.attached("role", name, "list_attached_role_policies")
    elif kind == "user":
        user = reader.fact(f"iam_user:{name}")
        if user is not None:
            boundary_arn = user.get("PermissionsBoundaryArn")
        policies += reader.inline("user", name, "list_user_policies", "get_user_policy", "{name}")
        policies += reader.attached("user", name, "list_attached_user_policies")
        groups = reader.attempt(lambda: ctx.paginate("iam", "list_groups_for_user", "Groups", UserName=name)) or []
        for group in groups:
            gname = str(group.get("GroupName"))
            policies += reader.inline("group", gname, "list_group_policies", "get_group_policy",
                                      "{name} (group " + gname + ")")
            policies += reader.attached("group", gname, "list_attached_group_policies")
    else:
        raise UnavailableError(Unavailable("iam_policies", "UnsupportedPrincipal", f"cannot read {ctx.param!r}"))
    boundary = reader.managed(boundary_arn, ctx.param) if boundary_arn else None
    if boundary is not None:
        boundary["type"] = "permissions-boundary"
    # The same managed policy attached twice (user and group) is one policy.
    unique = list({(p.get("arn") or f"{p['attached_to']}:{p['name']}"): p for p in policies}.values())
    return {"principal": ctx.param, "policies": unique, "boundary": boundary, "unreadable": reader.unreadable}


# ---------------------------------------------------------------------------------------------------------------
# Simulation and access records
# ---------------------------------------------------------------------------------------------------------------


def _simulate(ctx: Context, record: dict[str, Any]) -> None:
    """Simulate every request of the record, one call per resource and context; stop at the first failure."""
    source = record["principal"].get("principal_arn")
    if not source:
        return
    groups: dict[str, list[dict[str, Any]]] = {}
    for req in record["requests"]:
        key = json.dumps([req["resource"], req["context"]], sort_keys=True)
        groups.setdefault(key, []).append(req)
    for reqs in groups.values():
        params: dict[str, Any] = {
            "PolicySourceArn": source,
            "ActionNames": list(dict.fromkeys(r["action"] for r in reqs)),
            "ContextEntries": perm.context_entries(reqs[0]["context"]),
        }
        if reqs[0]["resource"] != "*":
            params["ResourceArns"] = [reqs[0]["resource"]]
        try:
            results = ctx.paginate("iam", "simulate_principal_policy", "EvaluationResults", **params)
        except UnavailableError as exc:
            record["simulation_unavailable"].append(exc.unavailable.to_json())
            return
        perm.attach_simulation(reqs, perm.normalise_simulation(results))


def _access(ctx: Context, principal: Mapping[str, Any], requests: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An access record: simulated, and with the principal's policies when the simulation cannot decide."""
    record = perm.access_record(principal, requests)
    _simulate(ctx, record)
    key = principal.get("policies_key")
    settled = all(perm.simulation_settles(r, record["principal"]) for r in record["requests"])
    if principal.get("user_missing") and not settled:
        # IAM has no such user and the simulation did not answer for it either: nothing to evaluate.
        record["principal"]["kind"] = "other"
        return record
    # An explicit deny is explained by its statement's Sid, which only the policies themselves carry.
    denied = any((r.get("simulation") or {}).get("decision") == "explicitDeny" for r in record["requests"])
    if key and (not settled or denied):
        policies = _get(ctx, f"iam_policies:{key}")
        if isinstance(policies, Unavailable):
            record["policies_unavailable"] = policies.to_json()
        else:
            record["policies"] = policies
    return record


# ---------------------------------------------------------------------------------------------------------------
# The node's identity
# ---------------------------------------------------------------------------------------------------------------


@fact("instance_profile", scope="target")
def collect_instance_profile(ctx: Context) -> dict[str, Any] | None:
    """The instance profile associated with the EC2 instance and its roles (iam:GetInstanceProfile)."""
    instance = ctx.fact("ec2_instance")
    association = (instance or {}).get("IamInstanceProfile") or {}
    arn = str(association.get("Arn") or "")
    if not arn:
        return None
    name = arn.rsplit("/", 1)[-1]
    resp = ctx.call("iam", "get_instance_profile", expect={"NoSuchEntity": None}, InstanceProfileName=name)
    if resp is None:
        return {"name": name, "arn": arn, "exists": False, "roles": []}
    profile = resp.get("InstanceProfile", {})
    roles = [{k: r.get(k) for k in ("RoleName", "Arn", "Path")} for r in profile.get("Roles", [])]
    return {"name": profile.get("InstanceProfileName", name), "arn": profile.get("Arn", arn), "exists": True,
            "roles": roles}


@fact("dhmc_setting", scope="region")
def collect_dhmc_setting(ctx: Context) -> dict[str, Any]:
    """Default Host Management Configuration's role in this region (ssm:GetServiceSetting)."""
    return _service_setting(ctx, DHMC_SETTING)


def dhmc_role_name(setting_value: str | None) -> str | None:
    """The role a DHMC setting names (``service-role/NAME`` or ``NAME``), or None when it is off."""
    value = (setting_value or "").strip()
    if not value or value == "$None":
        return None
    return value.rstrip("/").rsplit("/", 1)[-1]


@fact("node_role", scope="target")
def collect_node_role(ctx: Context) -> dict[str, Any]:
    """The node's effective IAM role and how it was found: instance profile, DHMC, or hybrid activation."""
    assert ctx.target is not None
    data: dict[str, Any] = {"source": None, "role_name": None, "role": None}
    if ctx.target.kind == "hybrid":
        info = ctx.fact("instance_info")
        data["source"] = "activation"
        data["registered"] = info is not None
        iam_role = str((info or {}).get("IamRole") or "")
        data["activation_id"] = (info or {}).get("ActivationId")
        data["role_name"] = iam_role.rsplit("/", 1)[-1] or None
        data["how"] = (f"the role of the node's hybrid activation ({iam_role})" if iam_role
                       else "the node's registration names no activation role")
    else:
        instance = ctx.fact("ec2_instance") or {}
        data["metadata_options"] = instance.get("MetadataOptions") or {}
        profile = ctx.fact("instance_profile")
        data["profile"] = profile
        if profile is not None:
            data["source"] = "instance-profile"
            roles = profile.get("roles") or []
            data["role_name"] = roles[0]["RoleName"] if roles else None
            data["how"] = f"instance profile {profile['name']}" + (f" (role {data['role_name']})"
                                                                    if data["role_name"] else "")
        else:
            setting = ctx.fact("dhmc_setting")
            data["dhmc"] = setting
            name = dhmc_role_name(setting.get("SettingValue"))
            if name:
                data["source"] = "dhmc"
                data["role_name"] = name
                data["how"] = f"Default Host Management Configuration ({setting.get('SettingValue')})"
            else:
                data["how"] = "no instance profile, and Default Host Management Configuration is off"
    if data["role_name"]:
        data["role"] = ctx.fact(f"iam_role:{data['role_name']}")
    return data


@fact("node_tags", scope="target")
def collect_node_tags(ctx: Context) -> dict[str, str]:
    """The node's tags: the EC2 instance's, or a hybrid node's (ssm:ListTagsForResource)."""
    assert ctx.target is not None
    if ctx.target.kind == "ec2":
        return perm.tag_dict((ctx.fact("ec2_instance") or {}).get("Tags"))
    resp = ctx.call("ssm", "list_tags_for_resource", ResourceType="ManagedInstance", ResourceId=ctx.target.id)
    return perm.tag_dict(resp.get("TagList"))


def _role_principal(role: Mapping[str, Any], account: str) -> dict[str, Any]:
    return {
        "kind": "role",
        "arn": role.get("Arn"),
        "principal_arn": role.get("Arn"),
        "account": account,
        "name": role.get("RoleName"),
        "tags": role.get("Tags") or {},
        "tags_known": True,
        "policies_key": f"role/{role.get('RoleName')}",
    }


@fact("role_channel_access:*", scope="local")
def collect_role_channel_access(ctx: Context) -> dict[str, Any]:
    """What a role (``REGION/ROLE``) may do on the Session Manager channels (not node-specific, so shared)."""
    region, _, name = ctx.param.partition("/")
    role = ctx.fact(f"iam_role:{name}")
    principal = _role_principal(role, _account(ctx))
    context = perm.request_context(principal, region, str(ctx.fact("now")), {})
    requests = [perm.new_request(a, "*", context, True) for a in NODE_REQUIRED_ACTIONS[1:] + NODE_WANTED_ACTIONS]
    return _access(ctx, principal, requests)


@fact("node_role_access", scope="target")
def collect_node_role_access(ctx: Context) -> dict[str, Any] | None:
    """What the node's role may do: ssm:UpdateInstanceInformation on the node, the channel actions."""
    assert ctx.target is not None
    node_role = ctx.fact("node_role")
    role = node_role.get("role") or {}
    if not role.get("exists"):
        return None
    account = _account(ctx)
    principal = _role_principal(role, account)
    arn = perm.node_arn(ctx.target.id, ctx.target.region, account)
    tags = _get(ctx, "node_tags")
    extra = {"ec2:SourceInstanceARN": arn} if ctx.target.kind == "ec2" else {}
    context = perm.request_context(principal, ctx.target.region, str(ctx.fact("now")),
                                   None if isinstance(tags, Unavailable) else tags, extra)
    node = _access(ctx, principal, [perm.new_request(NODE_REQUIRED_ACTIONS[0], arn, context,
                                                     not isinstance(tags, Unavailable))])
    channels = ctx.fact(f"role_channel_access:{ctx.target.region}/{role['RoleName']}")
    return perm.merge_records(node, channels)


# ---------------------------------------------------------------------------------------------------------------
# The caller
# ---------------------------------------------------------------------------------------------------------------


@fact("caller_principal", scope="local")
def collect_caller_principal(ctx: Context) -> dict[str, Any]:
    """Who the caller is in IAM terms: the IAM user, the role behind an assumed-role session, or why not."""
    creds = ctx.fact("credentials")
    if not creds.get("ok"):
        raise UnavailableError(Unavailable("sts:GetCallerIdentity", str(creds.get("error_code") or "NoCredentials"),
                                           str(creds.get("message") or ""), "sts:GetCallerIdentity"))
    arn = str(creds.get("arn") or "")
    parsed = perm.parse_caller_arn(arn)
    data: dict[str, Any] = {"kind": parsed.kind, "caller_arn": arn, "account": parsed.account or creds.get("account"),
                            "name": parsed.name, "user_id": creds.get("user_id"), "tags": {}, "tags_known": False}
    if parsed.kind == "user":
        iam_arn = f"arn:{parsed.partition}:iam::{parsed.account}:user{parsed.path}{parsed.name}"
        data.update(arn=iam_arn, principal_arn=iam_arn, policies_key=f"user/{parsed.name}")
        user = _get(ctx, f"iam_user:{parsed.name}")
        if isinstance(user, Unavailable):
            data["lookup"] = user.to_json()
        elif user.get("exists"):
            data.update(arn=user["Arn"], principal_arn=user["Arn"], tags=user.get("Tags") or {}, tags_known=True)
        else:
            # IAM itself should know every user who can call it; a simulation that still answers for this one
            # decides, and without one there is nothing to evaluate (see _access).
            data.update(policies_key=None, user_missing=True,
                        why=f"the IAM user {parsed.name} does not exist in account {parsed.account}")
    elif parsed.kind == "assumed-role":
        data.update(arn=arn, session=parsed.session, role_name=parsed.name, policies_key=f"role/{parsed.name}",
                    principal_arn=f"arn:{parsed.partition}:iam::{parsed.account}:role/{parsed.name}")
        role = _get(ctx, f"iam_role:{parsed.name}")
        if isinstance(role, Unavailable):
            data.update(lookup=role.to_json(), principal_arn_guessed=True)
        elif not role.get("exists"):
            data.update(kind="other", why=f"the role {parsed.name} behind the session no longer exists")
        else:
            path = str(role.get("Path") or "/")
            data.update(principal_arn=role["Arn"], role_path=path, sso=path.startswith(perm.SSO_ROLE_PATH),
                        tags=role.get("Tags") or {}, tags_known=True)
            if path.startswith(perm.SERVICE_LINKED_ROLE_PATH):
                data.update(kind="other", why=f"{parsed.name} is a service-linked role: AWS manages its "
                                              "permissions for a service, and a person does not reset passwords "
                                              "with it")
    elif parsed.kind == "federated-user":
        data["why"] = ("a federated user's permissions are those of the IAM user who called "
                       "sts:GetFederationToken, limited by the session policy passed then, which cannot be read")
    elif parsed.kind == "other":
        data["why"] = f"{arn} is not an IAM user, an assumed role or the root user"
    return data


def _evaluable(principal: Mapping[str, Any]) -> bool:
    return principal.get("kind") in ("user", "assumed-role")


@fact("caller_node_access", scope="target")
def collect_caller_node_access(ctx: Context) -> dict[str, Any]:
    """What the caller may do on the node: ssm:SendCommand and ssm:StartSession (with the node's tags)."""
    assert ctx.target is not None
    principal = ctx.fact("caller_principal")
    account = str(principal.get("account") or _account(ctx))
    arn = perm.node_arn(ctx.target.id, ctx.target.region, account)
    tags: Any = _get(ctx, "node_tags") if _evaluable(principal) else {}
    known = not isinstance(tags, Unavailable)
    context = perm.request_context(principal, ctx.target.region, str(ctx.fact("now")), tags if known else None)
    requests = [perm.new_request(a, arn, context, known) for a in ("ssm:SendCommand", "ssm:StartSession")]
    if not _evaluable(principal):
        return perm.access_record(principal, requests)
    record = _access(ctx, principal, requests)
    if isinstance(tags, Unavailable):
        record["tags_unavailable"] = tags.to_json()
    return record


@fact("caller_document_access", scope="region")
def collect_caller_document_access(ctx: Context) -> dict[str, Any]:
    """What the caller may do with AWS-PasswordReset (StartSession) and AWS-UpdateSSMAgent (SendCommand)."""
    principal = ctx.fact("caller_principal")
    context = perm.request_context(principal, ctx.region, str(ctx.fact("now")), {})
    requests = [
        perm.new_request("ssm:StartSession", perm.aws_document_arn(PASSWORD_RESET_DOCUMENT, ctx.region), context,
                         True),
        perm.new_request("ssm:SendCommand", perm.aws_document_arn(UPDATE_AGENT_DOCUMENT, ctx.region), context,
                         True),
    ]
    if not _evaluable(principal):
        return perm.access_record(principal, requests)
    return _access(ctx, principal, requests)


@fact("caller_session_access", scope="region")
def collect_caller_session_access(ctx: Context) -> dict[str, Any]:
    """Whether the caller may end its own sessions (ssm:TerminateSession on one of them)."""
    principal = ctx.fact("caller_principal")
    account = str(principal.get("account") or _account(ctx))
    extra = {}
    if principal.get("user_id"):
        extra["ssm:resourceTag/aws:ssmmessages:session-id"] = str(principal["user_id"])
    context = perm.request_context(principal, ctx.region, str(ctx.fact("now")), {}, extra)
    requests = [perm.new_request("ssm:TerminateSession", perm.session_arn(principal, ctx.region, account), context,
                                 True)]
    if not _evaluable(principal):
        return perm.access_record(principal, requests)
    return _access(ctx, principal, requests)
