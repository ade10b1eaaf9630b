"""Map a pasted Session Manager / AWS CLI error message to its likely causes.

``explain(text)`` normalises the pasted text (ANSI colour codes removed, escaped
line breaks undone, whitespace collapsed) and matches it against ``CATALOGUE``.
Each catalogue entry names the documented problem it belongs to, the checks of
``ssm-doctor pwreset`` that confirm or rule out each cause, and what to do.

The module is pure: it makes no AWS calls and holds no CLI code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

__all__ = [
    "CATALOGUE",
    "Cause",
    "KnownError",
    "Match",
    "explain",
    "extract_target",
    "normalize",
]

_DOCS = "https://docs.aws.amazon.com/systems-manager/latest/userguide/"


def _doc(page: str) -> str:
    return f"{_DOCS}{page}.html"


@dataclass(frozen=True)
class Cause:
    """One likely reason behind an error message."""

    text: str
    checks: tuple[str, ...]
    fix: str


@dataclass(frozen=True)
class KnownError:
    """A recognisable error message and what usually lies behind it."""

    id: str
    title: str
    patterns: tuple[str, ...]
    problem: str
    doc_url: str
    causes: tuple[Cause, ...]
    example: str


@dataclass(frozen=True)
class Match:
    """A catalogue entry that matched the pasted text."""

    error: KnownError
    score: float


# Fragments shared by several patterns.
_DENIED = r"not authorized to perform:\s*"
_KMS_API = r"GenerateDataKey API:\s*"

CATALOGUE: tuple[KnownError, ...] = (
    # ------------------------------------------------------------------ caller machine
    KnownError(
        id="plugin-not-found",
        title="The Session Manager plugin is not installed or not on PATH",
        patterns=(
            r"SessionManagerPlugin is not found",
            r"session-manager-plugin-not-found",
            r"session-manager-plugin'? is not recognized as an internal or external command",
            r"session-manager-plugin: (?:command )?not found",
            r"No such file or directory: '?session-manager-plugin",
        ),
        problem="plugin-not-installed",
        doc_url=_doc("session-manager-working-with-install-plugin"),
        causes=(
            Cause(
                text="The session-manager-plugin executable is absent from the machine that ran "
                "the command. The AWS CLI only obtains a session from the service; the plugin is "
                "what actually connects to the node.",
                checks=("local.plugin",),
                fix="Install the Session Manager plugin for your operating system, then confirm "
                "it answers: `session-manager-plugin --version`.",
            ),
            Cause(
                text="The plugin is installed but the shell cannot find it. The Windows installer "
                "does not always add its folder to PATH.",
                checks=("local.plugin",),
                fix="Add `C:\\Program Files\\Amazon\\SessionManagerPlugin\\bin\\` (or the "
                "`Program Files (x86)` variant on 32-bit Windows) to PATH, or on Linux/macOS make "
                "sure `/usr/local/bin/session-manager-plugin` exists, then open a new terminal.",
            ),
        ),
        example="SessionManagerPlugin is not found. Please refer to SessionManager Documentation "
        "here: http://docs.aws.amazon.com/console/systems-manager/session-manager-plugin-not-found",
    ),
    KnownError(
        id="terminate-session-denied",
        title="TerminateSession was refused (usually a missing plugin in disguise)",
        patterns=(
            _DENIED + r"ssm:TerminateSession",
            r"\(AccessDeniedException\) when calling the TerminateSession operation",
        ),
        problem="plugin-not-installed",
        doc_url=_doc("session-manager-troubleshooting"),
        causes=(
            Cause(
                text="The AWS CLI started the session, could not launch session-manager-plugin, "
                "and then tried to close the orphaned session. That clean-up call was refused, so "
                "the permission error hides the real problem: the plugin is missing.",
                checks=("local.plugin",),
                fix="Run `session-manager-plugin --version`; if it is not found, install or "
                "reinstall the plugin and retry.",
            ),
            Cause(
                text="Your identity may not end its own sessions (ssm:TerminateSession is not "
                "granted on session ARNs that begin with your user name).",
                checks=("caller.terminate-session",),
                fix="Allow `ssm:TerminateSession` and `ssm:ResumeSession` on "
                "`arn:aws:ssm:*:*:session/${aws:username}-*` (or the equivalent for your role).",
            ),
        ),
        example="An error occurred (AccessDeniedException) when calling the TerminateSession "
        "operation: User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
        "ssm:TerminateSession on resource: arn:aws:ssm:us-east-1:123456789012:session/"
        "alice-0a1b2c3d4e5f67890 because no identity-based policy allows the "
        "ssm:TerminateSession action",
    ),
    KnownError(
        id="start-session-no-tty",
        title="The plugin ran without a terminal",
        patterns=(
            r"Cannot perform start session:\s*EOF",
            r"Cannot perform start session",
        ),
        problem="session-manager-error",
        doc_url=_doc("session-manager-working-with-sessions-start"),
        causes=(
            Cause(
                text="The command ran where no interactive terminal is attached (a CI job, a "
                "pipe, a cron entry). A password reset prompts for the new password, so it "
                "cannot work without one.",
                checks=(),
                fix="Run the reset from an interactive terminal. If it has to run inside a "
                "script, give it a pseudo-terminal, e.g. `script -q -c '<command>' /dev/null` "
                "on Linux or `unbuffer <command>`.",
            ),
            Cause(
                text="A wrapper handed the plugin an empty or malformed session response.",
                checks=("local.plugin",),
                fix="Start the session with the AWS CLI itself (or `ssm-doctor pwreset "
                "<instance-id> --user <user-name> --reset`) to rule out the wrapper.",
            ),
        ),
        example="Cannot perform start session: EOF",
    ),
    KnownError(
        id="plugin-unknown-operation",
        title="The plugin was called with the wrong arguments",
        patterns=(r"Unknown operation .{0,400}?Use session-manager-plugin --version",),
        problem="session-manager-error",
        doc_url=_doc("session-manager-working-with-install-plugin"),
        causes=(
            Cause(
                text="session-manager-plugin is not meant to be run by hand with a sub-command; "
                "it expects the full argument list the AWS CLI passes after StartSession. With "
                "fewer arguments it refuses with this message.",
                checks=("local.plugin",),
                fix="Start sessions through `aws ssm start-session --target <instance-id> "
                "--document-name AWS-PasswordReset --parameters "
                '\'{"username":["<user-name>"]}\'`. To only test the plugin, run '
                "`session-manager-plugin --version`.",
            ),
        ),
        example="Unknown operation start-session. \nUse session-manager-plugin --version to check the version.",
    ),
    KnownError(
        id="plugin-installed-banner",
        title="Not an error: the plugin was run without arguments",
        patterns=(r"Session Manager plugin (?:was|is) installed successfully",),
        problem="session-manager-error",
        doc_url=_doc("session-manager-working-with-install-plugin"),
        causes=(
            Cause(
                text="This banner is what session-manager-plugin prints when it is started with "
                "no arguments. It proves the plugin is installed and runnable; nothing failed.",
                checks=("local.plugin",),
                fix="Nothing to repair. Start the reset through the AWS CLI (`aws ssm "
                "start-session --target <instance-id> --document-name AWS-PasswordReset "
                '--parameters \'{"username":["<user-name>"]}\'`) or with `ssm-doctor pwreset '
                "<instance-id> --user <user-name> --reset`.",
            ),
        ),
        example="The Session Manager plugin was installed successfully. Use the AWS CLI to start a session.",
    ),
    KnownError(
        id="cli-lacks-encryption-support",
        title="The caller's CLI or wrapper cannot take part in KMS encryption",
        patterns=(r"Installed version of CLI does not support Session Manager encryption feature",),
        problem="kms-encryption-required",
        doc_url=_doc("session-preferences-enable-encryption"),
        causes=(
            Cause(
                text="Session encryption with KMS is on, and the program that launched the "
                "plugin passed the short, old-style argument list (no profile slot). The plugin "
                "takes that as a CLI too old for encryption and gives up.",
                checks=("prefs.kms", "local.plugin"),
                fix="Upgrade the AWS CLI to a current release. If an IDE extension or script "
                "launches the plugin, update it or make it pass all six arguments (response, "
                "region, StartSession, profile, request JSON, endpoint).",
            ),
        ),
        example="Encountered error while initiating handshake. KMSEncryption failed on client "
        "with status 2 error: Installed version of CLI does not support Session Manager "
        "encryption feature. Please upgrade to the latest version of your CLI (e.g., AWS CLI).",
    ),
    # ------------------------------------------------------------------ StartSession responses
    KnownError(
        id="target-not-connected",
        title="The node is not connected to Session Manager",
        patterns=(
            r"\(TargetNotConnected\)",
            r"TargetNotConnected",
            r"\bm?i-[0-9a-f]{8,17}\s+(?:isn't|is not) connected",
        ),
        problem="managed-node-not-available",
        doc_url=_doc("session-manager-troubleshooting"),
        causes=(
            Cause(
                text="The node is stopped, its SSM Agent is not running, or it has not checked "
                "in with Systems Manager recently.",
                checks=("ec2.instance", "node.registered", "node.online", "node.connectable"),
                fix="Look at its ping status: `aws ssm describe-instance-information --filters "
                "Key=InstanceIds,Values=<instance-id> --region <region>`, then "
                "`aws ssm get-connection-status --target <instance-id> --region <region>`.",
            ),
            Cause(
                text="The command was sent to the wrong Region or account; the node exists, "
                "just not where the call went.",
                checks=("local.credentials", "ec2.instance"),
                fix="Repeat with the node's Region and account: add `--region <region>` and "
                "`--profile <profile>`, and compare with `aws sts get-caller-identity`.",
            ),
            Cause(
                text="The node's IAM role cannot open Session Manager channels (no "
                "ssmmessages permissions), or no role is available to the agent at all.",
                checks=("node.identity", "node.role-permissions"),
                fix="Attach `AmazonSSMManagedInstanceCore` to the node's role: `aws iam "
                "attach-role-policy --role-name <role-name> --policy-arn "
                "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore`, then restart the agent.",
            ),
            Cause(
                text="The node cannot reach the ssm, ssmmessages and ec2messages endpoints "
                "over HTTPS (no NAT or internet route, missing VPC endpoints, or a security "
                "group blocking port 443).",
                checks=("network.path",),
                fix="Give the subnet a route out (NAT or internet gateway) or create interface "
                "endpoints for ssm, ssmmessages and ec2messages with private DNS and a security "
                "group that admits 443 from the node.",
            ),
            Cause(
                text="The SSM Agent on the node is too old for Session Manager.",
                checks=("agent.version",),
                fix="Update it: `aws ssm send-command --document-name AWS-UpdateSSMAgent "
                "--instance-ids <instance-id> --region <region>`.",
            ),
        ),
        example="An error occurred (TargetNotConnected) when calling the StartSession operation: "
        "i-0123456789abcdef0 isn't connected.",
    ),
    KnownError(
        id="node-not-configured-for-session-manager",
        title="The console does not offer the node to Session Manager",
        patterns=(
            r"(?:isn't|is not) configured to use Session Manager",
            r"instance you selected (?:isn't|is not) configured",
        ),
        problem="managed-node-not-available",
        doc_url=_doc("session-manager-troubleshooting"),
        causes=(
            Cause(
                text="SSM Agent has no usable identity, or its role lacks the Session Manager "
                "actions (ssm:UpdateInstanceInformation and the ssmmessages channel actions). "
                "A role attached while the agent was running is only picked up after a restart.",
                checks=("node.identity", "node.role-permissions", "node.registered"),
                fix="Attach an instance profile whose role has `AmazonSSMManagedInstanceCore` "
                "(or turn on Default Host Management), then restart SSM Agent on the node.",
            ),
            Cause(
                text="The node has not checked in recently: stopped, agent not running, or no "
                "HTTPS path to the ssm, ssmmessages and ec2messages endpoints.",
                checks=("ec2.instance", "node.online", "network.path"),
                fix="Start the node and its agent, and give the subnet a NAT or internet route, "
                "or interface endpoints for the three services.",
            ),
            Cause(
                text="SSM Agent on the node predates Session Manager support.",
                checks=("agent.version",),
                fix="Update it with Run Command: `aws ssm send-command --document-name "
                "AWS-UpdateSSMAgent --instance-ids <instance-id> --region <region>`.",
            ),
            Cause(
                text="The node is short of CPU or memory and the agent cannot keep its channels "
                "open; no API shows this, so look at the node's own metrics.",
                checks=(),
                fix="Check the node's CPU and memory, and restart SSM Agent once it has room.",
            ),
        ),
        example="The instance you selected isn't configured to use Session Manager.",
    ),
    KnownError(
        id="advanced-tier-required",
        title="Hybrid node sessions need the advanced-instances tier",
        patterns=(
            r"Enable advanced-instances tier to use Session Manager",
            r"advanced-instances tier",
            r"\(BadRequest\) when calling the StartSession operation",
        ),
        problem="advanced-tier-required",
        doc_url=_doc("systems-manager-managedinstances-advanced"),
        causes=(
            Cause(
                text="The target is a hybrid (mi-) node and the account's activation tier in "
                "this Region is still standard. Session Manager only serves non-EC2 nodes on "
                "the advanced tier.",
                checks=("hybrid.tier",),
                fix="Switch the Region to the advanced tier (it is billed per node): `aws ssm "
                "update-service-setting --setting-id arn:aws:ssm:<region>:<account-id>:"
                "servicesetting/ssm/managed-instance/activation-tier --setting-value advanced`.",
            ),
        ),
        example="An error occurred (BadRequest) when calling the StartSession operation: Enable "
        "advanced-instances tier to use Session Manager with your on-premises instances",
    ),
    KnownError(
        id="start-session-denied-document",
        title="StartSession refused on the AWS-PasswordReset document",
        patterns=(_DENIED + r"ssm:StartSession on resource:\s*arn:aws[\w-]*:ssm:[^\s]*:document/",),
        problem="start-session-not-allowed",
        doc_url=_doc("getting-started-restrict-access-quickstart"),
        causes=(
            Cause(
                text="Your policy allows sessions on the node but does not list the session "
                "document. StartSession is authorised twice, once for the node and once for the "
                "document (here AWS-PasswordReset).",
                checks=("caller.start-session",),
                fix="Add `arn:aws:ssm:<region>::document/AWS-PasswordReset` (or "
                "`arn:aws:ssm:*:*:document/AWS-PasswordReset`) to the Resource list of the "
                "statement that allows `ssm:StartSession`.",
            ),
            Cause(
                text="A condition in the policy cannot be satisfied for the document, e.g. a "
                "resource-tag condition written without IfExists, or an explicit deny in an "
                "SCP or permissions boundary.",
                checks=("caller.start-session",),
                fix="Check with `aws iam simulate-principal-policy --policy-source-arn "
                "<caller-arn> --action-names ssm:StartSession --resource-arns "
                "arn:aws:ssm:<region>::document/AWS-PasswordReset`; rewrite tag conditions "
                "as `...IfExists` and review SCPs, which the simulator cannot see.",
            ),
        ),
        example="An error occurred (AccessDeniedException) when calling the StartSession "
        "operation: User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
        "ssm:StartSession on resource: arn:aws:ssm:us-east-1::document/AWS-PasswordReset "
        "because no identity-based policy allows the ssm:StartSession action",
    ),
    KnownError(
        id="start-session-denied-node",
        title="StartSession refused on the node",
        patterns=(
            _DENIED + r"ssm:StartSession on resource:\s*arn:aws[\w-]*:ec2:[^\s]*:instance/",
            _DENIED + r"ssm:StartSession on resource:\s*arn:aws[\w-]*:ssm:[^\s]*:managed-instance/",
            _DENIED + r"ssm:StartSession",
        ),
        problem="start-session-not-allowed",
        doc_url=_doc("session-manager-getting-started-restrict-access"),
        causes=(
            Cause(
                text="No identity policy of yours allows ssm:StartSession on this node "
                "(an EC2 instance ARN, or a managed-instance ARN for hybrid nodes).",
                checks=("caller.start-session",),
                fix="Allow `ssm:StartSession` on `arn:aws:ec2:<region>:<account-id>:instance/"
                "<instance-id>` (hybrid: `arn:aws:ssm:<region>:<account-id>:managed-instance/"
                "<instance-id>`) together with the `AWS-PasswordReset` document.",
            ),
            Cause(
                text="An allow exists but something overrides it: an explicit deny, a "
                "permissions boundary, a service control policy, or a tag condition the node "
                "does not meet.",
                checks=("caller.start-session",),
                fix="Simulate the call: `aws iam simulate-principal-policy --policy-source-arn "
                "<caller-arn> --action-names ssm:StartSession --resource-arns "
                "arn:aws:ec2:<region>:<account-id>:instance/<instance-id>`, and ask the "
                "organisation admins about SCPs if the simulation allows it.",
            ),
        ),
        example="An error occurred (AccessDeniedException) when calling the StartSession "
        "operation: User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
        "ssm:StartSession on resource: arn:aws:ec2:us-east-1:123456789012:instance/"
        "i-0123456789abcdef0",
    ),
    KnownError(
        id="invalid-document",
        title="The session document could not be found",
        patterns=(r"\(InvalidDocument\)", r"\bInvalidDocument\b"),
        problem="session-manager-error",
        doc_url=_doc("session-manager-troubleshooting"),
        causes=(
            Cause(
                text="The document name is misspelt, or the call went to a Region where that "
                "document is not available to you.",
                checks=("local.credentials",),
                fix="Use exactly `AWS-PasswordReset` and the node's Region; confirm with `aws "
                "ssm describe-document --name AWS-PasswordReset --region <region>`.",
            ),
            Cause(
                text="The Session Manager preferences document (SSM-SessionManagerRunShell) "
                "has never been created in this Region, or a custom preferences document was "
                "named that does not exist.",
                checks=("prefs.document",),
                fix="Create or inspect the preferences: `aws ssm get-document --name "
                "SSM-SessionManagerRunShell --document-format JSON --region <region>`.",
            ),
        ),
        example="An error occurred (InvalidDocument) when calling the StartSession operation",
    ),
    KnownError(
        id="send-command-denied",
        title="No permission to run ssm:SendCommand on the node",
        patterns=(
            _DENIED + r"ssm:SendCommand",
            r"\(AccessDeniedException\) when calling the SendCommand operation",
            r"not authorized to run\s*`?ssm:SendCommand",
        ),
        problem="no-sendcommand-authorization",
        doc_url=_doc("managed-instances-password-reset"),
        causes=(
            Cause(
                text="Password reset expects the caller to be able to run commands on the node "
                "(the console uses it, for example, to update an old agent), and no policy "
                "grants ssm:SendCommand for this node.",
                checks=("caller.send-command",),
                fix="Allow `ssm:SendCommand` on `arn:aws:ec2:<region>:<account-id>:instance/"
                "<instance-id>` and on the documents you run (e.g. "
                "`arn:aws:ssm:<region>::document/AWS-UpdateSSMAgent`); check with `aws iam "
                "simulate-principal-policy --policy-source-arn <caller-arn> --action-names "
                "ssm:SendCommand`.",
            ),
        ),
        example="An error occurred (AccessDeniedException) when calling the SendCommand "
        "operation: User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
        "ssm:SendCommand on resource: arn:aws:ec2:us-east-1:123456789012:instance/"
        "i-0123456789abcdef0 because no identity-based policy allows the ssm:SendCommand action",
    ),
    KnownError(
        id="invalid-instance-id",
        title="Systems Manager does not consider the node usable",
        patterns=(
            r"\(InvalidInstanceId\)",
            r"\bInvalidInstanceId\b",
            r"not in a valid state for account",
        ),
        problem="managed-node-not-available",
        doc_url=_doc("troubleshooting-managed-instances"),
        causes=(
            Cause(
                text="The node is not a managed node in this account and Region, is stopped, "
                "or its agent has stopped reporting.",
                checks=("ec2.instance", "node.registered", "node.online"),
                fix="Check it with `aws ssm describe-instance-information --filters "
                "Key=InstanceIds,Values=<instance-id> --region <region>`; if it is missing, "
                "verify the Region, the agent service and the node's IAM role.",
            ),
        ),
        example="An error occurred (InvalidInstanceId) when calling the SendCommand operation: "
        "Instances [[i-0123456789abcdef0]] not in a valid state for account 123456789012",
    ),
    # ------------------------------------------------------------------ agent on the node
    KnownError(
        id="agent-too-old-for-password-reset",
        title="The SSM Agent is too old for password reset",
        patterns=(r"Plugin with name InteractiveCommands is not supported",),
        problem="reset-options-not-provided",
        doc_url=_doc("managed-instances-password-reset"),
        causes=(
            Cause(
                text="AWS-PasswordReset runs as an InteractiveCommands session, which the agent "
                "only understands from version 2.3.668.0 on. The agent on this node is older, "
                "so no password prompt can appear.",
                checks=("agent.version",),
                fix="Update the agent, then retry: `aws ssm send-command --document-name "
                "AWS-UpdateSSMAgent --instance-ids <instance-id> --region <region>`.",
            ),
        ),
        example="Plugin with name InteractiveCommands is not supported by this version of ssm "
        "agent, please update to latest version. Step name: InteractiveCommands",
    ),
    KnownError(
        id="agent-plugin-not-supported",
        title="The SSM Agent is too old for this session type",
        patterns=(
            r"Plugin with name \S+ is not supported",
            r"is not supported by this version of ssm agent",
        ),
        problem="agent-not-up-to-date",
        doc_url=_doc("session-manager-troubleshooting"),
        causes=(
            Cause(
                text="The agent predates the session plugin named in the message. For a "
                "password reset the plugin is InteractiveCommands, which needs agent 2.3.668.0 "
                "or later.",
                checks=("agent.version",),
                fix="Update the agent: `aws ssm send-command --document-name AWS-UpdateSSMAgent "
                "--instance-ids <instance-id> --region <region>`.",
            ),
        ),
        example="Plugin with name Standard_Stream is not supported by this version of ssm agent, "
        "please update to latest version. Step name: Standard_Stream",
    ),
    KnownError(
        id="agent-plugin-not-found",
        title="The SSM Agent build lacks the session plugin",
        patterns=(r"Plugin with name \S+ not found",),
        problem="agent-not-up-to-date",
        doc_url=_doc("troubleshooting-ssm-agent"),
        causes=(
            Cause(
                text="The agent knows the session type but has no handler for it on this "
                "platform, which points to an unusual or broken agent installation (a custom "
                "build, a partial upgrade) or an unsupported operating system.",
                checks=("agent.version", "node.platform"),
                fix="Reinstall the official agent or update it with `aws ssm send-command "
                "--document-name AWS-UpdateSSMAgent --instance-ids <instance-id> --region "
                "<region>`, and confirm the platform is Windows, Linux or macOS.",
            ),
        ),
        example="Plugin with name Standard_Stream not found. Step name: Standard_Stream",
    ),
    KnownError(
        id="document-worker-timed-out",
        title="The agent could not start a session worker",
        patterns=(
            r"document worker timed out",
            r"failed to create channel:\s*too many open files",
            r"too many open files",
        ),
        problem="session-manager-error",
        doc_url=_doc("session-manager-troubleshooting"),
        causes=(
            Cause(
                text="Too many session workers are alive on the node and it ran out of inotify "
                "instances or file handles.",
                checks=("sessions.recent-failures",),
                fix="Close stale sessions (`aws ssm describe-sessions --state Active --filters "
                "key=Target,value=<instance-id>` then `aws ssm terminate-session --session-id "
                "<session-id>`) and raise the limit on the node: `sudo sysctl -w "
                "fs.inotify.max_user_instances=8192`.",
            ),
            Cause(
                text="The node is starved of memory or disk, so the worker process died before it could report.",
                checks=("node.online",),
                fix="Free disk space and memory on the node, then restart the amazon-ssm-agent "
                "service and read the ssm-session-worker log for the crash reason.",
            ),
        ),
        example="document process failed unexpectedly: document worker timed out, check "
        "[ssm-document-worker]/[ssm-session-worker] log for crash reason",
    ),
    KnownError(
        id="runas-user-missing",
        title="The Run As user does not exist on the node",
        patterns=(
            r"failed to start pty since RunAs user \S+ does not exist",
            r"RunAs user \S+ does not exist",
        ),
        problem="session-manager-error",
        doc_url=_doc("session-preferences-run-as"),
        causes=(
            Cause(
                text="Run As is switched on in the Session Manager preferences and the OS "
                "account it picked (your SSMSessionRunAs tag, or the default user in the "
                "preferences) is not present on this node. There is no fallback to ssm-user.",
                checks=("prefs.document",),
                fix="Create that OS user on the node, correct the `SSMSessionRunAs` tag on your "
                "IAM user or role, or change `runAsDefaultUser` in SSM-SessionManagerRunShell.",
            ),
        ),
        example="failed to start pty since RunAs user ssm-operator does not exist",
    ),
    # ------------------------------------------------------------------ node identity and role
    KnownError(
        id="instance-management-role-not-configured",
        title="The node has no IAM identity for Systems Manager",
        patterns=(
            r"instance management role is not configured for account",
            r"RequestManagedInstanceRoleToken:\s*AccessDeniedException",
        ),
        problem="managed-node-not-available",
        doc_url=_doc("managed-instances-default-host-management"),
        causes=(
            Cause(
                text="The instance has no instance profile, and Default Host Management "
                "Configuration is off in this Region (or its role is missing), so the agent "
                "has no credentials to register with.",
                checks=("node.identity",),
                fix="Attach a profile whose role has AmazonSSMManagedInstanceCore: `aws ec2 "
                "associate-iam-instance-profile --instance-id <instance-id> "
                "--iam-instance-profile Name=<profile-name>`, or turn on Default Host "
                "Management: `aws ssm update-service-setting --setting-id arn:aws:ssm:<region>:"
                "<account-id>:servicesetting/ssm/managed-instance/"
                "default-ec2-instance-management-role --setting-value "
                "service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole`.",
            ),
            Cause(
                text="Default Host Management is on but cannot serve this instance: it needs "
                "IMDSv2 and SSM Agent 3.2.582.0 or later.",
                checks=("node.identity", "agent.version"),
                fix="Require IMDSv2 (`aws ec2 modify-instance-metadata-options --instance-id "
                "<instance-id> --http-tokens required`) and update the agent.",
            ),
        ),
        example="ERROR EC2RoleProvider Failed to connect to Systems Manager with SSM role "
        "credentials. error calling RequestManagedInstanceRoleToken: AccessDeniedException: "
        "Systems Manager's instance management role is not configured for account: "
        "123456789012",
    ),
    KnownError(
        id="ssmmessages-scp-deny",
        title="A service control policy blocks Session Manager channels",
        patterns=(r"ssmmessages:\w+.{0,400}?explicit deny in a service control policy",),
        problem="managed-node-not-available",
        doc_url=_doc("session-manager-getting-started-instance-profile"),
        causes=(
            Cause(
                text="An organisation SCP explicitly denies the ssmmessages actions for the "
                "node's role. IAM policies on the role cannot override that, and policy "
                "simulation does not see SCPs, so the role can look fine.",
                checks=("node.role-permissions",),
                fix="Ask the organisation administrators to exempt the node role (or "
                "ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and "
                "OpenDataChannel) from the SCP.",
            ),
        ),
        example="createDataChannel request failed: unexpected response from the service "
        "<AccessDeniedException> <Message>User: arn:aws:sts::123456789012:assumed-role/"
        "ssm-instance-role/i-0123456789abcdef0 is not authorized to perform: "
        "ssmmessages:CreateDataChannel on resource: arn:aws:ssmmessages:us-east-1:"
        "123456789012:* with an explicit deny in a service control policy</Message>",
    ),
    KnownError(
        id="datachannel-not-authenticated",
        title="The node's role cannot open a data channel",
        patterns=(
            r"Request is not authenticated",
            r"createDataChannel request failed",
            r"CreateDataChannel failed",
            _DENIED + r"ssmmessages:",
        ),
        problem="managed-node-not-available",
        doc_url=_doc("session-manager-getting-started-instance-profile"),
        causes=(
            Cause(
                text="The IAM role used by the agent lacks the ssmmessages permissions "
                "(CreateControlChannel, CreateDataChannel, OpenControlChannel, "
                "OpenDataChannel) that Session Manager needs in addition to basic registration.",
                checks=("node.identity", "node.role-permissions"),
                fix="Attach AmazonSSMManagedInstanceCore (or an equivalent policy) to the role: "
                "`aws iam attach-role-policy --role-name <role-name> --policy-arn "
                "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore`. Hybrid activation roles "
                "cannot be edited; re-register the node with a role that has them.",
            ),
        ),
        example="Setting up data channel with id alice-0a1b2c3d4e5f67890 failed: failed to "
        "create websocket for datachannel with error: CreateDataChannel failed with no output or "
        "error: createDataChannel request failed: unexpected response from the service "
        '<BadRequest xmlns=""><message>Request is not authenticated.</message></BadRequest>',
    ),
    # ------------------------------------------------------------------ KMS handshake, client side
    KnownError(
        id="kms-client-handshake-failed",
        title="The plugin could not complete KMS session encryption",
        patterns=(r"KMSEncryption failed on client", r"calling KMS GenerateDataKey"),
        problem="kms-encryption-required",
        doc_url=_doc("session-preferences-enable-encryption"),
        causes=(
            Cause(
                text="Session encryption is on, and the plugin on your machine failed when it "
                "asked KMS for a data key. The text after 'GenerateDataKey API:' tells why.",
                checks=("prefs.kms", "kms.key", "caller.kms"),
                fix="Check the key and your access to it: `aws kms describe-key --key-id "
                "<key-arn>` and `ssm-doctor pwreset <instance-id> --only caller.kms`.",
            ),
        ),
        example="Encountered error while initiating handshake. KMSEncryption failed on client "
        "with status 2 error: Failed to process action KMSEncryption: Error calling KMS "
        "GenerateDataKey API: ThrottlingException: Rate exceeded",
    ),
    KnownError(
        id="kms-generate-data-key-denied",
        title="You may not use the session KMS key (kms:GenerateDataKey)",
        patterns=(
            _KMS_API + r"AccessDeniedException",
            _DENIED + r"kms:GenerateDataKey",
        ),
        problem="kms-encryption-required",
        doc_url=_doc("session-preferences-enable-encryption"),
        causes=(
            Cause(
                text="Your IAM identity is not allowed kms:GenerateDataKey on the key named in "
                "the Session Manager preferences. The plugin calls it with your credentials, "
                "not the node's.",
                checks=("caller.kms",),
                fix="Allow `kms:GenerateDataKey` on `<key-arn>` in a policy attached to your user or role.",
            ),
            Cause(
                text="The key policy does not admit you (the message then says no "
                "resource-based policy allows the action). IAM permissions alone are not "
                "enough unless the key policy delegates to IAM.",
                checks=("kms.key", "caller.kms"),
                fix="Review `aws kms get-key-policy --key-id <key-arn> --policy-name default` "
                "and add your principal (or the account root, to delegate to IAM).",
            ),
        ),
        example="----------ERROR-------\nEncountered error while initiating handshake. "
        "KMSEncryption failed on client with status 2 error: Failed to process action "
        "KMSEncryption: Error calling KMS GenerateDataKey API: AccessDeniedException: User: "
        "arn:aws:sts::123456789012:assumed-role/Operators/alice is not authorized to perform: "
        "kms:GenerateDataKey on resource: arn:aws:kms:eu-west-2:123456789012:key/"
        "1234abcd-12ab-34cd-56ef-1234567890ab because no resource-based policy allows the "
        "kms:GenerateDataKey action",
    ),
    KnownError(
        id="kms-no-credential-providers",
        title="The plugin found no credentials for KMS",
        patterns=(_KMS_API + r"NoCredentialProviders",),
        problem="kms-encryption-required",
        doc_url=_doc("session-manager-working-with-install-plugin"),
        causes=(
            Cause(
                text="The plugin resolves credentials itself (from the profile the CLI hands "
                "it and the standard chain) and found none. Typical triggers: a profile chosen "
                "through AWS_PROFILE that newer CLIs no longer forward, or SSO credentials with "
                "a plugin older than 1.2.245.0.",
                checks=("local.credentials", "local.plugin"),
                fix="Pass `--profile <profile>` explicitly, update the plugin, or export the "
                "credentials as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN "
                "before starting the session.",
            ),
        ),
        example="Encountered error while initiating handshake. KMSEncryption failed on client "
        "with status 2 error: Failed to process action KMSEncryption: Error calling KMS "
        "GenerateDataKey API: NoCredentialProviders: no valid providers in chain. Deprecated.\n"
        "\tFor verbose messaging see aws.Config.CredentialsChainVerboseErrors",
    ),
    KnownError(
        id="kms-x509-unknown-authority",
        title="TLS to KMS is intercepted or the CA bundle is wrong",
        patterns=(
            _KMS_API + r".{0,300}?x509: certificate signed by unknown authority",
            r"kms\.[a-z0-9-]+\.amazonaws\.com.{0,100}?x509: certificate signed by unknown authority",
            r"x509: certificate signed by unknown authority",
        ),
        problem="network-unreachable",
        doc_url=_doc("session-preferences-enable-encryption"),
        causes=(
            Cause(
                text="A proxy or security product on your network re-signs HTTPS traffic, and "
                "the plugin does not trust its certificate when it contacts "
                "kms.<region>.amazonaws.com.",
                checks=("prefs.kms",),
                fix="Exempt kms.<region>.amazonaws.com (and ssmmessages.<region>.amazonaws.com) "
                "from TLS inspection, or install the proxy's CA in the operating system trust "
                "store.",
            ),
            Cause(
                text="The machine's CA bundle is outdated or was replaced.",
                checks=("local.credentials",),
                fix="Update the system CA certificates package and retry.",
            ),
        ),
        example="Encountered error while initiating handshake. KMSEncryption failed on client "
        "with status 2 error: Failed to process action KMSEncryption: Error calling KMS "
        "GenerateDataKey API: RequestError: send request failed\ncaused by: Post "
        '"https://kms.eu-west-1.amazonaws.com/": x509: certificate signed by unknown authority',
    ),
    KnownError(
        id="kms-invalid-encryption-context",
        title="The client sent a malformed encryption context",
        patterns=(
            _KMS_API + r"ValidationException:\s*Invalid\s*EncryptionContext",
            r"Invalid\s*EncryptionContext",
        ),
        problem="session-manager-error",
        doc_url=_doc("session-preferences-enable-encryption"),
        causes=(
            Cause(
                text="The program that launched the plugin (usually a third-party session "
                "tool) did not pass the StartSession request with its Target, so the "
                "encryption context sent to KMS was empty or wrong.",
                checks=("local.plugin",),
                fix="Use the AWS CLI or `ssm-doctor pwreset <instance-id> --user <user-name> "
                "--reset`, which hand the plugin the full request JSON including the target.",
            ),
        ),
        example="Encountered error while initiating handshake. KMSEncryption failed on client "
        "with status 2 error: Failed to process action KMSEncryption: Error calling KMS "
        "GenerateDataKey API: ValidationException: Invalid EncryptionContext",
    ),
    KnownError(
        id="kms-key-unusable",
        title="The session KMS key is disabled, pending deletion or missing",
        patterns=(
            _KMS_API + r"DisabledException",
            _KMS_API + r"KMSInvalidStateException",
            _KMS_API + r"NotFoundException",
            r"arn:aws[\w-]*:kms:\S+ is (?:disabled|pending deletion)",
        ),
        problem="kms-encryption-required",
        doc_url=_doc("session-preferences-enable-encryption"),
        causes=(
            Cause(
                text="The key named in the preferences (kmsKeyId) exists but cannot be used: it "
                "is disabled or scheduled for deletion.",
                checks=("kms.key",),
                fix="Re-enable it (`aws kms enable-key --key-id <key-arn>`, or `aws kms "
                "cancel-key-deletion --key-id <key-arn>` first), or point the preferences at a "
                "working key.",
            ),
            Cause(
                text="kmsKeyId names a key or alias that does not exist in this Region (keys "
                "in another account must be given as a full ARN).",
                checks=("prefs.kms", "kms.key"),
                fix="Fix kmsKeyId in SSM-SessionManagerRunShell and confirm with `aws kms "
                "describe-key --key-id <key-arn> --region <region>`.",
            ),
        ),
        example="Encountered error while initiating handshake. KMSEncryption failed on client "
        "with status 2 error: Failed to process action KMSEncryption: Error calling KMS "
        "GenerateDataKey API: DisabledException: arn:aws:kms:us-east-1:123456789012:key/"
        "1234abcd-12ab-34cd-56ef-1234567890ab is disabled.",
    ),
    # ------------------------------------------------------------------ KMS handshake, agent side
    KnownError(
        id="kms-decrypt-denied",
        title="The node's role may not decrypt the session key (kms:Decrypt)",
        patterns=(
            r"Error when decrypting data key:?\s*AccessDenied",
            r"Fetching data key failed",
            _DENIED + r"kms:Decrypt",
        ),
        problem="kms-encryption-required",
        doc_url=_doc("getting-started-create-iam-instance-profile"),
        causes=(
            Cause(
                text="The IAM role the agent runs with (instance profile, Default Host "
                "Management role, or hybrid activation role) is not allowed kms:Decrypt on "
                "the session key.",
                checks=("node.identity", "node.kms-decrypt"),
                fix="Add `kms:Decrypt` on `<key-arn>` to the node's role, e.g. `aws iam "
                "put-role-policy --role-name <role-name> --policy-name session-kms "
                '--policy-document \'{"Version":"2012-10-17","Statement":[{"Effect":'
                '"Allow","Action":"kms:Decrypt","Resource":"<key-arn>"}]}\'`.',
            ),
            Cause(
                text="The key policy does not admit the node's role.",
                checks=("kms.key", "node.kms-decrypt"),
                fix="Add the role to the key policy (`aws kms get-key-policy --key-id "
                "<key-arn> --policy-name default`, edit, then `aws kms put-key-policy`).",
            ),
        ),
        example="Encountered error while initiating handshake. Fetching data key failed: Unable "
        "to retrieve data key, Error when decrypting data key AccessDeniedException: The "
        "ciphertext refers to a customer master key that does not exist, does not exist in "
        "this region, or you are not allowed to access.",
    ),
    KnownError(
        id="kms-invalid-ciphertext",
        title="Client and agent disagree on the encryption context",
        patterns=(
            r"decrypting data key:?\s*InvalidCiphertextException",
            r"InvalidCiphertextException",
        ),
        problem="kms-encryption-required",
        doc_url=_doc("session-preferences-enable-encryption"),
        causes=(
            Cause(
                text="The agent decrypted the data key with a different target id or session "
                "id than the client used, which happens with some older agents (notably in "
                "container setups) and with third-party clients on old SDKs.",
                checks=("agent.version", "local.plugin"),
                fix="Update the SSM Agent (`aws ssm send-command --document-name "
                "AWS-UpdateSSMAgent --instance-ids <instance-id>`) and use the official, "
                "current session-manager-plugin.",
            ),
        ),
        example="Encountered error while initiating handshake. Fetching data key failed: Unable "
        "to retrieve data key, Error when decrypting data key InvalidCiphertextException: \n"
        "\tstatus code: 400, request id: 5c0d3e1a-2b4f-4f6e-9a7d-0e1f2a3b4c5d",
    ),
    KnownError(
        id="handshake-timed-out",
        title="The client never answered the encryption handshake",
        patterns=(
            r"initiating handshake\.?\s*Handshake timed out",
            r"Handshake timed out",
        ),
        problem="session-manager-error",
        doc_url=_doc("session-preferences-enable-encryption"),
        causes=(
            Cause(
                text="The program on your side does not support KMS-encrypted sessions (an old "
                "plugin or a tool that reimplements the protocol).",
                checks=("local.plugin", "prefs.kms"),
                fix="Install the current session-manager-plugin and start the session through "
                "the AWS CLI or ssm-doctor.",
            ),
            Cause(
                text="Your machine cannot reach kms.<region>.amazonaws.com (firewall, proxy, or "
                "a locked-down container), so the plugin never produced the data key.",
                checks=("prefs.kms",),
                fix="Allow outbound HTTPS from your machine to kms.<region>.amazonaws.com and "
                "ssmmessages.<region>.amazonaws.com.",
            ),
        ),
        example="Encountered error while initiating handshake. Handshake timed out. Please "
        "ensure that you have the latest version of the session manager plugin.",
    ),
    KnownError(
        id="encryption-challenge-failed",
        title="The client failed the encryption challenge",
        patterns=(
            r"Timed out waiting for encryption challenge",
            r"Encryption challenge does not match",
            r"client does not support required encryption context random challenge",
        ),
        problem="session-manager-error",
        doc_url=_doc("session-preferences-enable-encryption"),
        causes=(
            Cause(
                text="After the key exchange the agent checks that the client can encrypt a "
                "challenge; the client on your side is too old or non-standard to answer it, "
                "or the node requires the random-challenge context the client lacks.",
                checks=("local.plugin", "agent.version"),
                fix="Update session-manager-plugin to the latest release and retry; keep the agent current as well.",
            ),
        ),
        example="Encountered error while initiating handshake. Timed out waiting for encryption challenge.",
    ),
    KnownError(
        id="session-handshake-failed",
        title="The session handshake failed",
        patterns=(r"initiating handshake",),
        problem="session-manager-error",
        doc_url=_doc("session-preferences-enable-encryption"),
        causes=(
            Cause(
                text="The agent and the client could not agree on session settings; with KMS "
                "encryption on, one side could not use the key.",
                checks=("prefs.kms", "caller.kms", "node.kms-decrypt", "local.plugin"),
                fix="Run `ssm-doctor pwreset <instance-id>` to test the KMS key, your "
                "kms:GenerateDataKey and the node's kms:Decrypt together.",
            ),
        ),
        example="----------ERROR-------\nEncountered error while initiating handshake.",
    ),
    # ------------------------------------------------------------------ logging preferences
    KnownError(
        id="logging-encryption-not-set-up",
        title="Session logging requires encryption that the destination lacks",
        patterns=(
            r"encryption is not set up on the selected (?:CloudWatch Logs log group|"
            r"Amazon S3 bucket)",
            r"encryption is not set up on the selected",
        ),
        problem="session-manager-error",
        doc_url=_doc("session-manager-logging"),
        causes=(
            Cause(
                text="The preferences say session logs must go to an encrypted destination "
                "(cloudWatchEncryptionEnabled or s3EncryptionEnabled is true), but the log "
                "group or bucket is not encrypted, so the agent refuses to start.",
                checks=("prefs.logging",),
                fix="Encrypt the destination (`aws logs associate-kms-key --log-group-name "
                "<log-group> --kms-key-id <key-arn>`, or default encryption on the bucket), or "
                "set the matching `*EncryptionEnabled` flag to false in "
                "SSM-SessionManagerRunShell.",
            ),
        ),
        example="We couldn't start the session because encryption is not set up on the "
        "selected CloudWatch Logs log group. Either encrypt the log group or choose an option "
        "to enable logging without encryption.",
    ),
    KnownError(
        id="logging-encryption-unverifiable",
        title="The node cannot check the log destination's encryption",
        patterns=(r"unable to validate encryption on",),
        problem="session-manager-error",
        doc_url=_doc("session-manager-logging"),
        causes=(
            Cause(
                text="The node's role cannot read the encryption settings of the log group or "
                "bucket (logs:DescribeLogGroups, s3:GetEncryptionConfiguration), the "
                "destination was deleted, or the node cannot reach the logs or s3 endpoint.",
                checks=("prefs.logging", "node.role-permissions", "network.path"),
                fix="Grant the node role `logs:DescribeLogGroups` and "
                "`s3:GetEncryptionConfiguration`, make sure the destination exists, and with "
                "VPC endpoints add `com.amazonaws.<region>.logs` or the s3 gateway endpoint.",
            ),
        ),
        example="Couldn't start the session because we are unable to validate encryption on "
        "Amazon S3 bucket. Error: AccessDenied: Access Denied",
    ),
    # ------------------------------------------------------------------ websocket
    KnownError(
        id="websocket-sign-failed",
        title="The plugin could not sign its websocket connection",
        patterns=(r"Failed to sign websocket",),
        problem="session-manager-error",
        doc_url=_doc("session-manager-working-with-install-plugin"),
        causes=(
            Cause(
                text="Recent plugin releases sign the websocket with your AWS credentials; "
                "the plugin could not find any (profile not forwarded, or an expired SSO login).",
                checks=("local.credentials", "local.plugin"),
                fix="Refresh the login (`aws sso login --profile <profile>`), pass "
                "`--profile <profile>` explicitly, or export credentials in the environment.",
            ),
        ),
        example="Failed to sign websocket, NoCredentialProviders: no valid providers in chain. Deprecated.",
    ),
    KnownError(
        id="websocket-abnormal-close",
        title="The session's websocket was cut",
        patterns=(
            r"websocket:\s*close 1006",
            r"close 1006 \(abnormal closure\)",
            r"websocket:\s*control frame length > 125",
            r"Reach the retry limit \d+ for receive messages",
        ),
        problem="network-unreachable",
        doc_url=_doc("session-manager-getting-started-privatelink"),
        causes=(
            Cause(
                text="A proxy, firewall or TLS inspection device between you (or the node) and "
                "ssmmessages.<region>.amazonaws.com interferes with or closes the websocket.",
                checks=("network.path",),
                fix="Let wss traffic to ssmmessages.<region>.amazonaws.com pass without "
                "inspection on both sides; on the node side use a NAT route or an ssmmessages "
                "interface endpoint.",
            ),
            Cause(
                text="The node lost its connection or the agent restarted during the session.",
                checks=("node.online", "sessions.recent-failures"),
                fix="Check the node's ping status and the agent log, then retry.",
            ),
        ),
        example="Reach the retry limit 5 for receive messages. Error: websocket: close 1006 "
        "(abnormal closure): unexpected EOF",
    ),
)

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI sequences (colours, cursor moves)
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC sequences (titles, hyperlinks)
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
)
_ESCAPED_BREAKS = re.compile(r"\\r\\n|\\n|\\r|\\t")
_JOINED_BREAKS = re.compile(r"([ \t]*)(?:\r\n|\n|\r|\\r\\n|\\n|\\r)([ \t]*)")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_WHITESPACE = re.compile(r"\s+")
_TARGET = re.compile(r"\b(m?i-(?:[0-9a-f]{17}|[0-9a-f]{8}))\b", re.IGNORECASE)


def normalize(text: str, join_lines: bool = False) -> str:
    """Strip ANSI escapes, undo escaped line breaks and collapse whitespace.

    With ``join_lines`` a bare line break is removed instead of read as a space: text copied from a
    fixed-width console or a log viewer is often cut in the middle of a word. A break next to a blank was cut
    between words, and stays a space.
    """
    text = _ANSI.sub("", text)
    if join_lines:
        text = _JOINED_BREAKS.sub(lambda m: " " if m.group(1) or m.group(2) else "", text)
    text = _ESCAPED_BREAKS.sub(" ", text)
    text = text.translate(_QUOTES)
    return _WHITESPACE.sub(" ", text).strip()


def _quantifier(pattern: str, i: int) -> tuple[bool, int]:
    """Read a quantifier at ``i``; return (whether it may match zero times, new index)."""
    optional = False
    if i < len(pattern):
        q = pattern[i]
        if q in "*?":
            optional, i = True, i + 1
        elif q == "+":
            i += 1
        elif q == "{":
            m = re.match(r"\{(\d*),?(\d*)\}", pattern[i:])
            if m:
                optional = m.group(1) in ("", "0")
                i += m.end()
        if i < len(pattern) and pattern[i] in "?+":  # lazy / possessive
            i += 1
    return optional, i


def _weight_seq(pattern: str, i: int) -> tuple[int, int]:
    """Weigh a sequence up to the closing parenthesis: min over alternatives."""
    branches: list[int] = []
    total = 0
    while i < len(pattern) and pattern[i] != ")":
        c = pattern[i]
        if c == "|":
            branches.append(total)
            total, i = 0, i + 1
            continue
        weight = 0
        if c == "(":
            i += 1
            counts = True
            if pattern.startswith("?", i):
                if pattern.startswith("?:", i):
                    i += 2
                elif pattern.startswith("?P<", i):
                    i = pattern.index(">", i) + 1
                else:  # lookaround or inline flags: no literal weight
                    counts = False
                    i += 1
            inner, i = _weight_seq(pattern, i)
            i += 1  # the closing parenthesis
            weight = inner if counts else 0
        elif c == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
        elif c == "\\":
            nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
            weight = 0 if nxt.isalnum() else 1
            i += 2
        elif c in ".^$":
            i += 1
        else:
            weight = 1
            i += 1
        optional, i = _quantifier(pattern, i)
        total += 0 if optional else weight
    branches.append(total)
    return min(branches), i


@cache
def _pattern_weight(pattern: str) -> int:
    """How many literal characters any match of ``pattern`` must contain."""
    return _weight_seq(pattern, 0)[0]


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _score(error: KnownError, text: str) -> float | None:
    best: float | None = None
    for pattern in error.patterns:
        m = _compiled(pattern).search(text)
        if m is None:
            continue
        # Literal characters decide; the matched length only breaks ties.
        score = _pattern_weight(pattern) + min(len(m.group(0)), 999) / 1000
        if best is None or score > best:
            best = score
    return best


def explain(text: str) -> list[Match]:
    """Return the catalogue entries matching ``text``, best first ([] when none match)."""
    clean = normalize(text)
    if not clean:
        return []
    # The text as pasted, and with its line breaks closed up (for words wrapped across lines); the better wins.
    readings = list(dict.fromkeys((clean, normalize(text, join_lines=True))))
    found: list[tuple[float, int, KnownError]] = []
    for index, error in enumerate(CATALOGUE):
        scores = [score for reading in readings if (score := _score(error, reading)) is not None]
        if scores:
            found.append((max(scores), index, error))
    found.sort(key=lambda item: (-item[0], item[1]))
    return [Match(error=error, score=score) for score, _, error in found]


def extract_target(text: str) -> str | None:
    """Return the first EC2 (``i-``) or managed node (``mi-``) id in ``text``, if any."""
    spaced = _TARGET.search(normalize(text))
    joined = _TARGET.search(normalize(text, join_lines=True))
    if spaced and joined and joined.group(1).lower().startswith(spaced.group(1).lower()):
        spaced = joined  # an id wrapped across lines: its first eight digits alone look like an old-style id
    m = spaced or joined
    return m.group(1).lower() if m else None
