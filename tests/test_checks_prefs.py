"""Preferences, KMS and logging checks evaluated from fact fixtures (no AWS): named, table-driven cases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from doctor.engine import evaluate
from doctor.facts import Target
from doctor.model import Finding, Status
from doctor.runner import make_plan
from tests import factkit as fk

REGION = fk.REGION
ACCOUNT = fk.ACCOUNT
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
CALLER = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE = "NodeRole"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
BUCKET = "session-logs-example"
LOG_GROUP = "/ssm/sessions"


# ------------------------------------------------------------------------------------------------ builders


def prefs_content(**inputs: Any) -> str:
    base: dict[str, Any] = {
        "s3BucketName": "",
        "s3KeyPrefix": "",
        "s3EncryptionEnabled": True,
        "cloudWatchLogGroupName": "",
        "cloudWatchEncryptionEnabled": True,
        "cloudWatchStreamingEnabled": False,
        "kmsKeyId": "alias/session-manager",
        "runAsEnabled": False,
        "runAsDefaultUser": "",
        "idleSessionTimeout": "20",
    }
    base.update(inputs)
    return json.dumps({"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": base})


def prefs(content: str | None = None, status: str = "Active", **inputs: Any) -> dict[str, Any]:
    return {"exists": True, "name": "SSM-SessionManagerRunShell", "document_version": "3", "status": status,
            "content": content if content is not None else prefs_content(**inputs)}


NO_PREFS = {"exists": False, "name": "SSM-SessionManagerRunShell"}


def statement(principal: Any, action: Any = "kms:*", effect: str = "Allow", sid: str = "",
              condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": action, "Resource": "*"}
    if sid:
        st["Sid"] = sid
    if condition:
        st["Condition"] = condition
    return st


ROOT = statement({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, sid="Enable IAM User Permissions")


def key_policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements) or [ROOT]})


def kms_key(state: str = "Enabled", spec: str = "SYMMETRIC_DEFAULT", usage: str = "ENCRYPT_DECRYPT",
            policy: str | None = None, policy_unavailable: dict[str, Any] | None = None, found: bool = True
            ) -> dict[str, Any]:
    if not found:
        return {"requested": "alias/session-manager", "found": False}
    data: dict[str, Any] = {
        "requested": "alias/session-manager",
        "found": True,
        "metadata": {"KeyId": KEY_ID, "Arn": KEY_ARN, "AWSAccountId": ACCOUNT, "Enabled": state == "Enabled",
                     "KeyState": state, "KeySpec": spec, "KeyUsage": usage, "KeyManager": "CUSTOMER"},
        "policy": policy if policy is not None or policy_unavailable else key_policy(),
    }
    if policy_unavailable:
        data["policy"] = None
        data["policy_unavailable"] = policy_unavailable
    return data


def identity(*statements: dict[str, Any], name: str = "Operator") -> dict[str, Any]:
    return {"name": name, "type": "inline", "document": {"Version": "2012-10-17", "Statement": list(statements)}}


def allow(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Sid": "NoKms", "Effect": "Deny", "Action": action, "Resource": resource}


def user_principal() -> dict[str, Any]:
    return {"kind": "user", "caller_arn": CALLER, "arn": CALLER, "principal_arn": CALLER, "account": ACCOUNT,
            "name": "alice", "tags": {}, "tags_known": True, "policies_key": "user/alice"}


def role_principal() -> dict[str, Any]:
    return {"kind": "role", "arn": ROLE_ARN, "principal_arn": ROLE_ARN, "account": ACCOUNT, "name": ROLE,
            "tags": {}, "tags_known": True, "policies_key": f"role/{ROLE}"}


def access(requests: list[tuple[str, str]], policies: list[dict[str, Any]] | None, principal: dict[str, Any],
           simulation: dict[str, str] | None = None, unreadable: list[dict[str, Any]] | None = None,
           simulation_unavailable: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An access record as the permission collectors build it."""
    context = {"aws:RequestedRegion": REGION, "aws:PrincipalArn": principal["principal_arn"],
               "aws:PrincipalAccount": ACCOUNT, "kms:CallerAccount": ACCOUNT}
    reqs = []
    for action, resource in requests:
        sim = None
        if simulation and action in simulation:
            sim = {"action": action, "resource": resource, "decision": simulation[action], "matched": [],
                   "missing_context": []}
        reqs.append({"action": action, "resource": resource, "context": context, "resource_tags_known": True,
                     "simulation": sim})
    return {
        "principal": principal,
        "requests": reqs,
        "simulation_unavailable": simulation_unavailable or [],
        "policies": None if policies is None else {"principal": principal["policies_key"], "policies": policies,
                                                    "boundary": None, "unreadable": unreadable or []},
        "policies_unavailable": None,
    }


