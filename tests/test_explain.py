"""Tests for the error-message catalogue behind ``ssm-doctor explain``."""

from __future__ import annotations

import re

import pytest

from doctor.explain import CATALOGUE, KnownError, explain, extract_target, normalize

CHECK_IDS = frozenset(
    {
        "local.credentials",
        "local.plugin",
        "input.username",
        "ec2.instance",
        "node.registered",
        "node.online",
        "node.platform",
        "agent.version",
        "node.connectable",
        "node.identity",
        "node.role-permissions",
        "hybrid.tier",
        "network.path",
        "caller.send-command",
        "caller.start-session",
        "caller.terminate-session",
        "prefs.document",
        "prefs.kms",
        "kms.key",
        "caller.kms",
        "node.kms-decrypt",
        "prefs.logging",
        "sessions.recent-failures",
    }
)

PROBLEM_IDS = frozenset(
    {
        "managed-node-not-available",
        "agent-not-up-to-date",
        "reset-options-not-provided",
        "no-sendcommand-authorization",
        "session-manager-error",
        "plugin-not-installed",
        "advanced-tier-required",
        "kms-encryption-required",
        "start-session-not-allowed",
        "network-unreachable",
    }
)

ESC = "\x1b"


def best_id(text: str) -> str | None:
    matches = explain(text)
    return matches[0].error.id if matches else None


# --------------------------------------------------------------------------- catalogue shape


def test_catalogue_has_enough_entries() -> None:
    assert len(CATALOGUE) >= 24
    assert len(CHECK_IDS) == 23
    assert len(PROBLEM_IDS) == 10


def test_entry_ids_are_unique_slugs() -> None:
    ids = [entry.id for entry in CATALOGUE]
    assert len(ids) == len(set(ids))
    for entry_id in ids:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", entry_id), entry_id


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.id for e in CATALOGUE])
def test_entry_metadata_is_valid(entry: KnownError) -> None:
    assert entry.title.strip()
    assert entry.problem in PROBLEM_IDS
    assert entry.doc_url.startswith("https://docs.aws.amazon.com/")
    assert re.fullmatch(
        r"https://docs\.aws\.amazon\.com/systems-manager/latest/userguide/[a-z0-9-]+\.html",
        entry.doc_url,
    )
    assert entry.patterns
    for pattern in entry.patterns:
        re.compile(pattern, re.IGNORECASE)
    assert entry.causes
    referenced: set[str] = set()
    for cause in entry.causes:
        assert cause.text.strip()
        assert cause.fix.strip()
        assert set(cause.checks) <= CHECK_IDS, cause.checks
        referenced.update(cause.checks)
    assert referenced, "every entry points to at least one check"


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.id for e in CATALOGUE])
def test_example_matches_its_own_entry_best(entry: KnownError) -> None:
    matches = explain(entry.example)
    assert matches, f"{entry.id}: example does not match anything"
    assert matches[0].error.id == entry.id, [(m.error.id, m.score) for m in matches]


# --------------------------------------------------------------------------- real-world variants

