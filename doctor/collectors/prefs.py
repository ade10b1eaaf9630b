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
    """The Session Manager preferences document (ssm:GetDocument SSM-SessionManagerRunShell, JSON)."""
    resp = ctx.call(
        "ssm",
        "get_document",
        expect={"InvalidDocument": None},
        Name=PREFERENCES_DOCUMENT,
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
