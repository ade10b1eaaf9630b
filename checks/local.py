"""Checks on the caller's side: credentials, the Session Manager plugin, the user name to reset."""

from __future__ import annotations

import re
from typing import Any

from checks.problems import doc
from doctor.engine import check
from doctor.facts import Options, Target
from doctor.model import Outcome, failed, fix, not_applicable, passed, unknown, warned
from doctor.versions import LAST_PLUGIN_WITHOUT_ENV_VAR, MIN_PLUGIN, version

CLI_CONFIGURE_DOC = "https://docs.aws.amazon.com/cli/latest/userguide/cli-chap-configure.html"
# Failures of sts:GetCallerIdentity (or of finding credentials) that mean the credentials or the region do not
# work. Anything else (an endpoint that cannot be reached or answers nonsense, throttling, a server error) says
# nothing about the credentials, so the check is unknown rather than failed.
CREDENTIAL_ERRORS = frozenset(
    {
        "NoCredentials",
        "NoRegion",
        "ProfileNotFound",
        "PartialCredentialsError",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "AccessDenied",
        "RegionDisabledException",
        "TokenRetrievalError",
        "SSOTokenLoadError",
        "UnauthorizedSSOTokenError",
        "CredentialRetrievalError",
        "InvalidConfigError",
    }
)

USERNAME_RE = re.compile(r"^[a-zA-Z0-9_.@-]{1,256}$")
WINDOWS_NAME_LIMIT = 20


@check(
    "local.credentials",
    title="AWS credentials and region are usable",
    problem="session-manager-error",
    doc=CLI_CONFIGURE_DOC,
)
def local_credentials(credentials: dict[str, Any], target: Target) -> Outcome:
    region = target.region or credentials.get("region")
    profile = credentials.get("profile")
    profile_flag = f" --profile {profile}" if profile else ""
    if not credentials.get("ok"):
        code = credentials.get("error_code", "")
        message = credentials.get("message", "")
        evidence = {"error_code": code, "message": message, "profile": profile, "region": region}
        if code not in CREDENTIAL_ERRORS:
            reached = code not in ("EndpointUnreachable", "Timeout")
            return unknown(
                (f"Could not confirm the credentials: sts:GetCallerIdentity failed with {code}: {message}" if reached
                 else f"Could not reach sts:GetCallerIdentity ({code}): {message}"),
                missing=["sts:GetCallerIdentity"],
                evidence=evidence,
                fix=fix("Check network access to the AWS endpoints (or AWS_ENDPOINT_URL) and run again."),
            )
        if code == "NoRegion":
            return failed(
                "No AWS region is set",
                evidence,
                fix("Pass --region, or set AWS_REGION, or set a region in your AWS profile.",
                    commands=[f"aws configure set region us-east-1{profile_flag}"]),
            )
        return failed(
            f"The AWS credentials do not work ({code}): {message}",
            evidence,
            fix(
                "Configure credentials for the account that owns the node (environment variables, a profile, "
                "or IAM Identity Center), then confirm who you are.",
                "If you use IAM Identity Center, sign in again: the cached token may have expired.",
                commands=[
                    f"aws sso login{profile_flag}" if profile else "aws configure",
                    f"aws sts get-caller-identity{profile_flag}",
                ],
            ),
        )
    if not region:
        return failed(
            "Credentials work but no AWS region is set",
            {"arn": credentials.get("arn"), "profile": profile},
            fix("Pass --region, or set AWS_REGION, or set a region in your AWS profile.",
                commands=[f"aws configure set region us-east-1{profile_flag}"]),
        )
    return passed(
        f"Signed in as {credentials.get('arn')} in {region}",
        {"arn": credentials.get("arn"), "account": credentials.get("account"), "region": region,
         "profile": profile, "credential_source": credentials.get("credential_source")},
    )


def _install_fix(platform: str) -> list[str]:
    if platform.startswith("win"):
        return [
            "Download and run the installer: "
            "https://s3.amazonaws.com/session-manager-downloads/plugin/latest/windows/SessionManagerPluginSetup.exe",
            r"Make sure C:\Program Files\Amazon\SessionManagerPlugin\bin is on PATH, then open a new terminal.",
        ]
    if platform == "darwin":
        return ["brew install --cask session-manager-plugin"]
    return [
        'curl "https://s3.amazonaws.com/session-manager-downloads/plugin/latest/ubuntu_64bit/session-manager-plugin.deb"'
        ' -o session-manager-plugin.deb && sudo dpkg -i session-manager-plugin.deb',
        "session-manager-plugin --version",
    ]