def caller_access(*statements: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return access([("kms:GenerateDataKey", KEY_ARN)], [identity(*statements)] if statements else [],
                  user_principal(), **kw)


def node_access(*statements: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return access([("kms:Decrypt", KEY_ARN)], [identity(*statements, name="SessionManagerKms")] if statements else [],
                  role_principal(), **kw)


def trust(service: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                                    "Action": "sts:AssumeRole"}]}


def node_role(source: str = "instance-profile") -> dict[str, Any]:
    """The node_role fact: an instance profile's role, or a Default Host Management role."""
    service = "ec2.amazonaws.com" if source == "instance-profile" else "ssm.amazonaws.com"
    data: dict[str, Any] = {
        "source": source,
        "role_name": ROLE,
        "role": {"exists": True, "RoleName": ROLE, "Arn": ROLE_ARN, "Path": "/", "Tags": {},
                 "AssumeRolePolicyDocument": trust(service)},
        "metadata_options": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
    }
    if source == "instance-profile":
        data["profile"] = {"name": ROLE, "arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{ROLE}", "exists": True,
                           "roles": [{"RoleName": ROLE, "Arn": ROLE_ARN, "Path": "/"}]}
        data["how"] = f"instance profile {ROLE} (role {ROLE})"
    else:
        data["dhmc"] = {"SettingValue": f"service-role/{ROLE}"}
        data["how"] = f"Default Host Management Configuration (service-role/{ROLE})"
    return data


LOG_OBJECT = f"arn:aws:s3:::{BUCKET}/sessions/ssm-doctor-0123456789abcdef0.log"
LOG_STREAM = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP}:log-stream:ssm-doctor-0123456789abcdef0"
WRITER = (allow("s3:PutObject", f"arn:aws:s3:::{BUCKET}/*"), allow("s3:GetEncryptionConfiguration"),
          allow(["logs:CreateLogStream", "logs:PutLogEvents"]))


def logging_access(*statements: dict[str, Any], s3: bool = True, cloudwatch: bool = False) -> dict[str, Any]:
    wanted = []
    if s3:
        wanted += [("s3:PutObject", LOG_OBJECT), ("s3:GetEncryptionConfiguration", f"arn:aws:s3:::{BUCKET}")]
    if cloudwatch:
        wanted += [("logs:CreateLogStream", LOG_STREAM), ("logs:PutLogEvents", LOG_STREAM)]
    return access(wanted, [identity(*statements, name="Logging")], role_principal())


def bucket(exists: bool = True, encrypted: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"name": BUCKET, "prefix": "sessions", "exists": exists}
    if exists:
        data["region"] = REGION
        data["encryption_rules"] = [{"SSEAlgorithm": "AES256"}] if encrypted else []
    return data


def log_group(exists: bool = True, encrypted: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"name": LOG_GROUP, "exists": exists}
    if exists:
        data["kms_key_id"] = KEY_ARN if encrypted else None
    return data


def healthy(**over: Any) -> dict[str, Any]:
    """Every check of this module passes: KMS on with a usable key, caller and role may use it, no logging."""
    facts = fk.healthy()
    facts.update(
        session_preferences=prefs(),
        kms_key=kms_key(),
        caller_kms_access=caller_access(allow("kms:GenerateDataKey", KEY_ARN)),
        node_kms_access=node_access(allow("kms:Decrypt", KEY_ARN)),
        node_role=node_role(),
        s3_log_bucket=None,
        cloudwatch_log_group=None,
        node_logging_access=None,
    )
    facts.update(over)
    return facts