VARIANTS: list[tuple[str, str, str]] = [
    (
        "enhanced-target-not-connected-hybrid",
        "An error occurred (TargetNotConnected): mi-0123456789abcdef0 is not connected.",
        "target-not-connected",
    ),
    (
        "legacy-target-not-connected-old-wording",
        "aws: [ERROR]: An error occurred (TargetNotConnected) when calling the StartSession "
        "operation: i-0fedcba9876543210 is not connected.",
        "target-not-connected",
    ),
    (
        "curly-apostrophe",
        "An error occurred (TargetNotConnected) when calling the StartSession operation: "
        "i-0123456789abcdef0 isn\u2019t connected.",
        "target-not-connected",
    ),
    (
        "enhanced-start-session-node-assumed-role",
        "An error occurred (AccessDeniedException): User: arn:aws:sts::210987654321:"
        "assumed-role/Support/bob is not authorized to perform: ssm:StartSession on resource: "
        "arn:aws:ec2:eu-central-1:210987654321:instance/i-0a1b2c3d4e5f60718 with an explicit "
        "deny in a service control policy",
        "start-session-denied-node",
    ),
    (
        "start-session-managed-instance",
        "An error occurred (AccessDeniedException) when calling the StartSession operation: "
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
        "ssm:StartSession on resource: arn:aws:ssm:ap-south-1:123456789012:managed-instance/"
        "mi-0123456789abcdef0",
        "start-session-denied-node",
    ),
    (
        "start-session-preferences-document",
        "An error occurred (AccessDeniedException): User: arn:aws:iam::123456789012:user/alice "
        "is not authorized to perform: ssm:StartSession on resource: "
        "arn:aws:ssm:eu-west-1:123456789012:document/SSM-SessionManagerRunShell",
        "start-session-denied-document",
    ),
    (
        "enhanced-terminate-session",
        "An error occurred (AccessDeniedException): User: arn:aws:sts::123456789012:"
        "assumed-role/Dev/carol is not authorized to perform: ssm:TerminateSession on "
        "resource: arn:aws:ssm:us-west-2:123456789012:session/carol-07e5d4c3b2a190817",
        "terminate-session-denied",
    ),
    (
        "ansi-and-log-lines-around-decrypt",
        "Starting session with SessionId: alice-0a1b2c3d4e5f67890\n"
        f"{ESC}[1;31m----------ERROR-------{ESC}[0m\n"
        "Encountered error while initiating handshake. Fetching data key failed: Unable to "
        "retrieve data key, Error when decrypting data key AccessDeniedException: The ciphertext "
        "refers to a customer master key that does not exist, does not exist in this region, or "
        "you are not allowed to access.\n"
        "\tstatus code: 400, request id: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\n\n"
        "SessionId: alice-0a1b2c3d4e5f67890 : Session terminated\n",
        "kms-decrypt-denied",
    ),
    (
        "wrapped-lines-generate-data-key",
        "Encountered error while initiating handshake. KMSEncryption failed on client with\n"
        "status 2 error: Failed to process action KMSEncryption: Error calling KMS\n"
        "GenerateDataKey API:\nAccessDeniedException: User: arn:aws:iam::123456789012:user/dave\n"
        "is not authorized to perform: kms:GenerateDataKey on resource:\n"
        "arn:aws:kms:ap-southeast-2:123456789012:key/0d1e2f3a-4b5c-6d7e-8f9a-0b1c2d3e4f5a",
        "kms-generate-data-key-denied",
    ),
    (
        "json-escaped-newlines-no-credentials",
        '{"level":"error","msg":"----------ERROR-------\\nEncountered error while initiating '
        "handshake. KMSEncryption failed on client with status 2 error: Failed to process action "
        "KMSEncryption: Error calling KMS GenerateDataKey API: NoCredentialProviders: no valid "
        "providers in chain. Deprecated.\\n\\tFor verbose messaging see "
        'aws.Config.CredentialsChainVerboseErrors"}',
        "kms-no-credential-providers",
    ),
    (
        "x509-other-region",
        "Error calling KMS GenerateDataKey API: RequestError: send request failed\r\ncaused by: "
        'Post "https://kms.ap-southeast-2.amazonaws.com/": x509: certificate signed by unknown '
        "authority",
        "kms-x509-unknown-authority",
    ),
    (
        "invalid-ciphertext-beats-fetching-failed",
        "Encountered error while initiating handshake. Fetching data key failed: Unable to "
        "retrieve data key, Error when decrypting data key InvalidCiphertextException:",
        "kms-invalid-ciphertext",
    ),
    (
        "agent-too-old-with-ansi",
        f"{ESC}[33mPlugin with name InteractiveCommands is not supported by this version of "
        f"ssm agent, please update to latest version. Step name: InteractiveCommands{ESC}[0m",
        "agent-too-old-for-password-reset",
    ),
    (
        "agent-port-plugin-not-supported",
        "Plugin with name Port is not supported by this version of ssm agent, please update to "
        "latest version. Step name: Port",
        "agent-plugin-not-supported",
    ),
    (
        "windows-plugin-not-on-path",
        "'session-manager-plugin' is not recognized as an internal or external command,\r\n"
        "operable program or batch file.",
        "plugin-not-found",
    ),
    (
        "bash-plugin-command-not-found",
        "bash: session-manager-plugin: command not found",
        "plugin-not-found",
    ),
    (
        "docs-wording-of-banner",
        "\nThe Session Manager plugin is installed successfully. Use the AWS CLI to start a session.\n\n",
        "plugin-installed-banner",
    ),
    (
        "bad-request-empty-message",
        "An error occurred (BadRequest) when calling the StartSession operation: ",
        "advanced-tier-required",
    ),
    (
        "scp-deny-control-channel",
        "<AccessDeniedException>\n  <Message>User: arn:aws:sts::210987654321:assumed-role/"
        "AmazonSSMRoleForInstancesQuickSetup/i-0a1b2c3d4e5f60718 is not authorized to perform: "
        "ssmmessages:CreateControlChannel on resource: arn:aws:ssmmessages:eu-west-1:"
        "210987654321:* with an explicit deny in a service control policy</Message>\n"
        "</AccessDeniedException>",
        "ssmmessages-scp-deny",
    ),
    (
        "ssmmessages-identity-policy",
        "User: arn:aws:sts::123456789012:assumed-role/ec2-basic/i-0123456789abcdef0 is not "
        "authorized to perform: ssmmessages:CreateControlChannel on resource: "
        "arn:aws:ssmmessages:us-east-1:123456789012:* because no identity-based policy allows "
        "the ssmmessages:CreateControlChannel action",
        "datachannel-not-authenticated",
    ),
    (
        "s3-logging-encryption",
        "Your session has been terminated for the following reasons: We couldn't start the "
        "session because encryption is not set up on the selected Amazon S3 bucket. Either "
        "encrypt the bucket or choose an option to enable logging without encryption.",
        "logging-encryption-not-set-up",
    ),
    (
        "websocket-control-frame",
        "2024-05-01 10:00:00 ERROR [ssm-session-worker] websocket: control frame length > 125",
        "websocket-abnormal-close",
    ),
    (
        "random-challenge",
        "----------ERROR-------\nEncountered error while initiating handshake. client does not "
        "support required encryption context random challenge",
        "encryption-challenge-failed",
    ),
    (
        "handshake-timed-out-bare",
        "Handshake timed out. Please ensure that you have the latest version of the session manager plugin.",
        "handshake-timed-out",
    ),
    (
        "govcloud-send-command",
        "An error occurred (AccessDeniedException): User: arn:aws-us-gov:iam::123456789012:"
        "user/erin is not authorized to perform: ssm:SendCommand on resource: "
        "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-0123456789abcdef0",
        "send-command-denied",
    ),
    (
        "enhanced-invalid-document",
        "An error occurred (InvalidDocument): The specified SSM document doesn't exist.",
        "invalid-document",
    ),
    (
        "too-many-open-files-agent-log",
        "2024-05-01 10:00:00 ERROR [ssm-session-worker] [alice-0a1b2c3d4e5f67890] failed to "
        "create channel: too many open files",
        "document-worker-timed-out",
    ),
    (
        "runas-other-user",
        "----------ERROR-------\nfailed to start pty since RunAs user jenkins does not exist\n",
        "runas-user-missing",
    ),
    (
        "websocket-sign-newer-plugin",
        "Failed to sign websocket, SSOProviderInvalidToken: the SSO session has expired or is invalid",
        "websocket-sign-failed",
    ),
    (
        "kms-key-pending-deletion",
        "Error calling KMS GenerateDataKey API: KMSInvalidStateException: arn:aws:kms:"
        "us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab is pending deletion.",
        "kms-key-unusable",
    ),
    (
        "dhmc-agent-log-line",
        "2024-05-01 10:00:00 ERROR EC2RoleProvider Failed to connect to Systems Manager with "
        "SSM role credentials. error calling RequestManagedInstanceRoleToken: "
        "AccessDeniedException: Systems Manager's instance management role is not configured "
        "for account: 210987654321\n\tstatus code: 400, request id: 1a2b3c4d",
        "instance-management-role-not-configured",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_real_world_variants(text: str, expected: str) -> None:
    matches = explain(text)
    assert matches, "no match"
    assert matches[0].error.id == expected, [(m.error.id, m.score) for m in matches]


def test_variant_table_is_large_enough() -> None:
    assert len(VARIANTS) >= 15
    assert {expected for _, _, expected in VARIANTS} <= {e.id for e in CATALOGUE}


# --------------------------------------------------------------------------- ordering


def test_terminate_session_is_not_reported_as_start_session() -> None:
    ids = [m.error.id for m in explain(_entry("terminate-session-denied").example)]
    assert "start-session-denied-node" not in ids
    assert "start-session-denied-document" not in ids


def test_document_denial_outranks_generic_start_session() -> None:
    matches = explain(_entry("start-session-denied-document").example)
    ids = [m.error.id for m in matches]
    assert ids[0] == "start-session-denied-document"
    assert "start-session-denied-node" in ids
    assert matches[0].score > matches[ids.index("start-session-denied-node")].score


def test_caller_and_node_kms_errors_are_distinguished() -> None:
    caller = [m.error.id for m in explain(_entry("kms-generate-data-key-denied").example)]
    node = [m.error.id for m in explain(_entry("kms-decrypt-denied").example)]
    assert caller[0] == "kms-generate-data-key-denied"
    assert "kms-decrypt-denied" not in caller
    assert node[0] == "kms-decrypt-denied"
    assert "kms-generate-data-key-denied" not in node


def test_not_supported_and_not_found_are_different_entries() -> None:
    assert best_id("Plugin with name Standard_Stream not found. Step name: Standard_Stream") == (
        "agent-plugin-not-found"
    )
    ids = [m.error.id for m in explain(_entry("agent-plugin-not-supported").example)]
    assert "agent-plugin-not-found" not in ids


def test_several_matches_are_all_returned_best_first() -> None:
    matches = explain(_entry("kms-invalid-ciphertext").example)
    ids = [m.error.id for m in matches]
    assert ids[0] == "kms-invalid-ciphertext"
    assert {"kms-decrypt-denied", "session-handshake-failed"} <= set(ids)
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert len(ids) == len(set(ids))


def test_two_pasted_errors_both_reported() -> None:
    text = _entry("terminate-session-denied").example + "\n\n" + _entry("plugin-not-found").example
    ids = {m.error.id for m in explain(text)}
    assert {"terminate-session-denied", "plugin-not-found"} <= ids


# --------------------------------------------------------------------------- no match

UNKNOWN = [
    ("hello", "hello world"),
    ("empty", ""),
    ("whitespace", "   \n\t  "),
    (
        "s3-no-such-bucket",
        "An error occurred (NoSuchBucket) when calling the GetObject operation: The specified bucket does not exist",
    ),
    (
        "ec2-unauthorized",
        "An error occurred (UnauthorizedOperation) when calling the DescribeInstances operation: "
        "You are not authorized to perform this operation. User: arn:aws:iam::123456789012:"
        "user/alice is not authorized to perform: ec2:DescribeInstances",
    ),
]


@pytest.mark.parametrize("text", [u[1] for u in UNKNOWN], ids=[u[0] for u in UNKNOWN])
def test_unrelated_text_matches_nothing(text: str) -> None:
    assert explain(text) == []


# --------------------------------------------------------------------------- normalisation


def test_normalize_strips_ansi_and_collapses_whitespace() -> None:
    raw = f"{ESC}[31mHandshake{ESC}[0m   timed\r\n\tout\\n done"
    assert normalize(raw) == "Handshake timed out done"


# --------------------------------------------------------------------------- extract_target


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "An error occurred (TargetNotConnected) when calling the StartSession operation: "
            "i-0123456789abcdef0 isn't connected.",
            "i-0123456789abcdef0",
        ),
        (
            "not authorized to perform: ssm:StartSession on resource: arn:aws:ssm:us-east-1:"
            "123456789012:managed-instance/mi-0123456789abcdef0",
            "mi-0123456789abcdef0",
        ),
        ("assumed-role/ssm-role/i-0123456789abcdef0 is not authorized", "i-0123456789abcdef0"),
        ("legacy short id i-1a2b3c4d in a message", "i-1a2b3c4d"),
        (f"{ESC}[1mi-0123456789abcdef0{ESC}[0m", "i-0123456789abcdef0"),
        ("hello world", None),
        ("session id alice-0a1b2c3d4e5f67890 only", None),
        ("ami-0123456789abcdef0 is an image, not a node", None),
    ],
)
def test_extract_target(text: str, expected: str | None) -> None:
    assert extract_target(text) == expected


