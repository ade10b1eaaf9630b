"""Checks on the account's Session Manager preferences in the node's region: the document, KMS session
encryption and its key, who may use the key, and the session-log destinations."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

from checks.problems import doc
from doctor.engine import check
from doctor.facts import Target
from doctor.iam import Decision, Policy, Request, evaluate_kms, least_privilege_policy
from doctor.model import Outcome, failed, fix, passed, unknown, warned
from doctor.permissions import condition_keys, decide, policy_json
from doctor.preferences import PREFERENCES_DOCUMENT, Preferences, PreferencesError, parse_preferences

KMS_KEY_POLICY_DOC = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
PREFS_FILE = "SessionManagerRunShell.json"
SUGGESTED_ALIAS = "alias/session-manager"

# Session Manager's own defaults, used as the base when no preferences document exists yet.
DEFAULT_INPUTS: dict[str, Any] = {
    "s3BucketName": "",
    "s3KeyPrefix": "",
    "s3EncryptionEnabled": True,
    "cloudWatchLogGroupName": "",
    "cloudWatchEncryptionEnabled": True,
    "cloudWatchStreamingEnabled": False,
    "kmsKeyId": "",
    "runAsEnabled": False,
    "runAsDefaultUser": "",
    "idleSessionTimeout": "20",
    "maxSessionDuration": "",
    "shellProfile": {"windows": "", "linux": ""},
}


def _prefs(session_preferences: Mapping[str, Any]) -> Preferences:
    return parse_preferences(session_preferences)


def preferences_file_command(session_preferences: Mapping[str, Any], **changes: Any) -> str:
    """A shell command writing the preferences file: the current settings with ``changes`` applied."""
    document: dict[str, Any]
    try:
        document = json.loads(str(session_preferences.get("content") or ""))
        if not isinstance(document, dict) or not isinstance(document.get("inputs", {}), dict):
            raise ValueError("not a preferences document")
    except ValueError:
        document = {}
    if not document:
        document = {
            "schemaVersion": "1.0",
            "description": "Document to hold regional settings for Session Manager",
            "sessionType": "Standard_Stream",
            "inputs": dict(DEFAULT_INPUTS),
        }
    document.setdefault("inputs", {})
    document["inputs"].update(changes)
    return f"cat > {PREFS_FILE} <<'EOF'\n{json.dumps(document, indent=2)}\nEOF"


def preferences_update_commands(session_preferences: Mapping[str, Any], region: str) -> list[str]:
    """Save ``PREFS_FILE`` as the preferences: update (and make default) or create the document."""
    if session_preferences.get("exists"):
        return [
            f"aws ssm update-document --name {PREFERENCES_DOCUMENT} --content file://{PREFS_FILE} "
            f"--document-format JSON --document-version '$LATEST' --region {region}",
            f"aws ssm update-document-default-version --name {PREFERENCES_DOCUMENT} --document-version "
            f"$(aws ssm describe-document --name {PREFERENCES_DOCUMENT} --query Document.LatestVersion "
            f"--output text --region {region}) --region {region}",
        ]
    return [
        f"aws ssm create-document --name {PREFERENCES_DOCUMENT} --document-type Session --document-format JSON "
        f"--content file://{PREFS_FILE} --region {region}",
    ]


# ---------------------------------------------------------------------------------------- prefs.document


@check(
    "prefs.document",
    title="Session Manager preferences are readable and valid",
    requires=("local.credentials",),
    problem="session-manager-error",
    doc=doc("session-manager-schema"),
)
def prefs_document(session_preferences: dict[str, Any], target: Target) -> Outcome:
    region = target.region
    if not session_preferences.get("exists"):
        return passed(
            f"No Session Manager preferences are saved in {region}: AWS defaults apply (no KMS encryption of "
            "session data, no session logging)",
            {"document": PREFERENCES_DOCUMENT, "exists": False, "region": region},
        )
    evidence: dict[str, Any] = {
        "document": PREFERENCES_DOCUMENT,
        "exists": True,
        "region": region,
        "document_version": session_preferences.get("document_version"),
        "status": session_preferences.get("status"),
    }
    try:
        prefs = _prefs(session_preferences)
    except PreferencesError as exc:
        evidence["error"] = str(exc)
        return failed(
            f"The Session Manager preferences in {region} cannot be read: {exc}",
            evidence,
            fix(
                "Session Manager cannot apply preferences it cannot parse. Look at the document, then save it again "
                "as a JSON object whose inputs use true/false for the encryption, streaming and Run As flags.",
                "The schema of the document is on the linked page.",
                commands=[
                    f"aws ssm get-document --name {PREFERENCES_DOCUMENT} --document-version '$LATEST' "
                    f"--document-format JSON --query Content --output text --region {region}",
                    preferences_file_command({}),
                    *preferences_update_commands(session_preferences, region),
                ],
            ),
        )
    evidence.update(prefs.summary())
    status = session_preferences.get("status")
    if status and status != "Active":
        return warned(
            f"The Session Manager preferences in {region} are {status}, not Active",
            evidence,
            fix("Wait for the document to become Active; if it stays in this state, update it again.",
                commands=[f"aws ssm describe-document --name {PREFERENCES_DOCUMENT} --region {region}"]),
        )
    return passed(f"Session Manager preferences in {region} are valid (version {prefs.document_version})", evidence)


# ---------------------------------------------------------------------------------------- prefs.kms


@check(
    "prefs.kms",
    title="Session data is encrypted with a KMS key",
    requires=("prefs.document",),
    problem="kms-encryption-required",
    doc=doc("session-preferences-enable-encryption"),
)
def prefs_kms(session_preferences: dict[str, Any], target: Target) -> Outcome:
    prefs = _prefs(session_preferences)
    region = target.region
    evidence = {"region": region, "document_exists": prefs.exists, "kmsKeyId": prefs.kms_key_id}
    if prefs.kms_key_id:
        return passed(f"Session data in {region} is encrypted with KMS key {prefs.kms_key_id}", evidence)
    where = "the Session Manager preferences name no KMS key" if prefs.exists else (
        "no Session Manager preferences are saved, and the defaults do not encrypt with KMS")
    return failed(
        f"Password reset needs KMS encryption of session data, but in {region} {where}",
        evidence,
        fix(
            f"Pick a symmetric encryption KMS key in {region} (the first two commands create one with the alias "
            f"{SUGGESTED_ALIAS}; skip them to use a key you already have).",
            "Write the preferences with kmsKeyId set — the file below keeps every other current setting — and save "
            "them as the new default version.",
            "The caller then needs kms:GenerateDataKey and the node's role kms:Decrypt on that key.",
            f"Or let ssm-doctor make the change: ssm-doctor fix {target.id} --kms-key {SUGGESTED_ALIAS} --apply",
            commands=[
                f"KEY_ID=$(aws kms create-key --description 'Session Manager session encryption' "
                f"--key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT --query KeyMetadata.KeyId --output text "
                f"--region {region})",
                f'aws kms create-alias --alias-name {SUGGESTED_ALIAS} --target-key-id "$KEY_ID" --region {region}',
                preferences_file_command(session_preferences, kmsKeyId=SUGGESTED_ALIAS),
                *preferences_update_commands(session_preferences, region),
                f"ssm-doctor fix {target.id} --kms-key {SUGGESTED_ALIAS} --apply --region {region}",
            ],
        ),
    )


# ---------------------------------------------------------------------------------------- kms.key


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _aws_principals(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, Mapping):
        return [str(p) for p in _as_list(principal.get("AWS"))]
    return []


def _action_covers(statement: Mapping[str, Any], action: str) -> bool:
    from fnmatch import fnmatchcase

    actions = _as_list(statement.get("Action"))
    return any(fnmatchcase(action.lower(), str(a).lower()) for a in actions)


def key_policy_summary(policy_text: str | None, account: str) -> dict[str, Any]:
    """How a key policy grants use of the key: delegation to IAM (account root) and principals named directly."""
    if not policy_text:
        return {"readable": False}
    try:
        policy = json.loads(policy_text)
    except ValueError as exc:
        return {"readable": False, "error": f"not valid JSON: {exc}"}
    statements = _as_list(policy.get("Statement") if isinstance(policy, Mapping) else None)
    root = {f"arn:aws:iam::{account}:root", account} if account else set()
    delegating: list[str] = []
    direct: dict[str, list[str]] = {}
    for index, st in enumerate(statements):
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        label = str(st.get("Sid") or f"#{index + 1}")
        principals = _aws_principals(st)
        uses = [a for a in ("kms:GenerateDataKey", "kms:Decrypt") if _action_covers(st, a)]
        if not uses:
            continue
        if any(p in root or (p.startswith("arn:aws") and p.endswith(":root")) for p in principals):
            delegating.append(label)
        for p in principals:
            if p not in root and not p.endswith(":root"):
                direct.setdefault(p, []).extend(uses)
    return {
        "readable": True,
        "delegates_to_iam": bool(delegating),
        "delegating_statements": delegating,
        "principals_named": {p: sorted(set(a)) for p, a in direct.items()},
    }


def _policy_sentence(summary: Mapping[str, Any]) -> str:
    if summary.get("delegates_to_iam"):
        text = ("its key policy lets IAM policies in the account grant use of it (statement "
                f"{', '.join(summary['delegating_statements'])})")
        if summary.get("principals_named"):
            text += f" and also names {len(summary['principals_named'])} principal(s) directly"
        return text
    named = summary.get("principals_named") or {}
    if named:
        return (f"its key policy does not defer to IAM; it names {len(named)} principal(s) directly, and only "
                "those may use the key")
    return "its key policy neither defers to IAM nor names anyone who may use the key for encryption"


@check(
    "kms.key",
    title="The KMS key exists, is enabled and symmetric",
    requires=("prefs.kms",),
    problem="kms-encryption-required",
    doc=doc("session-preferences-enable-encryption"),
)
def kms_key(kms_key: dict[str, Any] | None, credentials: dict[str, Any], target: Target) -> Outcome:
    region = target.region
    if kms_key is None:
        return unknown("The preferences name a KMS key, but it was not looked up", evidence={"region": region})
    requested = str(kms_key.get("requested"))
    if not kms_key.get("found"):
        return failed(
            f"KMS key {requested}, named in the Session Manager preferences, does not exist in {region}",
            {"requested": requested, "region": region},
            fix(
                "Point the preferences at an existing symmetric encryption key in this region (an id, alias/NAME or "
                "ARN; a key in another account must be given by ARN), or create the key or alias that is named.",
                commands=[f"aws kms list-aliases --region {region}"],
            ),
        )
    meta = kms_key.get("metadata") or {}
    arn = str(meta.get("Arn") or requested)
    account = str(meta.get("AWSAccountId") or credentials.get("account") or "")
    evidence: dict[str, Any] = {
        "requested": requested,
        "key_arn": arn,
        "key_state": meta.get("KeyState"),
        "key_spec": meta.get("KeySpec"),
        "key_usage": meta.get("KeyUsage"),
        "key_manager": meta.get("KeyManager"),
        "key_account": account,
    }
    state = meta.get("KeyState")
    if state != "Enabled" or meta.get("Enabled") is False:
        commands = [f"aws kms enable-key --key-id {arn} --region {region}"]
        if state == "PendingDeletion":
            commands.insert(0, f"aws kms cancel-key-deletion --key-id {arn} --region {region}")
        steps = ["Session Manager cannot encrypt sessions with a key that is not enabled."]
        if state in ("Disabled", "PendingDeletion"):
            steps.append("Enable the key again (cancelling its scheduled deletion first, if any), or point the "
                         "preferences at another key.")
        else:
            steps.append(f"A key in state {state} cannot be used until that state ends; pick another key meanwhile.")
            commands = [f"aws kms describe-key --key-id {arn} --region {region}"]
        return failed(f"KMS key {arn} is {state or 'not enabled'}", evidence, fix(*steps, commands=commands))
    # KMS's defaults when a key is created without them: a symmetric encryption key.
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = meta.get("KeyUsage") or "ENCRYPT_DECRYPT"
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return failed(
            f"KMS key {arn} is {spec} for {usage}; Session Manager needs a symmetric encryption key "
            "(SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)",
            evidence,
            fix("Create a symmetric encryption key and name it in the preferences.",
                commands=[f"aws kms create-key --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT "
                          f"--description 'Session Manager session encryption' --region {region}"]),
        )
    if kms_key.get("policy") is None:
        unavailable = kms_key.get("policy_unavailable") or {}
        evidence["key_policy"] = {"readable": False, "unavailable": unavailable}
        permission = unavailable.get("permission") or "kms:GetKeyPolicy"
        return warned(
            f"KMS key {arn} is enabled and symmetric, but its key policy could not be read ({permission} "
            f"{'was denied' if unavailable else 'failed'}), so who may use it is not known",
            evidence,
            fix(f"Allow {permission} on the key for the identity running ssm-doctor to have the key policy checked.",
                commands=[f"aws kms get-key-policy --key-id {arn} --policy-name default --region {region}"]),
        )
    summary = key_policy_summary(str(kms_key["policy"]), account)
    evidence["key_policy"] = summary
    if not summary.get("readable"):
        return warned(f"KMS key {arn} is enabled and symmetric, but its key policy could not be parsed "
                      f"({summary.get('error')})", evidence,
                      fix("Review the key policy.",
                          commands=[f"aws kms get-key-policy --key-id {arn} --policy-name default "
                                    f"--region {region}"]))
    return passed(f"KMS key {arn} is enabled and symmetric; {_policy_sentence(summary)}", evidence)


# ---------------------------------------------------------------------------------------------- KMS permissions

#: Stands for "IAM allows it" when working out what the key policy alone says.
_IAM_ALLOWS = "ssm-doctor: IAM allows the request"
KMS_NOT_SEEN = "KMS grants on the key"


def _key_policy_standing(action: str, key_arn: str, key_policy: Mapping[str, Any], principal_arn: str,
                         account: str, context: Mapping[str, Any]) -> tuple[str, Decision]:
    """What the key policy says for this principal: ``direct``, ``delegates``, ``delegates-or-direct``, ``deny``,
    ``none`` or ``unknown``.

    The key policy is evaluated twice: once with no identity policy (does it grant by itself?) and once with an
    identity policy that allows the request (does it defer to IAM?). An explicit deny in the key policy shows in
    both. ``delegates-or-direct`` is a key policy that certainly defers to IAM and may also grant by itself
    under conditions that cannot be evaluated (``aws:PrincipalOrgID``, ``kms:ViaService`` …): when IAM allows,
    that does not matter.
    """
    keys = condition_keys([key_policy])
    request_ctx = {k: v for k, v in context.items() if isinstance(v, str)}
    unknown_keys = tuple(k for k in keys if k.lower() not in {c.lower() for c in request_ctx})
    request = Request(action, key_arn, request_ctx, principal_arn=principal_arn or None,
                      principal_account=account or None, unknown_keys=unknown_keys)
    policy = Policy("key policy", key_policy, "resource")
    alone = evaluate_kms(request, [], policy, account)
    allow_all = Policy(_IAM_ALLOWS, {"Version": "2012-10-17",
                                     "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
    with_iam = evaluate_kms(request, [allow_all], policy, account)
    if alone.decision == "explicitDeny":
        return "deny", alone
    if alone.allowed:
        return "direct", alone
    if with_iam.decision == "unknown":
        return "unknown", with_iam
    if with_iam.allowed:
        return ("delegates-or-direct" if alone.decision == "unknown" else "delegates"), with_iam
    if alone.decision == "unknown":
        return "unknown", alone
    return "none", alone


def _why(reason: str) -> str:
    """A reason without the evaluator's own "cannot decide X:" prefix."""
    if reason.lower().startswith("cannot decide") and ": " in reason:
        return reason.split(": ", 1)[1]
    return reason


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _names(decision: Decision) -> str:
    return ", ".join(_labels(decision)) or "no statement"


