"""Checks on the node: the instance, its registration, agent, connectivity, tier and history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from checks.problems import doc
from doctor.engine import check
from doctor.facts import Target
from doctor.model import Outcome, failed, fix, passed, unknown, warned
from doctor.versions import MIN_PASSWORD_RESET_AGENT, version

SUPPORTED_PLATFORMS = ("Windows", "Linux", "MacOS")
# SSM Agent reports every five minutes; a ping older than this is stale even if still "Online".
STALE_PING = timedelta(minutes=30)


def _ts(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _registration_steps(target: Target) -> list[str]:
    if target.kind == "hybrid":
        return [
            f"On the machine, check that SSM Agent is installed and running and that it was registered with an "
            f"activation in {target.region}.",
            "Re-register with a new hybrid activation if the registration was deleted or the activation expired.",
        ]
    return [
        "Make sure SSM Agent is installed and running on the instance (it is preinstalled on most AWS AMIs).",
        "Give the instance an identity Systems Manager accepts: an instance profile with the "
        "AmazonSSMManagedInstanceCore policy, or Default Host Management Configuration.",
        "Make sure the instance can reach the ssm, ssmmessages and ec2messages endpoints on port 443.",
        "Then restart SSM Agent or wait a few minutes for it to register.",
    ]


@check(
    "ec2.instance",
    title="The EC2 instance exists and is running",
    requires=("local.credentials",),
    problem="managed-node-not-available",
    doc=doc("troubleshooting-managed-instances"),
    applies_to=("ec2",),
)
def ec2_instance(ec2_instance: dict[str, Any] | None, target: Target) -> Outcome:
    if ec2_instance is None:
        return failed(
            f"No EC2 instance {target.id} in region {target.region} of this account",
            {"instance_id": target.id, "region": target.region},
            fix(
                "Check the instance id, and pass the region and profile of the account that owns it "
                "(--region, --profile).",
                commands=[f"aws ec2 describe-instances --instance-ids {target.id} --region {target.region}"],
            ),
        )
    state = (ec2_instance.get("State") or {}).get("Name", "unknown")
    evidence = {
        "instance_id": target.id,
        "state": state,
        "instance_type": ec2_instance.get("InstanceType"),
        "region": target.region,
        "platform": ec2_instance.get("PlatformDetails") or ec2_instance.get("Platform") or "Linux/UNIX",
    }
    if state != "running":
        commands = []
        if state in ("stopped", "stopping"):
            commands = [f"aws ec2 start-instances --instance-ids {target.id} --region {target.region}"]
        return failed(
            f"EC2 instance {target.id} is {state}, not running",
            evidence,
            fix(
                "Start the instance and wait until SSM Agent reports Online before resetting the password."
                if commands else "A terminated instance cannot be reached; pick another node.",
                commands=commands,
            ),
        )
    return passed(f"EC2 instance {target.id} is running in {target.region}", evidence)


@check(
    "node.registered",
    title="The node is registered with Systems Manager",
    requires=("local.credentials", "ec2.instance"),
    problem="managed-node-not-available",
    doc=doc("troubleshooting-managed-instances"),
)
def node_registered(instance_info: dict[str, Any] | None, target: Target) -> Outcome:
    if instance_info is None:
        return failed(
            f"{target.id} is not a managed node in {target.region}: Systems Manager has no registration for it",
            {"instance_id": target.id, "region": target.region},
            fix(
                *_registration_steps(target),
                commands=[
                    "aws ssm describe-instance-information --filters "
                    f"Key=InstanceIds,Values={target.id} --region {target.region}",
                ],
            ),
        )
    keys = ("ResourceType", "PlatformType", "AgentVersion", "PingStatus", "ComputerName", "IamRole", "ActivationId")
    evidence = {k: instance_info.get(k) for k in keys if instance_info.get(k)}
    kind = {"EC2Instance": "an EC2 instance", "ManagedInstance": "a hybrid managed node"}.get(
        str(instance_info.get("ResourceType") or ""), "a managed node")
    return passed(f"{target.id} is registered with Systems Manager as {kind}", evidence)


@check(
    "node.online",
    title="SSM Agent on the node is online",
    requires=("node.registered",),
    problem="managed-node-not-available",
    doc=doc("troubleshooting-managed-instances"),
)
def node_online(instance_info: dict[str, Any], now: str, target: Target) -> Outcome:
    ping = instance_info.get("PingStatus", "")
    last = _ts(instance_info.get("LastPingDateTime"))
    current = _ts(now)
    age = (current - last) if (last and current) else None
    evidence: dict[str, Any] = {"ping_status": ping, "last_ping": instance_info.get("LastPingDateTime")}
    if age is not None:
        evidence["minutes_since_ping"] = int(age.total_seconds() // 60)
    if ping != "Online":
        return failed(
            f"SSM Agent on {target.id} is {ping or 'not reporting'}"
            + (f"; last heard from {_age_text(age)} ago" if age is not None else ""),
            evidence,
            fix(
                "Check that the node is powered on and that SSM Agent is running "
                "(Linux: sudo systemctl status amazon-ssm-agent; Windows: Get-Service AmazonSSMAgent).",
                "Check that the node can still reach the ssm, ssmmessages and ec2messages endpoints on port 443, "
                "and that its IAM identity still works.",
                commands=[
                    f"aws ssm describe-instance-information --filters Key=InstanceIds,Values={target.id} "
                    f"--query 'InstanceInformationList[0].[PingStatus,LastPingDateTime]' --region {target.region}",
                ],
            ),
        )
    if age is not None and age > STALE_PING:
        return warned(
            f"SSM Agent on {target.id} is Online but last pinged {_age_text(age)} ago",
            evidence,
            fix("If the reset fails, restart SSM Agent on the node."),
        )
    return passed(f"SSM Agent on {target.id} is Online", evidence)


def _age_text(age: timedelta) -> str:
    minutes = max(0, int(age.total_seconds() // 60))  # a clock slightly ahead of ours is "0 minutes", not negative
    if minutes == 1:
        return "1 minute"
    if minutes < 120:
        return f"{minutes} minutes"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


@check(
    "node.platform",
    title="The node's platform supports password reset",
    requires=("node.registered",),
    problem="managed-node-not-available",
    doc=doc("managed-instances-password-reset"),
)
def node_platform(
    instance_info: dict[str, Any], target: Target, ec2_instance: dict[str, Any] | None = None
) -> Outcome:
    platform = instance_info.get("PlatformType") or ""
    evidence = {
        "platform_type": platform,
        "platform_name": instance_info.get("PlatformName"),
        "platform_version": instance_info.get("PlatformVersion"),
    }
    if not platform:
        # The registration does not say; EC2 knows what an instance runs.
        details = str((ec2_instance or {}).get("PlatformDetails") or (ec2_instance or {}).get("Platform") or "")
        platform = _EC2_PLATFORM.get(details.split(" ", 1)[0].lower(), "") if details else ""
        if not platform:
            return unknown(
                f"{target.id} is registered but did not report its platform, so ssm-doctor cannot tell whether "
                "AWS-PasswordReset runs on it",
                missing=["ssm:DescribeInstanceInformation"],
                evidence=evidence,
                fix=fix("Check the node's platform in Fleet Manager, or restart SSM Agent so that it reports again.",
                        commands=[f"aws ssm describe-instance-information --filters Key=InstanceIds,Values={target.id}"
                                  f" --query 'InstanceInformationList[0].PlatformType' --region {target.region}"]),
            )
        evidence["platform_from_ec2"] = details
    if platform not in SUPPORTED_PLATFORMS:
        return failed(
            f"{target.id} reports platform {platform}; AWS-PasswordReset runs on Windows, Linux and macOS only",
            evidence,
            fix("Reset the password with the platform's own tools, or check the agent's proxy settings: a "
                "misconfigured proxy can make a node report the wrong platform."),
        )
    return passed(f"{target.id} runs {instance_info.get('PlatformName') or platform}", evidence)


# The first word of EC2's PlatformDetails ("Linux/UNIX", "Red Hat Enterprise Linux", "Windows with SQL Server …").
_EC2_PLATFORM = {"linux/unix": "Linux", "red": "Linux", "suse": "Linux", "ubuntu": "Linux", "windows": "Windows"}


@check(
    "agent.version",
    title="SSM Agent supports password reset",
    requires=("node.registered",),
    problem="agent-not-up-to-date",
    doc=doc("managed-instances-password-reset", "managed-instances-password-reset-troubleshooting"),
)
def agent_version(instance_info: dict[str, Any], target: Target) -> Outcome:
    raw = instance_info.get("AgentVersion")
    parsed = version(raw)
    evidence = {"agent_version": raw, "required": str(MIN_PASSWORD_RESET_AGENT),
                "is_latest_version": instance_info.get("IsLatestVersion")}
    if parsed is None:
        return failed(
            f"{target.id} did not report a readable SSM Agent version ({raw!r})",
            evidence,
            fix("Update SSM Agent on the node.", commands=[_update_agent_command(target)]),
        )
    if parsed < MIN_PASSWORD_RESET_AGENT:
        return failed(
            f"SSM Agent {raw} on {target.id} is older than {MIN_PASSWORD_RESET_AGENT}, the first version that "
            "runs AWS-PasswordReset (the reset would show no password prompt)",
            evidence,
            fix(
                "Update SSM Agent with Run Command (needs ssm:SendCommand on the node and the AWS-UpdateSSMAgent "
                "document), then wait for the command to finish.",
                "Or run: ssm-doctor fix " + target.id + " --apply",
                commands=[_update_agent_command(target)],
            ),
        )
    return passed(f"SSM Agent {raw} supports password reset", evidence)


def _update_agent_command(target: Target) -> str:
    return (
        f"aws ssm send-command --document-name AWS-UpdateSSMAgent --targets Key=InstanceIds,Values={target.id} "
        f"--region {target.region}"
    )


@check(
    "node.connectable",
    title="Session Manager can connect to the node",
    requires=("node.online",),
    problem="managed-node-not-available",
    doc=doc("session-manager-troubleshooting"),
)
def node_connectable(connection_status: str, target: Target) -> Outcome:
    evidence = {"status": connection_status}
    if connection_status.lower() != "connected":
        return failed(
            f"Session Manager reports {target.id} as {connection_status or 'not connected'}",
            evidence,
            fix(
                "The agent is online but cannot open Session Manager channels. Check that the node's role allows "
                "the ssmmessages actions and that the node reaches the ssmmessages endpoint on port 443.",
                "Restart SSM Agent after changing the node's role or network.",
                commands=[f"aws ssm get-connection-status --target {target.id} --region {target.region}"],
            ),
        )
    return passed(f"Session Manager can connect to {target.id}", evidence)


@check(
    "hybrid.tier",
    title="The advanced-instances tier is on for hybrid nodes",
    requires=("node.registered",),
    problem="advanced-tier-required",
    doc=doc("systems-manager-managedinstances-advanced"),
    applies_to=("hybrid",),
)
def hybrid_tier(activation_tier: dict[str, Any], credentials: dict[str, Any], target: Target) -> Outcome:
    value = activation_tier.get("SettingValue") or ""
    evidence = {"setting": "/ssm/managed-instance/activation-tier", "value": value,
                "status": activation_tier.get("Status")}
    if value == "advanced":
        return passed(f"The advanced-instances tier is on in {target.region}", evidence)
    if value == "standard" and activation_tier.get("Status") == "PendingUpdate":
        return failed(
            f"The switch to the advanced-instances tier in {target.region} is still pending",
            evidence,
            fix("Wait a few minutes for the tier change to take effect, then run ssm-doctor again."),
        )
    account = credentials.get("account") or "ACCOUNT_ID"
    arn = f"arn:aws:ssm:{target.region}:{account}:servicesetting/ssm/managed-instance/activation-tier"
    return failed(
        f"Hybrid nodes in {target.region} are on the {value or 'standard'} tier; Session Manager (and so password "
        "reset) needs the advanced-instances tier",
        evidence,
        fix(
            "Switch the account's hybrid nodes in this region to the advanced-instances tier. It applies to every "
            "hybrid node in the region and is charged per node per hour.",
            commands=[f"aws ssm update-service-setting --setting-id {arn} --setting-value advanced "
                      f"--region {target.region}"],
        ),
    )


@check(
    "sessions.recent-failures",
    title="No recent failed sessions on the node",
    requires=("node.registered",),
    problem="session-manager-error",
    doc=doc("session-manager-working-with-view-history"),
)
def sessions_recent_failures(recent_sessions: list[dict[str, Any]], target: Target) -> Outcome:
    failures = [s for s in recent_sessions if s.get("Status") == "Failed"]
    evidence: dict[str, Any] = {"sessions_last_7_days": len(recent_sessions), "failed": len(failures)}
    if failures:
        evidence["recent_failures"] = [
            {k: s.get(k) for k in ("SessionId", "StartDate", "DocumentName", "Owner", "Details") if s.get(k)}
            for s in failures[:5]
        ]
        return warned(
            f"{len(failures)} session(s) on {target.id} failed in the last 7 days",
            evidence,
            fix(
                "Look at what those sessions ran into before retrying; the details are in the session history.",
                commands=[
                    f"aws ssm describe-sessions --state History --filters key=Target,value={target.id} "
                    f"--region {target.region}"
                ],
            ),
        )
    return passed(f"No failed sessions on {target.id} in the last 7 days", evidence)
