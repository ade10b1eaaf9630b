"""Collectors for the account's Session Manager preferences in a region: the document, its KMS key and
its log destinations."""

from __future__ import annotations

from typing import Any

from doctor.facts import Context, Unavailable, UnavailableError, fact
from doctor.preferences import PREFERENCES_DOCUMENT, Preferences, preferences_or_none


def _preferences(ctx: Context) -> Preferences | None:
    return preferences_or_none(ctx.fact("session_preferences"))


def _with_permission(error: UnavailableError, permission: str) -> UnavailableError:
    """The same failure, naming the IAM action that really governs the call."""
    u = error.unavailable
    return UnavailableError(Unavailable(u.operation, u.code, u.message, permission))


@fact("session_preferences", scope="region")
def collect_session_preferences(ctx: Context) -> dict[str, Any]:
    """The Session Manager preferences document (ssm:GetDocument SSM-SessionManagerRunShell, JSON).

    Its newest version is read: ``update-document --document-version '$LATEST'``, the documented way to change
    the preferences, adds a version without making it the default, and sessions use the newest one.
    """
    resp = ctx.call(
        "ssm",
        "get_document",
        expect={"InvalidDocument": None},
        Name=PREFERENCES_DOCUMENT,
        DocumentVersion="$LATEST",
        DocumentFormat="JSON",
    )
    if resp is None:
        return {"exists": False, "name": PREFERENCES_DOCUMENT}
    return {
        "exists": True,
        "name": resp.get("Name", PREFERENCES_DOCUMENT),
        "document_version": resp.get("DocumentVersion"),
        "document_format": resp.get("DocumentFormat"),
        "document_type": resp.get("DocumentType"),
        "status": resp.get("Status"),
        "content": resp.get("Content", ""),
    }


_KEY_FIELDS = (
    "KeyId",
    "Arn",
    "AWSAccountId",
    "Enabled",
    "KeyState",
    "KeySpec",
    "KeyUsage",
    "KeyManager",
    "Origin",
    "DeletionDate",
    "MultiRegion",
    "Description",
)


@fact("kms_key", scope="region")
def collect_kms_key(ctx: Context) -> dict[str, Any] | None:
    """The preferences' KMS key (kms:DescribeKey) and its key policy (kms:GetKeyPolicy, "default").

    None when the preferences name no key. A key policy that cannot be read is recorded as
    unavailable inside the fact, so that the key's own state can still be judged.
    """
    prefs = _preferences(ctx)
    if prefs is None or not prefs.kms_key_id:
        return None
    requested = prefs.kms_key_id
    missing = {"NotFoundException": None, "InvalidArnException": None}
    resp = ctx.call("kms", "describe_key", expect=missing, KeyId=requested)
    if resp is None:
        return {"requested": requested, "found": False}
    metadata = resp.get("KeyMetadata", {})
    key: dict[str, Any] = {
        "requested": requested,
        "found": True,
        "metadata": {k: metadata[k] for k in _KEY_FIELDS if k in metadata},
        "policy": None,
    }
    try:
        policy = ctx.call("kms", "get_key_policy", KeyId=metadata.get("Arn") or requested, PolicyName="default")
        key["policy"] = policy.get("Policy")
    except UnavailableError as exc:
        key["policy_unavailable"] = exc.unavailable.to_json()
    return key