def _labels(decision: Decision) -> list[str]:
    return [ref.label() for ref in decision.deciding if ref.policy != _IAM_ALLOWS]


def _policy_command(principal: Mapping[str, Any], policy_name: str, document: Mapping[str, Any]) -> str:
    text = shlex.quote(policy_json(document))
    if principal.get("kind") == "user":
        return f"aws iam put-user-policy --user-name {principal.get('name')} --policy-name {policy_name} " \
               f"--policy-document {text}"
    role = principal.get("role_name") or principal.get("name")
    return f"aws iam put-role-policy --role-name {role} --policy-name {policy_name} --policy-document {text}"


def _key_policy_commands(key_arn: str, region: str, statement: Mapping[str, Any]) -> list[str]:
    return [
        f"aws kms get-key-policy --key-id {key_arn} --policy-name default --query Policy --output text "
        f"--region {region} > key-policy.json",
        f"jq --argjson st {shlex.quote(json.dumps(statement, separators=(',', ':')))} '.Statement += [$st]' "
        "key-policy.json > key-policy.new.json",
        f"aws kms put-key-policy --key-id {key_arn} --policy-name default --policy file://key-policy.new.json "
        f"--region {region}",
    ]


def _kms_permission(
    who: str,
    record: Mapping[str, Any],
    action: str,
    kms_key: Mapping[str, Any],
    region: str,
    policy_name: str,
) -> Outcome:
    """Decide ``action`` on the key for the record's principal from IAM (simulation or policies) and the key
    policy together, and say which statements decided."""
    principal = record.get("principal") or {}
    meta = kms_key.get("metadata") or {}
    key_arn = str(meta.get("Arn") or kms_key.get("requested"))
    account = str(meta.get("AWSAccountId") or principal.get("account") or "")
    principal_arn = str(principal.get("principal_arn") or principal.get("arn") or "")
    evidence: dict[str, Any] = {"principal": principal.get("caller_arn") or principal_arn, "action": action,
                                "key_arn": key_arn}
    if principal.get("kind") not in ("user", "assumed-role", "role"):
        why = principal.get("why") or f"{principal.get('caller_arn') or principal_arn} is not an IAM user or role"
        return unknown(f"Cannot decide whether {who} may {action} on {key_arn}: {why}", evidence=evidence)
    iam = decide(record, action, key_arn)
    evidence["iam"] = iam.evidence()
    if kms_key.get("policy") is None:
        unavailable = kms_key.get("policy_unavailable") or {}
        evidence["key_policy"] = {"readable": False, "unavailable": unavailable}
        return unknown(
            f"Cannot decide whether {who} may {action} on {key_arn}: the key policy could not be read",
            missing=[str(unavailable.get("permission") or "kms:GetKeyPolicy")],
            evidence=evidence,
            fix=fix("Allow kms:GetKeyPolicy on the key for the identity running ssm-doctor, then run it again."),
        )
    try:
        key_policy = json.loads(str(kms_key["policy"]))
    except ValueError:
        key_policy = {}
    req: Mapping[str, Any] = next((r for r in record.get("requests", ()) if r.get("action") == action), {})
    standing, kp = _key_policy_standing(action, key_arn, key_policy, principal_arn, account, req.get("context", {}))
    reason = kp.reason
    if standing in ("delegates", "delegates-or-direct"):
        reason = f"the key policy lets IAM policies in account {account} grant use of the key ({_names(kp)})"
    evidence["key_policy"] = {"standing": standing, "reason": reason, "deciding_statements": _labels(kp)}
    evidence["not_seen"] = [*iam.not_seen, KMS_NOT_SEEN]
    smallest = least_privilege_policy([([action], [key_arn])])
    key_statement = {
        "Sid": f"Allow{action.split(':')[1]}For{(principal.get('role_name') or principal.get('name') or 'Principal')}",
        "Effect": "Allow",
        "Principal": {"AWS": principal_arn},
        "Action": action,
        "Resource": "*",
    }
    iam_fix = fix(
        f"Allow {action} on the key in an identity policy of {principal_arn} (the smallest statement is below).",
        *(["The role belongs to IAM Identity Center: add the statement to its permission set instead of editing "
           "the role."] if principal.get("sso") else []),
        commands=[_policy_command(principal, policy_name, smallest)],
    )
    if iam.decision == "explicitDeny":
        return failed(
            f"{_cap(who)} may not {action} on {key_arn}: {iam.reason}",
            evidence,
            fix(f"Remove or narrow the statement that denies {action} ({', '.join(iam.deciding) or 'see evidence'});"
                " an explicit deny wins over any allow."),
        )
    if standing == "deny":
        return failed(
            f"{_cap(who)} may not {action} on {key_arn}: {_names(kp)} explicitly denies it",
            evidence,
            fix(f"Remove or narrow the key policy statement that denies it ({_names(kp)}).",
                commands=[f"aws kms get-key-policy --key-id {key_arn} --policy-name default --query Policy "
                          f"--output text --region {region}"]),
        )
    if standing == "direct":
        return passed(f"{_cap(who)} may {action} on the key: {kp.reason}", evidence)
    if standing == "unknown":
        return unknown(f"Cannot decide whether {who} may {action} on {key_arn}: "
                       f"{'; '.join(kp.unsupported) or _why(kp.reason)}",
                       evidence=evidence,
                       fix=fix("Some key policy statements depend on values a diagnosis cannot know; check them by "
                               "hand.", commands=[f"aws kms get-key-policy --key-id {key_arn} --policy-name default "
                                                  f"--query Policy --output text --region {region}"]))
    if standing == "none":
        return failed(
            f"{_cap(who)} may not {action} on {key_arn}: the key policy neither names {principal_arn} nor "
            "lets IAM policies in the account grant use of the key",
            evidence,
            fix(
                "Add a statement to the key policy that allows the principal (or one that lets IAM policies in "
                f"account {account} grant use, with the principal arn:aws:iam::{account}:root).",
                "The commands below append the statement with jq and save the key policy.",
                commands=_key_policy_commands(key_arn, region, key_statement),
            ),
        )
    # The key policy defers to IAM: the identity policies decide.
    if iam.allowed:
        deciding = [*_labels(kp), *iam.deciding]
        evidence["deciding_statements"] = deciding
        return passed(
            f"{_cap(who)} may {action} on the key: {_names(kp)} lets IAM decide, and IAM says {iam.reason}",
            evidence,
        )
    if iam.decision == "unknown":
        return unknown(f"Cannot decide whether {who} may {action} on {key_arn}: {_why(iam.reason)}",
                       missing=list(iam.missing), evidence=evidence,
                       fix=fix(*(["Allow " + ", ".join(iam.missing) + " for the identity running ssm-doctor, then "
                                  "run it again."] if iam.missing else [])))
    if standing == "delegates-or-direct":
        return unknown(f"Cannot decide whether {who} may {action} on {key_arn}: IAM says {iam.reason}, and the key "
                       "policy might still grant it by itself, under conditions a diagnosis cannot evaluate",
                       evidence=evidence,
                       fix=fix("Check the conditional key policy statements by hand, or allow the action in IAM.",
                               commands=[f"aws kms get-key-policy --key-id {key_arn} --policy-name default "
                                         f"--query Policy --output text --region {region}",
                                         _policy_command(principal, policy_name, smallest)]))
    return failed(
        f"{_cap(who)} may not {action} on {key_arn}: {_names(kp)} lets IAM decide, and IAM says {iam.reason}",
        evidence,
        iam_fix,
    )


