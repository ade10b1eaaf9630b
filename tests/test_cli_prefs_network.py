"""End to end: preferences, KMS, logging and network faults, each with exactly its own root cause.

`ssm-doctor pwreset` runs as a subprocess against the sandbox served over HTTP, the way a user runs it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from doctor.sandbox.fleet import (
    KEY_DISABLED_REGION,
    KMS_OFF_REGION,
    LOG_BUCKET_PREFIX,
    LOGGING_REGION,
    NO_KMS_ROLE,
    OPERATOR_POLICY,
    PRIVATE_REGION,
    SCENARIOS,
)
from tests.clikit import Result

CLI = Callable[..., Result]
READ_ONLY = re.compile(r"^[a-z0-9-]+:(Describe|Get|List|Simulate)[A-Za-z]*$")
NO_KMS_USER = "operator-without-kms"


def node(sandbox: Any, key: str) -> str:
    return str(sandbox.targets[key])


def region_of(key: str) -> str:
    return next(s.region for s in SCENARIOS if s.key == key)


def diagnose(cli: CLI, sandbox: Any, key: str, *extra: str, env: dict[str, str] | None = None) -> Result:
    return cli("pwreset", node(sandbox, key), "--region", region_of(key), "--format", "json", *extra, env=env)


def test_kms_off_is_prefs_kms(cli: CLI, sandbox_http: Any) -> None:
    res = diagnose(cli, sandbox_http, "kms-off")
    assert res.code == 1, res.stdout
    assert res.target()["root_causes"] == ["prefs.kms"]
    check = res.check("prefs.kms")
    assert check["problem"] == "kms-encryption-required"
    assert check["doc_url"].startswith("https://docs.aws.amazon.com/")
    commands = "\n".join(check["remediation"]["commands"])
    assert f"--region {KMS_OFF_REGION}" in commands
    assert "aws ssm update-document --name SSM-SessionManagerRunShell --content file://SessionManagerRunShell.json" \
        in commands
    assert f"ssm-doctor fix {node(sandbox_http, 'kms-off')} --kms-key" in commands
    assert [res.status(c) for c in ("kms.key", "caller.kms", "node.kms-decrypt")] == ["skip"] * 3
    assert res.check("prefs.document")["status"] == "pass"


def test_disabled_key_is_kms_key(cli: CLI, sandbox_http: Any) -> None:
    res = diagnose(cli, sandbox_http, "kms-key-disabled")
    assert res.code == 1, res.stdout
    assert res.target()["root_causes"] == ["kms.key"]
    check = res.check("kms.key")
    assert "Disabled" in check["summary"] and check["evidence"]["key_state"] == "Disabled"
    [command] = check["remediation"]["commands"]
    assert command.startswith(f"aws kms enable-key --key-id arn:aws:kms:{KEY_DISABLED_REGION}:")
    assert res.check("caller.kms")["blocked_by"] == ["kms.key"]


def test_role_without_decrypt_is_node_kms_decrypt(cli: CLI, sandbox_http: Any) -> None:
    res = diagnose(cli, sandbox_http, "role-without-decrypt")
    assert res.code == 1, res.stdout
    assert res.target()["root_causes"] == ["node.kms-decrypt"]
    check = res.check("node.kms-decrypt")
    assert NO_KMS_ROLE in check["summary"]
    assert check["evidence"]["key_policy"]["standing"] == "delegates"
    [command] = check["remediation"]["commands"]
    assert command.startswith(f"aws iam put-role-policy --role-name {NO_KMS_ROLE} ")
    assert '"Action":"kms:Decrypt"' in command and f"arn:aws:kms:{PRIVATE_REGION}:" in command


def test_unencrypted_log_bucket_is_prefs_logging(cli: CLI, sandbox_http: Any) -> None:
    res = diagnose(cli, sandbox_http, "s3-logging-unencrypted")
    assert res.code == 1, res.stdout
    assert res.target()["root_causes"] == ["prefs.logging"]
    check = res.check("prefs.logging")
    bucket = check["evidence"]["s3"]["bucket"]
    assert bucket.startswith(LOG_BUCKET_PREFIX) and bucket in check["summary"]
    assert "encryption is not set up" in check["summary"]
    assert check["evidence"]["s3"]["encryption_required"] is True
    assert check["evidence"]["region"] == LOGGING_REGION
    assert check["remediation"]["commands"][0].startswith(f"aws s3api put-bucket-encryption --bucket {bucket} ")
    # The bucket's region needs the s3 path too, and the node has it through the internet gateway.
    assert "s3" in res.check("network.path")["evidence"]["services"]


def test_private_subnet_without_endpoints(cli: CLI, sandbox_http: Any) -> None:
    res = diagnose(cli, sandbox_http, "private-no-endpoints")
    assert res.code == 1, res.stdout
    assert res.target()["root_causes"] == ["node.registered", "network.path"]
    check = res.check("network.path")
    assert check["status"] == "fail" and check["problem"] == "network-unreachable"
    evidence = check["evidence"]
    commands = check["remediation"]["commands"]
    for service in ("ssm", "ssmmessages", "ec2messages", "kms"):
        assert any(
            f"aws ec2 create-vpc-endpoint --vpc-id {evidence['vpc_id']} --vpc-endpoint-type Interface "
            f"--service-name com.amazonaws.us-east-1.{service} --subnet-ids {evidence['subnet_id']}" in c
            and c.endswith("--private-dns-enabled --region us-east-1")
            for c in commands
        ), service
    assert any(f"--source-group {evidence['security_groups'][0]}" in c for c in commands)


def test_healthy_node_behind_endpoints_is_ready(cli: CLI, sandbox_http: Any) -> None:
    res = diagnose(cli, sandbox_http, "private-endpoints", "--user", "ec2-user")
    assert res.code == 0, res.stdout
    assert res.target()["verdict"] == "ready" and res.target()["root_causes"] == []
    check = res.check("network.path")
    assert check["status"] == "pass" and "through VPC endpoints" in check["summary"]
    assert all(s["via"].startswith("interface endpoint vpce-") for s in check["evidence"]["services"].values())
    assert all(READ_ONLY.match(op) for op in res.json()["aws_calls"]), res.json()["aws_calls"]


@pytest.fixture(scope="module")
def no_kms_keys(sandbox_http: Any) -> Iterator[dict[str, str]]:
    """An IAM user with the operator's permissions except kms:GenerateDataKey, and its access keys."""
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=sandbox_http.endpoint_url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    policy = copy.deepcopy(OPERATOR_POLICY)
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if "kms:*" in actions:
            statement["Action"] = [a for a in actions if a != "kms:*"] + ["kms:DescribeKey", "kms:GetKeyPolicy",
                                                                           "kms:ListAliases"]
    iam.create_user(UserName=NO_KMS_USER)
    iam.put_user_policy(UserName=NO_KMS_USER, PolicyName="OperatorWithoutKms", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=NO_KMS_USER)["AccessKey"]
    yield {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    iam.delete_access_key(UserName=NO_KMS_USER, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=NO_KMS_USER, PolicyName="OperatorWithoutKms")
    iam.delete_user(UserName=NO_KMS_USER)


def test_caller_without_generate_data_key_is_caller_kms(cli: CLI, sandbox_http: Any,
                                                         no_kms_keys: dict[str, str]) -> None:
    res = diagnose(cli, sandbox_http, "healthy-linux", env=no_kms_keys)
    assert res.json()["caller"]["arn"].endswith(f":user/{NO_KMS_USER}")
    assert res.code == 1, res.stdout
    assert res.target()["root_causes"] == ["caller.kms"]
    check = res.check("caller.kms")
    assert check["problem"] == "kms-encryption-required"
    assert "kms:GenerateDataKey" in check["summary"]
    assert check["evidence"]["key_policy"]["deciding_statements"] == ['key policy statement "Enable IAM User '
                                                                      'Permissions"']
    [command] = check["remediation"]["commands"]
    assert command.startswith(f"aws iam put-user-policy --user-name {NO_KMS_USER} ")
    assert '"Action":"kms:GenerateDataKey"' in command


def test_kms_permissions_pass_with_deciding_statements(cli: CLI, sandbox_http: Any) -> None:
    res = diagnose(cli, sandbox_http, "healthy-linux")
    assert res.code == 0, res.stdout
    for check_id in ("prefs.document", "prefs.kms", "kms.key", "caller.kms", "node.kms-decrypt", "prefs.logging",
                     "network.path"):
        assert res.status(check_id) == "pass", res.check(check_id)["summary"]
    decrypt = res.check("node.kms-decrypt")["evidence"]
    assert any("Enable IAM User Permissions" in s for s in decrypt["deciding_statements"])
    assert any("SessionManagerKmsDecrypt" in s for s in decrypt["deciding_statements"])
    assert "lets IAM policies in the account grant use" in res.check("kms.key")["summary"]


def test_denied_get_document_is_unknown_naming_the_permission(cli: CLI, sandbox_http: Any, faults: Any) -> None:
    faults.configure(deny=["ssm:GetDocument"])
    res = diagnose(cli, sandbox_http, "healthy-linux")
    assert res.code == 3, res.stdout
    check = res.check("prefs.document")
    assert check["status"] == "unknown" and check["missing"] == ["ssm:GetDocument"]
    assert res.target()["root_causes"] == ["prefs.document"]


def test_denied_network_read_is_unknown(cli: CLI, sandbox_http: Any, faults: Any) -> None:
    faults.configure(deny=["ec2:DescribeRouteTables"])
    res = diagnose(cli, sandbox_http, "private-endpoints")
    assert res.code == 3, res.stdout
    assert res.check("network.path")["missing"] == ["ec2:DescribeRouteTables"]
    assert res.target()["root_causes"] == ["network.path"]


def test_only_network_path_makes_only_network_calls(cli: CLI, sandbox_http: Any) -> None:
    res = diagnose(cli, sandbox_http, "private-endpoints", "--only", "network.path")
    assert res.code == 0, res.stdout
    assert set(res.json()["aws_calls"]) <= {
        "sts:GetCallerIdentity", "ec2:DescribeInstances", "ec2:DescribeSubnets", "ec2:DescribeRouteTables",
        "ec2:DescribeVpcEndpoints", "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkAcls",
        "ssm:GetDocument",  # the preferences: KMS and logging add endpoints to trace
    }
    assert "kms" in res.check("network.path")["evidence"]["services"]


def test_explain_runs_the_kms_checks_on_a_target(cli: CLI, sandbox_http: Any) -> None:
    text = "Encountered error while initiating handshake. Fetching data key failed: Unable to retrieve data key"
    res = cli("explain", text, "--target", node(sandbox_http, "kms-off"), "--region", KMS_OFF_REGION)
    assert res.code == 1, res.stdout + res.stderr
    report = res.stdout.split("Root causes", 1)[1]
    assert "prefs.kms" in report and "Not checked because of this: kms.key, caller.kms, node.kms-decrypt" in report


def test_explain_json_with_a_target_is_one_document(cli: CLI, sandbox_http: Any) -> None:
    text = "Encountered error while initiating handshake. Fetching data key failed: Unable to retrieve data key"
    res = cli("explain", text, "--target", node(sandbox_http, "kms-off"), "--region", KMS_OFF_REGION,
              "--format", "json")
    assert res.code == 1, res.stdout + res.stderr
    data = res.json()
    assert data["matches"] and data["report"]["schema"] == "ssm-doctor/report/v1"
    assert data["report"]["targets"][0]["root_causes"] == ["prefs.kms"]