def s3_logging(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "session_preferences": prefs(s3BucketName=BUCKET, s3KeyPrefix="sessions", s3EncryptionEnabled="true"),
        "s3_log_bucket": bucket(),
        "node_logging_access": logging_access(*WRITER),
    }
    base.update(over)
    return healthy(**base)


def cloudwatch_logging(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "session_preferences": prefs(cloudWatchLogGroupName=LOG_GROUP, cloudWatchEncryptionEnabled=True),
        "cloudwatch_log_group": log_group(),
        "node_logging_access": logging_access(*WRITER, s3=False, cloudwatch=True),
    }
    base.update(over)
    return healthy(**base)


def finding(facts: dict[str, Any], check_id: str, target: Target | None = None) -> Finding:
    t = target or fk.target()
    plan = make_plan()
    findings = evaluate(plan, fk.store(facts, t), t)
    return next(f for f in findings if f.id == check_id)


# ------------------------------------------------------------------------------------------------ cases

CASES: list[tuple[str, dict[str, Any], str, Status]] = [
    # prefs.document
    ("prefs-valid", healthy(), "prefs.document", Status.PASS),
    ("prefs-absent-means-defaults", healthy(session_preferences=NO_PREFS), "prefs.document", Status.PASS),
    ("prefs-not-json", healthy(session_preferences=prefs(content="{not json")), "prefs.document", Status.FAIL),
    ("prefs-json-list", healthy(session_preferences=prefs(content="[]")), "prefs.document", Status.FAIL),
    ("prefs-inputs-not-object", healthy(session_preferences=prefs(content='{"inputs": "x"}')), "prefs.document",
     Status.FAIL),
    ("prefs-flag-not-boolean", healthy(session_preferences=prefs(s3EncryptionEnabled="yes")), "prefs.document",
     Status.FAIL),
    ("prefs-string-flags", healthy(session_preferences=prefs(s3EncryptionEnabled="true",
                                                             cloudWatchEncryptionEnabled="False")),
     "prefs.document", Status.PASS),
    ("prefs-key-not-string", healthy(session_preferences=prefs(kmsKeyId=7)), "prefs.document", Status.FAIL),
    ("prefs-updating", healthy(session_preferences=prefs(status="Updating")), "prefs.document", Status.WARN),
    ("prefs-denied", healthy(session_preferences=fk.denied("ssm:GetDocument")), "prefs.document", Status.UNKNOWN),
    # prefs.kms
    ("kms-on", healthy(), "prefs.kms", Status.PASS),
    ("kms-off", healthy(session_preferences=prefs(kmsKeyId="")), "prefs.kms", Status.FAIL),
    ("kms-off-by-default", healthy(session_preferences=NO_PREFS), "prefs.kms", Status.FAIL),
    # kms.key
    ("key-usable", healthy(), "kms.key", Status.PASS),
    ("key-missing", healthy(kms_key=kms_key(found=False)), "kms.key", Status.FAIL),
    ("key-disabled", healthy(kms_key=kms_key("Disabled")), "kms.key", Status.FAIL),
    ("key-pending-deletion", healthy(kms_key=kms_key("PendingDeletion")), "kms.key", Status.FAIL),
    ("key-pending-import", healthy(kms_key=kms_key("PendingImport")), "kms.key", Status.FAIL),
    ("key-asymmetric", healthy(kms_key=kms_key(spec="RSA_2048")), "kms.key", Status.FAIL),
    ("key-hmac", healthy(kms_key=kms_key(spec="HMAC_256", usage="GENERATE_VERIFY_MAC")), "kms.key", Status.FAIL),
    ("key-policy-unreadable", healthy(kms_key=kms_key(policy_unavailable=fk.denied("kms:GetKeyPolicy").to_json())),
     "kms.key", Status.WARN),
    ("key-describe-denied", healthy(kms_key=fk.denied("kms:DescribeKey")), "kms.key", Status.UNKNOWN),
    # caller.kms
    ("caller-allowed-through-iam", healthy(), "caller.kms", Status.PASS),
    ("caller-allowed-by-simulation", healthy(caller_kms_access=caller_access(
        simulation={"kms:GenerateDataKey": "allowed"})), "caller.kms", Status.PASS),
    ("caller-without-generate-data-key", healthy(caller_kms_access=caller_access(allow("ssm:StartSession"))),
     "caller.kms", Status.FAIL),
    ("caller-denied-by-simulation", healthy(caller_kms_access=caller_access(
        simulation={"kms:GenerateDataKey": "implicitDeny"})), "caller.kms", Status.FAIL),
    ("caller-explicit-deny", healthy(caller_kms_access=caller_access(allow("kms:*"), deny("kms:GenerateDataKey"))),
     "caller.kms", Status.FAIL),
    ("caller-named-in-key-policy", healthy(
        kms_key=kms_key(policy=key_policy(statement({"AWS": CALLER}, "kms:GenerateDataKey", sid="Users"))),
        caller_kms_access=caller_access()), "caller.kms", Status.PASS),
    ("key-policy-ignores-caller", healthy(
        kms_key=kms_key(policy=key_policy(statement({"AWS": ROLE_ARN}, "kms:Decrypt", sid="NodesOnly")))),
     "caller.kms", Status.FAIL),
    ("key-policy-denies-caller", healthy(kms_key=kms_key(policy=key_policy(
        ROOT, statement({"AWS": CALLER}, "kms:GenerateDataKey", effect="Deny", sid="NotAlice"))),), "caller.kms",
     Status.FAIL),
    ("key-policy-condition-unknowable", healthy(kms_key=kms_key(policy=key_policy(
        statement({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, sid="ViaEndpoint",
                  condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}})))), "caller.kms", Status.UNKNOWN),
    ("caller-key-policy-unreadable", healthy(kms_key=kms_key(
        policy_unavailable=fk.denied("kms:GetKeyPolicy").to_json())), "caller.kms", Status.UNKNOWN),
    ("caller-nothing-readable", healthy(caller_kms_access=access(
        [("kms:GenerateDataKey", KEY_ARN)], None, user_principal(),
        simulation_unavailable=[fk.denied("iam:SimulatePrincipalPolicy").to_json()])), "caller.kms", Status.UNKNOWN),
    ("caller-access-denied", healthy(caller_kms_access=fk.denied("iam:GetUser")), "caller.kms", Status.UNKNOWN),
]

