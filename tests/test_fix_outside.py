"""`ssm-doctor fix` as a subprocess against the HTTP sandbox, with AWS calls counted by the server.

Counting on the server side (every request moto answers) rather than in ssm-doctor's own client
catches a mutating call made by any client the command creates. Tests that apply a remedy put
back what they changed, since the HTTP sandbox is shared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from doctor.sandbox.fleet import INSTANCE_PROFILE, KMS_ALIAS, PREFERENCES_DOCUMENT, SCENARIOS
from tests import clikit
from tests.test_reset import run_in_pty

READ_ONLY = re.compile(r"^[a-z0-9-]+:(Describe|Get|List|Simulate)[A-Za-z]*$")
REGION_OF = {s.key: s.region for s in SCENARIOS}
TIER = "/ssm/managed-instance/activation-tier"


@pytest.fixture
def server_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every operation the sandbox server answers during the test, as service:Operation."""
    from moto.core.responses import BaseResponse

    calls: list[str] = []
    original = BaseResponse.call_action

    def counted(self: Any) -> Any:
        calls.append(f"{self.service_name}:{self._get_action()}")
        return original(self)

    monkeypatch.setattr(BaseResponse, "call_action", counted)
    return calls


def mutating(calls: list[str]) -> list[str]:
    assert any(c == "sts:GetCallerIdentity" for c in calls), "the server-side count sees the calls"
    return [c for c in calls if not READ_ONLY.match(c)]


def node(sandbox: Any, key: str) -> tuple[str, str]:
    return str(sandbox.targets[key]), REGION_OF[key]


REMEDIES = [
    ("old-agent", [], "agent.version", "ssm:SendCommand"),
    ("role-without-ssmmessages", [], "node.role-permissions", "iam:AttachRolePolicy"),
    ("not-registered", ["--instance-profile", INSTANCE_PROFILE], "node.identity", "ec2:AssociateIamInstanceProfile"),
    ("kms-off", ["--kms-key", KMS_ALIAS], "prefs.kms", "ssm:UpdateDocument"),
    ("hybrid-standard", ["--accept-charges"], "hybrid.tier", "ssm:UpdateServiceSetting"),
]


@pytest.mark.parametrize("key, options, check_id, call", REMEDIES, ids=[r[2] for r in REMEDIES])
def test_dry_run_shows_the_call_and_makes_no_mutating_call(cli: Any, sandbox_http: Any, server_calls: list[str],
                                                           key: str, options: list[str], check_id: str,
                                                           call: str) -> None:
    target, region = node(sandbox_http, key)
    res = cli("fix", target, "--region", region, *options)
    assert res.code == 1, res.stdout + res.stderr
    assert f"[{check_id}]" in res.stdout and f"      {call} " in res.stdout, res.stdout
    assert "REFUSED" not in res.stdout.split(f"[{check_id}]", 1)[1].split("\n  [", 1)[0]
    assert "Run again with --apply" in res.stdout
    assert mutating(server_calls) == []


@pytest.mark.parametrize("key, options, refusal", [
    ("kms-off", ["--kms-key", "alias/no-such-key"], "does not exist"),
    ("kms-off", [], "needs --kms-key KEY"),
    ("hybrid-standard", [], "--accept-charges"),
    ("not-registered", [], "needs --instance-profile NAME"),
])
def test_apply_refuses_when_a_precondition_fails(cli: Any, sandbox_http: Any, server_calls: list[str], key: str,
                                                 options: list[str], refusal: str) -> None:
    target, region = node(sandbox_http, key)
    res = cli("fix", target, "--region", region, "--apply", "--yes", *options)
    assert res.code == 1
    assert "REFUSED" in res.stdout and refusal in res.stdout, res.stdout
    assert mutating(server_calls) == []


def test_apply_answered_no_on_a_terminal_changes_nothing(sandbox_http: Any, plugin_dir: Path, tmp_path: Path,
                                                         server_calls: list[str]) -> None:
    target, region = node(sandbox_http, "kms-off")
    res = run_in_pty(["fix", target, "--region", region, "--kms-key", KMS_ALIAS, "--apply"],
                     clikit.base_env(sandbox_http.endpoint_url, plugin_dir), tmp_path / "unused", "n")
    assert f"Apply 1 remedy to {target} in {region}? [y/N]" in res.stdout
    assert "cancelled" in res.stdout and res.code == 1
    assert mutating(server_calls) == []


# --- applied through the confirmation prompt ------------------------------------------------------------


def _preferences(ssm: Any) -> dict[str, Any]:
    return json.loads(ssm.get_document(Name=PREFERENCES_DOCUMENT)["Content"])  # type: ignore[no-any-return]


@pytest.fixture
def kms_off_preferences(sandbox_http: Any) -> Iterator[tuple[Any, dict[str, Any]]]:
    ssm = boto3.client("ssm", region_name=REGION_OF["kms-off"], endpoint_url=sandbox_http.endpoint_url)
    original = _preferences(ssm)
    yield ssm, original
    if _preferences(ssm) != original:
        version = ssm.update_document(Name=PREFERENCES_DOCUMENT, Content=json.dumps(original),
                                      DocumentVersion="$LATEST")["DocumentDescription"]["DocumentVersion"]
        ssm.update_document_default_version(Name=PREFERENCES_DOCUMENT, DocumentVersion=version)


def test_prefs_kms_applied_after_yes_on_a_terminal(sandbox_http: Any, plugin_dir: Path, tmp_path: Path,
                                                   server_calls: list[str],
                                                   kms_off_preferences: tuple[Any, dict[str, Any]]) -> None:
    ssm, original = kms_off_preferences
    target, region = node(sandbox_http, "kms-off")
    res = run_in_pty(["fix", target, "--region", region, "--kms-key", KMS_ALIAS, "--apply"],
                     clikit.base_env(sandbox_http.endpoint_url, plugin_dir), tmp_path / "unused", "y")
    assert res.code == 0, res.stdout
    assert re.search(r"^\s+prefs\.kms\s+fail → pass\s*$", res.stdout, re.M), res.stdout
    assert re.search(r"^\s+verdict\s+blocked → ready\s*$", res.stdout, re.M)
    assert mutating(server_calls) == ["ssm:UpdateDocument", "ssm:UpdateDocumentDefaultVersion"]
    expected = json.loads(json.dumps(original))
    expected["inputs"]["kmsKeyId"] = KMS_ALIAS
    assert _preferences(ssm) == expected  # only kmsKeyId changed


def test_hybrid_tier_applied_after_yes_on_a_terminal(sandbox_http: Any, plugin_dir: Path, tmp_path: Path,
                                                     server_calls: list[str]) -> None:
    target, region = node(sandbox_http, "hybrid-standard")
    ssm = boto3.client("ssm", region_name=region, endpoint_url=sandbox_http.endpoint_url)
    try:
        res = run_in_pty(["fix", target, "--region", region, "--accept-charges", "--apply"],
                         clikit.base_env(sandbox_http.endpoint_url, plugin_dir), tmp_path / "unused", "y")
        assert res.code == 0, res.stdout
        assert re.search(r"^\s+hybrid\.tier\s+fail → pass\s*$", res.stdout, re.M), res.stdout
        assert mutating(server_calls) == ["ssm:UpdateServiceSetting"]
        assert ssm.get_service_setting(SettingId=TIER)["ServiceSetting"]["SettingValue"] == "advanced"
    finally:
        ssm.reset_service_setting(SettingId=TIER)