@check(
    "caller.kms",
    title="The caller may use the KMS key (kms:GenerateDataKey)",
    requires=("kms.key",),
    problem="kms-encryption-required",
    doc=doc("getting-started-restrict-access-quickstart"),
)
def caller_kms(caller_kms_access: dict[str, Any], kms_key: dict[str, Any], target: Target) -> Outcome:
    return _kms_permission("the caller", caller_kms_access, "kms:GenerateDataKey", kms_key, target.region,
                           "SessionManagerKmsGenerateDataKey")


@check(
    "node.kms-decrypt",
    title="The node's role may use the KMS key (kms:Decrypt)",
    requires=("kms.key", "node.identity"),
    problem="kms-encryption-required",
    doc=doc("session-manager-getting-started-instance-profile"),
)
def node_kms_decrypt(node_kms_access: dict[str, Any] | None, node_role: dict[str, Any], kms_key: dict[str, Any],
                     target: Target) -> Outcome:
    role = node_role.get("role_name")
    if node_kms_access is None:
        return unknown(f"The node's role {role or ''} could not be read, so its use of the key cannot be decided",
                       evidence={"node_role": role, "source": node_role.get("source")})
    source = {"dhmc": " (from Default Host Management)", "activation": " (the hybrid activation's role)"}
    who = f"the node's role {role}{source.get(str(node_role.get('source')), '')}"
    return _kms_permission(who, node_kms_access, "kms:Decrypt", kms_key, target.region, "SessionManagerKmsDecrypt")