NODE_CASES: list[tuple[str, dict[str, Any], str, Status]] = [
    # node.kms-decrypt
    ("role-may-decrypt", healthy(), "node.kms-decrypt", Status.PASS),
    ("role-without-decrypt", healthy(node_kms_access=node_access(allow("ssm:UpdateInstanceInformation"))),
     "node.kms-decrypt", Status.FAIL),
    ("dhmc-role-without-decrypt", healthy(node_role=node_role("dhmc"), node_kms_access=node_access()),
     "node.kms-decrypt", Status.FAIL),
    ("role-named-in-key-policy", healthy(
        kms_key=kms_key(policy=key_policy(ROOT, statement({"AWS": ROLE_ARN}, "kms:Decrypt", sid="Nodes"))),
        node_kms_access=node_access()), "node.kms-decrypt", Status.PASS),
    ("role-policies-unreadable", healthy(node_kms_access=access(
        [("kms:Decrypt", KEY_ARN)], [], role_principal(), unreadable=[fk.denied("iam:ListRolePolicies").to_json()])),
     "node.kms-decrypt", Status.UNKNOWN),
    # prefs.logging
    ("logging-off", healthy(), "prefs.logging", Status.PASS),
    ("s3-logging-ok", s3_logging(), "prefs.logging", Status.PASS),
    ("s3-bucket-missing", s3_logging(s3_log_bucket=bucket(exists=False)), "prefs.logging", Status.FAIL),
    ("s3-bucket-unencrypted", s3_logging(s3_log_bucket=bucket(encrypted=False)), "prefs.logging", Status.FAIL),
    ("s3-unencrypted-allowed", s3_logging(
        session_preferences=prefs(s3BucketName=BUCKET, s3KeyPrefix="sessions", s3EncryptionEnabled=False),
        s3_log_bucket={"name": BUCKET, "prefix": "sessions", "exists": True, "region": REGION}),
     "prefs.logging", Status.PASS),
    ("s3-role-cannot-write", s3_logging(node_logging_access=logging_access(allow("s3:GetEncryptionConfiguration"))),
     "prefs.logging", Status.FAIL),
    ("s3-encryption-denied", s3_logging(s3_log_bucket=fk.denied("s3:GetEncryptionConfiguration")), "prefs.logging",
     Status.UNKNOWN),
    ("cloudwatch-ok", cloudwatch_logging(), "prefs.logging", Status.PASS),
    ("cloudwatch-group-missing", cloudwatch_logging(cloudwatch_log_group=log_group(exists=False)), "prefs.logging",
     Status.FAIL),
    ("cloudwatch-group-unencrypted", cloudwatch_logging(cloudwatch_log_group=log_group(encrypted=False)),
     "prefs.logging", Status.FAIL),
    ("cloudwatch-role-cannot-write", cloudwatch_logging(node_logging_access=logging_access(s3=False,
                                                                                          cloudwatch=True)),
     "prefs.logging", Status.FAIL),
    ("logging-role-unreadable", s3_logging(node_logging_access=None), "prefs.logging", Status.UNKNOWN),
]


