"""Version thresholds from AWS's documentation and release notes, and version parsing."""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

PLUGIN_NAME = "session-manager-plugin"

# SSM Agent: the InteractiveCommands plugin that AWS-PasswordReset runs on arrived in 2.3.668.0.
MIN_PASSWORD_RESET_AGENT = Version("2.3.668.0")
# SSM Agent: KMS encryption of session data.
MIN_KMS_AGENT = Version("2.3.539.0")
# SSM Agent: Default Host Management Configuration.
MIN_DHMC_AGENT = Version("3.2.582.0")

# Session Manager plugin: the oldest version AWS supports (it also added KMS encryption).
MIN_PLUGIN = Version("1.1.17.0")
# Session Manager plugin: newer than this, the AWS CLI passes the StartSession response through
# the AWS_SSM_START_SESSION_RESPONSE environment variable rather than argv.
LAST_PLUGIN_WITHOUT_ENV_VAR = Version("1.2.497.0")

_CLI_VERSION_RE = re.compile(r"^\d+(\.\d+){0,3}$")


def parse_cli_version(text: str) -> str | None:
    """Parse ``--version`` output the way the AWS CLI does: strip whitespace, digits and dots only."""
    cleaned = re.sub(r"\s+", "", text or "")
    return cleaned if _CLI_VERSION_RE.match(cleaned) else None


def version(text: str | None) -> Version | None:
    if not text:
        return None
    try:
        return Version(text.strip())
    except InvalidVersion:
        return None


def plugin_uses_env_var(plugin_version: str | None) -> bool:
    """True when the plugin is strictly newer than 1.2.497.0 (the AWS CLI's rule)."""
    parsed = version(parse_cli_version(plugin_version or ""))
    return parsed is not None and parsed > LAST_PLUGIN_WITHOUT_ENV_VAR
