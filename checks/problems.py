"""The documented problems (SPEC §6) that every non-passing finding maps to, and AWS doc links."""

from __future__ import annotations

USER_GUIDE = "https://docs.aws.amazon.com/systems-manager/latest/userguide"


def doc(page: str, anchor: str = "") -> str:
    """A link to a page of the AWS Systems Manager User Guide."""
    return f"{USER_GUIDE}/{page}.html" + (f"#{anchor}" if anchor else "")


PASSWORD_RESET_PAGE = doc("managed-instances-password-reset")

# problem id -> (short title, AWS page that documents it)
PROBLEMS: dict[str, tuple[str, str]] = {
    "managed-node-not-available": (
        "Managed node not available",
        doc("managed-instances-password-reset", "managed-instances-password-reset-troubleshooting"),
    ),
    "agent-not-up-to-date": (
        "SSM Agent not up to date",
        doc("managed-instances-password-reset", "managed-instances-password-reset-troubleshooting"),
    ),
    "reset-options-not-provided": (
        "Password reset options are not provided",
        doc("managed-instances-password-reset", "managed-instances-password-reset-troubleshooting"),
    ),
    "no-sendcommand-authorization": (
        "No authorization to run ssm:SendCommand",
        doc("managed-instances-password-reset", "managed-instances-password-reset-troubleshooting"),
    ),
    "session-manager-error": (
        "Session Manager error",
        doc("session-manager-troubleshooting"),
    ),
    "plugin-not-installed": (
        "Session Manager plugin not installed",
        doc("session-manager-working-with-install-plugin"),
    ),
    "advanced-tier-required": (
        "Advanced-instances tier required for on-premises nodes",
        doc("systems-manager-managedinstances-advanced"),
    ),
    "kms-encryption-required": (
        "KMS encryption of session data required",
        doc("session-preferences-enable-encryption"),
    ),
    "start-session-not-allowed": (
        "Not allowed to start a session with AWS-PasswordReset",
        doc("getting-started-restrict-access-quickstart"),
    ),
    "network-unreachable": (
        "The node cannot reach the Systems Manager endpoints",
        doc("setup-create-vpc"),
    ),
}


def problem_title(problem: str) -> str:
    return PROBLEMS.get(problem, (problem, ""))[0]


def problem_url(problem: str) -> str:
    return PROBLEMS.get(problem, ("", PASSWORD_RESET_PAGE))[1]