@pytest.mark.parametrize(("name", "facts", "check_id", "expected"), CASES, ids=[c[0] for c in CASES])
def test_check_case(name: str, facts: dict[str, Any], check_id: str, expected: Status) -> None:
    result = finding(facts, check_id)
    assert result.status is expected, result.summary
    if expected in (Status.FAIL, Status.WARN):
        assert result.remediation, f"{check_id} must say how to fix it"
    if expected is Status.UNKNOWN:
        assert "Could not" in result.summary or "Cannot" in result.summary or result.missing


@pytest.mark.parametrize(("name", "facts", "check_id", "expected"), NODE_CASES, ids=[c[0] for c in NODE_CASES])
def test_node_side_case(name: str, facts: dict[str, Any], check_id: str, expected: Status) -> None:
    assert finding(facts, "node.identity").status is Status.PASS
    result = finding(facts, check_id)
    assert result.status is expected, result.summary
    if expected is Status.FAIL:
        assert result.remediation, f"{check_id} must say how to fix it"


# ------------------------------------------------------------------------------------------------ details


def test_absent_preferences_say_defaults_apply() -> None:
    result = finding(healthy(session_preferences=NO_PREFS), "prefs.document")
    assert "defaults" in result.summary and "no KMS encryption" in result.summary


def test_kms_off_fix_keeps_other_settings_and_offers_ssm_doctor_fix() -> None:
    result = finding(healthy(session_preferences=prefs(kmsKeyId="", idleSessionTimeout="45",
                                                       s3BucketName="keep-me")), "prefs.kms")
    assert result.problem == "kms-encryption-required"
    assert result.doc_url.endswith("session-preferences-enable-encryption.html")
    commands = result.remediation.commands
    [file_command] = [c for c in commands if c.startswith("cat > SessionManagerRunShell.json")]
    written = json.loads(file_command.split("\n", 1)[1].rsplit("\nEOF", 1)[0])
    assert written["inputs"]["kmsKeyId"] == "alias/session-manager"
    assert written["inputs"]["idleSessionTimeout"] == "45" and written["inputs"]["s3BucketName"] == "keep-me"
    assert any(c.startswith("aws ssm update-document --name SSM-SessionManagerRunShell --content "
                            "file://SessionManagerRunShell.json") for c in commands)
    assert any(c.startswith(f"ssm-doctor fix {fk.EC2_ID} --kms-key alias/session-manager --apply") for c in commands)