def _entry(entry_id: str) -> KnownError:
    for entry in CATALOGUE:
        if entry.id == entry_id:
            return entry
    raise KeyError(entry_id)


# --- the command, as a subprocess ------------------------------------------------------------------


def _explain_cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    import os

    from tests import clikit

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", NO_COLOR="1")
    res = clikit.run(["explain", *args], env, stdin=stdin)
    return res.code, res.stdout, res.stderr


def test_cli_reads_stdin_with_dash() -> None:
    entry = next(e for e in CATALOGUE if e.id == "target-not-connected")
    code, out, err = _explain_cli("-", stdin=entry.example + "\n")
    assert code == 0, err
    assert "target-not-connected" in out and "node.connectable" in out


def test_cli_unknown_text_says_so_and_exits_1() -> None:
    code, out, err = _explain_cli("the coffee machine is out of beans")
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "no known" in err and "Traceback" not in err


def test_cli_json_lists_matches_with_their_checks() -> None:
    import json

    entry = next(e for e in CATALOGUE if e.id == "node-not-configured-for-session-manager")
    code, out, _ = _explain_cli("--format", "json", entry.example)
    assert code == 0
    data = json.loads(out)
    assert data["matches"][0]["id"] == entry.id
    checks = {c for cause in data["matches"][0]["causes"] for c in cause["checks"]}
    assert {"node.identity", "node.role-permissions", "agent.version", "network.path"} <= checks