# ---------------------------------------------------------------------------------------------- prefs.logging

_S3_AGENT_MESSAGE = ("We couldn't start the session because encryption is not set up on the selected Amazon S3 "
                     "bucket.")
_CW_AGENT_MESSAGE = ("We couldn't start the session because encryption is not set up on the selected CloudWatch "
                     "Logs log group.")


@check(
    "prefs.logging",
    title="Session log destinations exist, are encrypted as required and writable by the node",
    requires=("prefs.document", "node.identity"),
    problem="session-manager-error",
    doc=doc("session-manager-logging"),
)
def prefs_logging(
    session_preferences: dict[str, Any],
    s3_log_bucket: dict[str, Any] | None,
    cloudwatch_log_group: dict[str, Any] | None,
    node_logging_access: dict[str, Any] | None,
    node_role: dict[str, Any],
    target: Target,
    kms_key: dict[str, Any] | None = None,
) -> Outcome:
    prefs = _prefs(session_preferences)
    region = target.region
    if not prefs.s3_logging and not prefs.cloudwatch_logging:
        return passed(f"Session logging is off in {region} (no S3 bucket or CloudWatch Logs log group is set): "
                      "nothing to check", {"s3BucketName": "", "cloudWatchLogGroupName": ""})
    problems: list[str] = []
    doubts: list[str] = []
    missing: list[str] = []
    steps: list[str] = []
    commands: list[str] = []
    evidence: dict[str, Any] = {"region": region}

    flags_off: list[str] = []  # the alternative: stop requiring encryption (one rewrite of the preferences)

    def turn_off(flag_name: str) -> None:
        flags_off.append(flag_name)

    if prefs.s3_logging and s3_log_bucket is not None:
        bucket = prefs.s3_bucket
        evidence["s3"] = {"bucket": bucket, "prefix": prefs.s3_prefix, "encryption_required": prefs.s3_encryption,
                          **{k: v for k, v in s3_log_bucket.items() if k not in ("name", "prefix")}}
        if not s3_log_bucket.get("exists"):
            problems.append(f"S3 bucket {bucket} does not exist")
            location = "" if region == "us-east-1" else f" --create-bucket-configuration LocationConstraint={region}"
            steps.append(f"Create the bucket {bucket}, or name an existing one in the preferences.")
            commands.append(f"aws s3api create-bucket --bucket {bucket}{location} --region {region}")
        elif prefs.s3_encryption and not s3_log_bucket.get("encryption_rules"):
            problems.append(f"s3EncryptionEnabled is true but bucket {bucket} has no default encryption, so SSM "
                            f"Agent ends every session at once (\"{_S3_AGENT_MESSAGE}\")")
            steps.append(f"Turn on default encryption for bucket {bucket} (SSE-S3 below; SSE-KMS works too, and then "
                         "the node's role also needs use of that key).")
            rules = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
            commands.append(f"aws s3api put-bucket-encryption --bucket {bucket} --server-side-encryption-configuration "
                            f"{shlex.quote(json.dumps(rules, separators=(',', ':')))}")
            turn_off("s3EncryptionEnabled")
    if prefs.cloudwatch_logging and cloudwatch_log_group is not None:
        group = prefs.cloudwatch_group
        evidence["cloudwatch"] = {"log_group": group, "encryption_required": prefs.cloudwatch_encryption,
                                  "exists": cloudwatch_log_group.get("exists"),
                                  "kms_key_id": cloudwatch_log_group.get("kms_key_id")}
        if not cloudwatch_log_group.get("exists"):
            problems.append(f"CloudWatch Logs log group {group} does not exist")
            steps.append(f"Create the log group {group}, or name an existing one in the preferences.")
            commands.append(f"aws logs create-log-group --log-group-name {shlex.quote(group)} --region {region}")
        elif prefs.cloudwatch_encryption and not cloudwatch_log_group.get("kms_key_id"):
            problems.append(f"cloudWatchEncryptionEnabled is true but log group {group} is not encrypted with a KMS "
                            f"key, so SSM Agent ends every session at once (\"{_CW_AGENT_MESSAGE}\")")
            key_arn = str(((kms_key or {}).get("metadata") or {}).get("Arn") or "KMS_KEY_ARN")
            steps.append(f"Encrypt log group {group} with a KMS key whose key policy allows the CloudWatch Logs "
                         f"service principal logs.{region}.amazonaws.com.")
            commands.append(f"aws logs associate-kms-key --log-group-name {shlex.quote(group)} --kms-key-id {key_arn} "
                            f"--region {region}")
            turn_off("cloudWatchEncryptionEnabled")

    role = node_role.get("role_name")
    wanted = _logging_actions(prefs)
    if node_logging_access is None:
        doubts.append(f"the node's role {role or ''} could not be read")
    else:
        entries: list[dict[str, Any]] = []
        denied: list[tuple[str, str]] = []
        for req in node_logging_access.get("requests", ()):
            d = decide(node_logging_access, str(req["action"]), str(req["resource"]))
            entry = d.evidence()
            entries.append(entry)
            if d.denied:
                denied.append((d.action, d.resource))
                problems.append(f"the node's role {role} may not {d.action} on {d.resource} ({d.reason})")
            elif not d.allowed:
                doubts.append(f"{d.action} for the node's role: {d.reason}")
                missing.extend(d.missing)
        evidence["node_role"] = {"role": role, "how": node_role.get("how"), "permissions": entries}
        if denied:
            grants = [([a], [_policy_resource(a, r)]) for a, r in denied]
            document = least_privilege_policy(grants)
            principal = node_logging_access.get("principal") or {}
            steps.append(f"Let the node's role {role} write the session logs (smallest statements below).")
            commands.append(_policy_command({**principal, "kind": "role"}, "SsmDoctorSessionLogging", document))
    evidence["required_actions"] = wanted
    if flags_off:
        rewrite = [preferences_file_command(session_preferences, **dict.fromkeys(flags_off, False)),
                   *preferences_update_commands(session_preferences, region)]
        steps.append(f"Instead of encrypting, if unencrypted session logs are acceptable: set "
                     f"{' and '.join(flags_off)} to false in the preferences: " + " && ".join(rewrite))
    if problems:
        return failed(
            f"Session logging in {region} cannot work: {problems[0]}"
            + (f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1
               else ""),
            {**evidence, "problems": problems, **({"could_not_verify": doubts} if doubts else {})},
            fix(*steps, commands=commands),
        )
    if doubts:
        return unknown(f"Could not confirm that session logging in {region} works: {doubts[0]}",
                       missing=list(dict.fromkeys(missing)), evidence={**evidence, "could_not_verify": doubts})
    where = " and ".join(
        part for part in (
            f"S3 bucket {prefs.s3_bucket}" if prefs.s3_logging else "",
            f"log group {prefs.cloudwatch_group}" if prefs.cloudwatch_logging else "",
        ) if part
    )
    one = prefs.s3_logging != prefs.cloudwatch_logging
    return passed(f"Session logs go to {where}, which {'exists' if one else 'exist'}, "
                  f"{'matches' if one else 'match'} the encryption settings and the node's role {role} may write "
                  f"{'it' if one else 'them'}", evidence)


def _logging_actions(prefs: Preferences) -> list[str]:
    actions: list[str] = []
    if prefs.s3_logging:
        actions += ["s3:PutObject", "s3:GetEncryptionConfiguration"]
    if prefs.cloudwatch_logging:
        actions += ["logs:CreateLogStream", "logs:PutLogEvents"]
    return actions


def _policy_resource(action: str, resource: str) -> str:
    """The resource to grant: the bucket prefix rather than one object, the log group rather than one stream."""
    if action == "s3:PutObject":
        return resource.rsplit("/", 1)[0] + "/*"
    if action.startswith("logs:") and ":log-stream:" in resource:
        return resource.split(":log-stream:", 1)[0] + ":log-stream:*"
    return resource