def test_kms_off_without_document_creates_it() -> None:
    commands = finding(healthy(session_preferences=NO_PREFS), "prefs.kms").remediation.commands
    assert any(c.startswith("aws ssm create-document --name SSM-SessionManagerRunShell --document-type Session")
               for c in commands)


def test_unparsable_preferences_fail_naming_the_problem() -> None:
    result = finding(healthy(session_preferences=prefs(s3EncryptionEnabled="maybe")), "prefs.document")
    assert "s3EncryptionEnabled" in result.summary
    assert finding(healthy(session_preferences=prefs(content="{not json")), "prefs.kms").blocked_by == \
        ("prefs.document",)


def test_disabled_key_fix_enables_it() -> None:
    result = finding(healthy(kms_key=kms_key("Disabled")), "kms.key")
    assert result.remediation.commands == (f"aws kms enable-key --key-id {KEY_ARN} --region {REGION}",)
    pending = finding(healthy(kms_key=kms_key("PendingDeletion")), "kms.key").remediation.commands
    assert pending[0].startswith("aws kms cancel-key-deletion") and pending[1].startswith("aws kms enable-key")


def test_key_policy_is_described() -> None:
    delegating = finding(healthy(), "kms.key")
    assert "lets IAM policies in the account grant use" in delegating.summary
    assert delegating.evidence["key_policy"]["delegating_statements"] == ["Enable IAM User Permissions"]
    direct = finding(healthy(kms_key=kms_key(policy=key_policy(
        statement({"AWS": [CALLER, ROLE_ARN]}, ["kms:GenerateDataKey", "kms:Decrypt"], sid="Named")))), "kms.key")
    assert direct.status is Status.PASS and "names 2 principal(s) directly" in direct.summary
    assert direct.evidence["key_policy"]["delegates_to_iam"] is False


def test_key_policy_unreadable_names_the_permission() -> None:
    unavailable = fk.denied("kms:GetKeyPolicy").to_json()
    assert "kms:GetKeyPolicy" in finding(healthy(kms_key=kms_key(policy_unavailable=unavailable)), "kms.key").summary
    caller = finding(healthy(kms_key=kms_key(policy_unavailable=unavailable)), "caller.kms")
    assert caller.missing == ("kms:GetKeyPolicy",)


def test_caller_without_generate_data_key_gets_the_smallest_statement() -> None:
    result = finding(healthy(caller_kms_access=caller_access(allow("ssm:StartSession"))), "caller.kms")
    assert result.problem == "kms-encryption-required"
    [command] = result.remediation.commands
    assert command.startswith("aws iam put-user-policy --user-name alice --policy-name ")
    document = json.loads(command.split("--policy-document ", 1)[1].strip("'"))
    assert document["Statement"] == [{"Sid": "AllowKmsGenerateDataKey", "Effect": "Allow",
                                      "Action": "kms:GenerateDataKey", "Resource": KEY_ARN}]
    assert result.evidence["key_policy"]["deciding_statements"] == ['key policy statement "Enable IAM User '
                                                                    'Permissions"']
    assert "KMS grants on the key" in result.evidence["not_seen"]


def test_passing_caller_names_deciding_statements_in_iam_and_key_policy() -> None:
    result = finding(healthy(), "caller.kms")
    deciding = result.evidence["deciding_statements"]
    assert any("Enable IAM User Permissions" in d for d in deciding)
    assert any(d.startswith("Operator statement") for d in deciding)


def test_key_policy_blocking_prints_the_statement_to_add() -> None:
    result = finding(healthy(kms_key=kms_key(policy=key_policy(
        statement({"AWS": ROLE_ARN}, "kms:Decrypt", sid="NodesOnly")))), "caller.kms")
    commands = result.remediation.commands
    assert commands[0].startswith(f"aws kms get-key-policy --key-id {KEY_ARN} --policy-name default")
    assert f'"Principal":{{"AWS":"{CALLER}"}}' in commands[1] and '"Action":"kms:GenerateDataKey"' in commands[1]
    assert commands[2].startswith(f"aws kms put-key-policy --key-id {KEY_ARN} --policy-name default")