@fact("s3_log_bucket", scope="region")
def collect_s3_log_bucket(ctx: Context) -> dict[str, Any] | None:
    """The S3 bucket the preferences log to (s3:GetBucketLocation; s3:GetBucketEncryption when encryption
    is required). None when S3 logging is off."""
    prefs = _preferences(ctx)
    if prefs is None or not prefs.s3_bucket:
        return None
    bucket: dict[str, Any] = {"name": prefs.s3_bucket, "prefix": prefs.s3_prefix}
    location = ctx.call("s3", "get_bucket_location", expect={"NoSuchBucket": None}, Bucket=prefs.s3_bucket)
    if location is None:
        bucket["exists"] = False
        return bucket
    bucket["exists"] = True
    bucket["region"] = location.get("LocationConstraint") or "us-east-1"
    if prefs.s3_encryption:
        try:
            enc = ctx.call(
                "s3",
                "get_bucket_encryption",
                expect={"ServerSideEncryptionConfigurationNotFoundError": {}},
                Bucket=prefs.s3_bucket,
            )
        except UnavailableError as exc:
            raise _with_permission(exc, "s3:GetEncryptionConfiguration") from None
        rules = (enc.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        bucket["encryption_rules"] = [r.get("ApplyServerSideEncryptionByDefault", {}) for r in rules]
    return bucket


@fact("cloudwatch_log_group", scope="region")
def collect_cloudwatch_log_group(ctx: Context) -> dict[str, Any] | None:
    """The CloudWatch Logs log group the preferences log to (logs:DescribeLogGroups). None when that
    logging is off."""
    prefs = _preferences(ctx)
    if prefs is None or not prefs.cloudwatch_group:
        return None
    name = prefs.cloudwatch_group
    groups = ctx.paginate("logs", "describe_log_groups", "logGroups", logGroupNamePrefix=name)
    for group in groups:
        if group.get("logGroupName") == name:
            return {
                "name": name,
                "exists": True,
                "arn": group.get("logGroupArn") or str(group.get("arn", "")).removesuffix(":*"),
                "kms_key_id": group.get("kmsKeyId"),
            }
    return {"name": name, "exists": False}


# ---------------------------------------------------------------------------------------------------------------
# Who may use the key and write the logs (access records, see doctor.permissions)
# ---------------------------------------------------------------------------------------------------------------

#: A name shaped like a real session's, for resources that are named after the session.
EXAMPLE_SESSION = "ssm-doctor-0123456789abcdef0"


def _key_arn(ctx: Context) -> str | None:
    key = ctx.fact("kms_key")
    if not key or not key.get("found"):
        return None
    return str((key.get("metadata") or {}).get("Arn") or key.get("requested"))


def _kms_context(account: str) -> dict[str, str]:
    return {"kms:CallerAccount": account} if account else {}


@fact("caller_kms_access", scope="region")
def collect_caller_kms_access(ctx: Context) -> dict[str, Any] | None:
    """Whether the caller may kms:GenerateDataKey on the preferences' key (iam:SimulatePrincipalPolicy, or the
    caller's policies). None when there is no key."""
    from doctor import permissions as perm
    from doctor.collectors import iam

    key_arn = _key_arn(ctx)
    if key_arn is None:
        return None
    principal = ctx.fact("caller_principal")
    account = str(principal.get("account") or "")
    context = perm.request_context(
        {**principal, "principal_arn": principal.get("principal_arn")}, ctx.region, str(ctx.fact("now")), {},
        _kms_context(account),
    )
    requests = [perm.new_request("kms:GenerateDataKey", key_arn, context, True)]
    if principal.get("kind") not in ("user", "assumed-role"):
        return perm.access_record(principal, requests)
    return iam._access(ctx, principal, requests)


def _node_role(ctx: Context) -> dict[str, Any] | None:
    node_role = ctx.fact("node_role")
    role = node_role.get("role") or {}
    return role if role.get("exists") else None


@fact("role_kms_access:*", scope="local")
def collect_role_kms_access(ctx: Context) -> dict[str, Any] | None:
    """Whether a role (``REGION/ROLE``) may kms:Decrypt on that region's session key."""
    from doctor import permissions as perm
    from doctor.collectors import iam

    region, _, name = ctx.param.partition("/")
    key_arn = _key_arn(ctx)
    if key_arn is None:
        return None
    role = ctx.fact(f"iam_role:{name}")
    account = str(ctx.fact("credentials").get("account") or "")
    principal = iam._role_principal(role, account)
    context = perm.request_context(principal, region, str(ctx.fact("now")), {}, _kms_context(account))
    return iam._access(ctx, principal, [perm.new_request("kms:Decrypt", key_arn, context, True)])


@fact("node_kms_access", scope="target")
def collect_node_kms_access(ctx: Context) -> dict[str, Any] | None:
    """Whether the node's effective role may kms:Decrypt on the session key (shared by nodes with that role)."""
    role = _node_role(ctx)
    if role is None:
        return None
    value = ctx.fact(f"role_kms_access:{ctx.region}/{role['RoleName']}")
    return value if isinstance(value, dict) else None


def logging_requests(prefs: Preferences, region: str, account: str) -> list[tuple[str, str]]:
    """(action, resource) pairs the node's role needs to write the configured session logs."""
    wanted: list[tuple[str, str]] = []
    if prefs.s3_bucket:
        prefix = f"{prefs.s3_prefix}/" if prefs.s3_prefix else ""
        wanted.append(("s3:PutObject", f"arn:aws:s3:::{prefs.s3_bucket}/{prefix}{EXAMPLE_SESSION}.log"))
        wanted.append(("s3:GetEncryptionConfiguration", f"arn:aws:s3:::{prefs.s3_bucket}"))
    if prefs.cloudwatch_group:
        stream = (f"arn:aws:logs:{region}:{account}:log-group:{prefs.cloudwatch_group}:log-stream:"
                  f"{EXAMPLE_SESSION}")
        wanted.append(("logs:CreateLogStream", stream))
        wanted.append(("logs:PutLogEvents", stream))
    return wanted


@fact("role_logging_access:*", scope="local")
def collect_role_logging_access(ctx: Context) -> dict[str, Any] | None:
    """What a role (``REGION/ROLE``) may do on that region's session-log destinations. None without logging."""
    from doctor import permissions as perm
    from doctor.collectors import iam

    region, _, name = ctx.param.partition("/")
    prefs = _preferences(ctx)
    account = str(ctx.fact("credentials").get("account") or "")
    wanted = logging_requests(prefs, region, account) if prefs is not None else []
    if not wanted:
        return None
    role = ctx.fact(f"iam_role:{name}")
    principal = iam._role_principal(role, account)
    context = perm.request_context(principal, region, str(ctx.fact("now")), {})
    return iam._access(ctx, principal, [perm.new_request(a, r, context, True) for a, r in wanted])


@fact("node_logging_access", scope="target")
def collect_node_logging_access(ctx: Context) -> dict[str, Any] | None:
    """What the node's effective role may do on the session-log destinations (shared by nodes with that role)."""
    prefs = _preferences(ctx)
    if prefs is None or not (prefs.s3_bucket or prefs.cloudwatch_group):
        return None
    role = _node_role(ctx)
    if role is None:
        return None
    value = ctx.fact(f"role_logging_access:{ctx.region}/{role['RoleName']}")
    return value if isinstance(value, dict) else None
