"""Collectors for the caller's side: the local plugin, the clock and the credentials."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from typing import Any

from doctor.facts import Context, fact
from doctor.versions import PLUGIN_NAME, parse_cli_version


def default_plugin_locations() -> list[str]:
    """Where the AWS installers put session-manager-plugin on each platform."""
    if sys.platform.startswith("win"):
        return [
            r"C:\Program Files\Amazon\SessionManagerPlugin\bin\session-manager-plugin.exe",
            r"C:\Program Files (x86)\Amazon\SessionManagerPlugin\bin\session-manager-plugin.exe",
        ]
    return [
        "/usr/local/sessionmanagerplugin/bin/session-manager-plugin",
        "/usr/local/bin/session-manager-plugin",
        "/opt/homebrew/bin/session-manager-plugin",
        "/usr/bin/session-manager-plugin",
    ]


def find_plugin() -> tuple[str | None, bool, list[str]]:
    """The plugin's path, whether it was found on PATH, and every place looked at."""
    searched = ["PATH"]
    found = shutil.which(PLUGIN_NAME)
    if found:
        return found, True, searched
    for candidate in default_plugin_locations():
        searched.append(candidate)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate, False, searched
    return None, False, searched


def probe_plugin(path: str) -> dict[str, Any]:
    """Run ``session-manager-plugin --version`` and parse it the way the AWS CLI does."""
    try:
        proc = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=15, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return {"runs": False, "error": "did not answer --version within 15 seconds"}
    except OSError as exc:
        return {"runs": False, "error": f"could not be started: {exc.strerror or exc}"}
    raw = (proc.stdout or "").strip()
    version = parse_cli_version(raw)
    return {
        "runs": proc.returncode == 0,
        "exit_code": proc.returncode,
        "output": raw[:200],
        "stderr": (proc.stderr or "").strip()[:200],
        "version": version,
        "error": None if proc.returncode == 0 else f"--version exited with code {proc.returncode}",
    }


@fact("plugin", scope="local")
def collect_plugin(ctx: Context) -> dict[str, Any]:
    """The local session-manager-plugin: where it is and which version it reports."""
    path, on_path, searched = find_plugin()
    data: dict[str, Any] = {"path": path, "on_path": on_path, "searched": searched, "platform": sys.platform}
    if path:
        data.update(probe_plugin(path))
    return data


@fact("now", scope="local")
def collect_now(ctx: Context) -> str:
    """When the facts were collected (so replays judge recency the same way)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@fact("credentials", scope="local")
def collect_credentials(ctx: Context) -> dict[str, Any]:
    """Who the caller is (sts:GetCallerIdentity) and which region and profile are in effect."""
    from doctor.aws import error_code, unavailable_from

    aws = ctx.aws
    data: dict[str, Any] = {"region": ctx.region or aws.region, "profile": aws.profile}
    creds = None
    try:
        creds = aws.session.get_credentials()
    except Exception as exc:
        data.update(ok=False, error_code=error_code(exc), message=str(exc)[:300])
        return data
    if creds is None:
        data.update(ok=False, error_code="NoCredentials", message="no credentials were found in the AWS chain")
        return data
    data["credential_source"] = getattr(creds, "method", "")
    region = data["region"] or "us-east-1"
    try:
        client = aws.client("sts", region)
        identity = aws.retrying(client.get_caller_identity)
    except Exception as exc:
        gone = unavailable_from("sts:GetCallerIdentity", exc)
        data.update(ok=False, error_code=gone.code, message=gone.message)
        return data
    data.update(ok=True, arn=identity["Arn"], account=identity["Account"], user_id=identity["UserId"])
    return data