def test_explicit_deny_names_the_statement() -> None:
    result = finding(healthy(caller_kms_access=caller_access(allow("kms:*"), deny("kms:GenerateDataKey"))),
                     "caller.kms")
    assert "explicitly denied" in result.summary and "NoKms" in result.summary


def test_role_without_decrypt_gets_put_role_policy() -> None:
    facts = healthy(node_kms_access=node_access(allow("ssm:UpdateInstanceInformation")))
    result = finding(facts, "node.kms-decrypt")
    [command] = result.remediation.commands
    assert command.startswith(f"aws iam put-role-policy --role-name {ROLE} --policy-name SessionManagerKmsDecrypt")
    assert '"Action":"kms:Decrypt"' in command and KEY_ARN in command


def test_unencrypted_bucket_quotes_the_agent_and_offers_both_fixes() -> None:
    result = finding(s3_logging(s3_log_bucket=bucket(encrypted=False)), "prefs.logging")
    assert "encryption is not set up on the selected Amazon S3 bucket" in result.summary
    commands = result.remediation.commands
    assert commands == (commands[0],) and commands[0].startswith(f"aws s3api put-bucket-encryption --bucket {BUCKET} ")
    # The alternative (stop requiring encryption) is a step of its own, not mixed into the commands to paste.
    [alternative] = [s for s in result.remediation.steps if s.startswith("Instead of encrypting")]
    assert '"s3EncryptionEnabled": false' in alternative


def test_both_destinations_unencrypted_rewrite_the_preferences_once() -> None:
    facts = s3_logging(
        session_preferences=prefs(s3BucketName=BUCKET, s3KeyPrefix="sessions", s3EncryptionEnabled=True,
                                  cloudWatchLogGroupName=LOG_GROUP, cloudWatchEncryptionEnabled=True),
        s3_log_bucket=bucket(encrypted=False), cloudwatch_log_group=log_group(encrypted=False),
        node_logging_access=logging_access(*WRITER, s3=True, cloudwatch=True))
    result = finding(facts, "prefs.logging")
    assert result.status is Status.FAIL
    [alternative] = [s for s in result.remediation.steps if s.startswith("Instead of encrypting")]
    assert alternative.count("SessionManagerRunShell.json") >= 1
    assert '"s3EncryptionEnabled": false' in alternative and '"cloudWatchEncryptionEnabled": false' in alternative
    assert [c.split()[:3] for c in result.remediation.commands] == [["aws", "s3api", "put-bucket-encryption"],
                                                                    ["aws", "logs", "associate-kms-key"]]


def test_key_without_usage_fields_is_a_symmetric_encryption_key() -> None:
    # CreateKey with no KeySpec/KeyUsage makes a symmetric ENCRYPT_DECRYPT key; some responses omit both.
    key = kms_key()
    del key["metadata"]["KeySpec"], key["metadata"]["KeyUsage"]
    assert finding(healthy(kms_key=key), "kms.key").status is Status.PASS


ORG_ONLY = statement("*", ["kms:Decrypt", "kms:GenerateDataKey"], sid="OrgMembers",
                     condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})


def test_an_unevaluable_extra_grant_does_not_hide_an_iam_allow() -> None:
    # Root delegation plus IAM allowing is enough, whatever the conditional statement would say.
    facts = healthy(kms_key=kms_key(policy=key_policy(ROOT, ORG_ONLY)))
    assert finding(facts, "caller.kms").status is Status.PASS
    assert finding(facts, "node.kms-decrypt").status is Status.PASS


def test_an_unevaluable_extra_grant_with_iam_silent_is_unknown() -> None:
    # IAM does not allow, but the conditional statement might: that is not a failure, it is undecidable.
    facts = healthy(kms_key=kms_key(policy=key_policy(ROOT, ORG_ONLY)),
                    caller_kms_access=caller_access(allow("ssm:StartSession")))
    result = finding(facts, "caller.kms")
    assert result.status is Status.UNKNOWN, result.summary
    assert "might still grant it" in result.summary