@check(
    "local.plugin",
    title="Session Manager plugin is installed and supported",
    problem="plugin-not-installed",
    doc=doc("session-manager-working-with-install-plugin"),
)
def local_plugin(plugin: dict[str, Any]) -> Outcome:
    platform = str(plugin.get("platform", ""))
    path = plugin.get("path")
    if not path:
        return failed(
            "session-manager-plugin was not found on PATH or in the default install locations",
            {"searched": plugin.get("searched", [])},
            fix(
                "Install the Session Manager plugin on this machine; the reset hands the session to it, "
                "and you type the new password into it.",
                commands=_install_fix(platform),
            ),
        )
    evidence: dict[str, Any] = {"path": path, "on_path": plugin.get("on_path"), "version": plugin.get("version")}
    if not plugin.get("runs"):
        evidence.update(error=plugin.get("error"), output=plugin.get("output"), stderr=plugin.get("stderr"))
        return failed(
            f"session-manager-plugin at {path} does not run: {plugin.get('error')}",
            evidence,
            fix("Reinstall the Session Manager plugin for this operating system and architecture.",
                commands=_install_fix(platform)),
        )
    parsed = version(plugin.get("version"))
    if parsed is None:
        evidence["output"] = plugin.get("output")
        return failed(
            f"session-manager-plugin at {path} printed an unrecognised version {plugin.get('output')!r}",
            evidence,
            fix("Reinstall the Session Manager plugin from AWS.", commands=_install_fix(platform)),
        )
    if parsed < MIN_PLUGIN:
        return failed(
            f"session-manager-plugin {parsed} is older than {MIN_PLUGIN}, the oldest version AWS supports "
            "(and the first with KMS encryption)",
            {**evidence, "required": str(MIN_PLUGIN)},
            fix("Update the Session Manager plugin.", commands=_install_fix(platform)),
        )
    if not plugin.get("on_path"):
        return warned(
            f"session-manager-plugin {parsed} found at {path}, but not on PATH",
            evidence,
            fix("Add the plugin's directory to PATH so the AWS CLI finds it too."),
        )
    if parsed <= LAST_PLUGIN_WITHOUT_ENV_VAR:
        return warned(
            f"session-manager-plugin {parsed} works but is old; versions after {LAST_PLUGIN_WITHOUT_ENV_VAR} keep "
            "the session token out of the process list",
            evidence,
            fix("Update the Session Manager plugin.", commands=_install_fix(platform)),
        )
    return passed(f"session-manager-plugin {parsed} at {path}", evidence)


@check(
    "input.username",
    title="The user name to reset is valid for AWS-PasswordReset",
    problem="session-manager-error",
    doc=doc("managed-instances-password-reset"),
)
def input_username(options: Options, instance_info: dict[str, Any] | None = None) -> Outcome:
    name = options.user
    if name is None:
        return not_applicable("no --user given; the name is checked when you pass --user NAME")
    evidence: dict[str, Any] = {"username": name, "length": len(name)}
    if not USERNAME_RE.match(name):
        bad = sorted({c for c in name if not re.match(r"[a-zA-Z0-9_.@-]", c)})
        detail = f"contains {' '.join(repr(c) for c in bad)}" if bad else f"is {len(name)} characters long"
        return failed(
            f"User name {name!r} is not accepted by AWS-PasswordReset: it {detail}",
            {**evidence, "allowed": "letters, digits, _ . @ - ; 1 to 256 characters"},
            fix("Use the account's login name exactly as the operating system knows it: only letters, digits, "
                "underscore, dot, at sign and hyphen, 1 to 256 characters. For a domain account on Windows use "
                "the name without the DOMAIN\\ prefix."),
        )
    platform = (instance_info or {}).get("PlatformType") if isinstance(instance_info, dict) else None
    if platform == "Windows" and len(name) > WINDOWS_NAME_LIMIT:
        return warned(
            f"User name {name!r} is longer than {WINDOWS_NAME_LIMIT} characters, the Windows logon name limit",
            {**evidence, "platform": platform},
            fix("Check the account's pre-Windows 2000 logon name (at most 20 characters) and use that."),
        )
    return passed(f"User name {name!r} is valid", evidence)
