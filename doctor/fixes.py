"""Remedies for failing checks that have a standard AWS fix, and the planner behind ``ssm-doctor fix``.

Planning makes read calls only (Describe*, Get*, List*): it checks each remedy's own
preconditions and spells out every mutating call exactly as it would be made. Nothing changes
unless the user passes ``--apply`` and confirms (or passes ``--yes``). After applying, the node
is diagnosed again from scratch and each check's status is shown before and after.

Remedies, keyed by check id:

- ``agent.version``: run ``AWS-UpdateSSMAgent`` with Run Command and follow the invocation
  (https://docs.aws.amazon.com/systems-manager/latest/userguide/run-command-tutorial-update-software.html).
- ``node.role-permissions``: attach ``AmazonSSMManagedInstanceCore`` to the node's role
  (https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html).
- ``node.identity``: associate an instance profile with an EC2 instance that has none
  (https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html).
- ``prefs.kms``: name a KMS key in the Session Manager preferences, keeping every other setting
  (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-preferences-enable-encryption.html).
- ``hybrid.tier``: switch hybrid nodes to the advanced-instances tier, which is billed
  (https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-managedinstances-advanced.html).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from doctor.facts import Target, UnavailableError
from doctor.model import EXIT_BLOCKED, EXIT_USAGE, Finding, Fix, Report, Status, TargetReport

if TYPE_CHECKING:
    from doctor.aws import Aws

Progress = Callable[[str], None]

UPDATE_AGENT_DOCUMENT = "AWS-UpdateSSMAgent"
MANAGED_INSTANCE_CORE = "AmazonSSMManagedInstanceCore"
PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
ACTIVATION_TIER_SETTING = "/ssm/managed-instance/activation-tier"
DHMC_ROLE_SETTING = "/ssm/managed-instance/default-ec2-instance-management-role"
PRICING_URL = "https://aws.amazon.com/systems-manager/pricing/"
# Command statuses after which an invocation will not change any more.
PENDING_COMMAND_STATUSES = frozenset({"Pending", "InProgress", "Delayed", "Cancelling"})
# The complete preferences document Session Manager uses when none exists (every input at its default).
DEFAULT_PREFERENCES: dict[str, Any] = {
    "schemaVersion": "1.0",
    "description": "Document to hold regional settings for Session Manager",
    "sessionType": "Standard_Stream",
    "inputs": {
        "s3BucketName": "",
        "s3KeyPrefix": "",
        "s3EncryptionEnabled": True,
        "cloudWatchLogGroupName": "",
        "cloudWatchEncryptionEnabled": True,
        "cloudWatchStreamingEnabled": False,
        "kmsKeyId": "",
        "runAsEnabled": False,
        "runAsDefaultUser": "",
        "idleSessionTimeout": "20",
        "maxSessionDuration": "",
        "shellProfile": {"windows": "", "linux": ""},
    },
}


@dataclass(frozen=True)
class FixOptions:
    """What the user gave ``ssm-doctor fix`` that remedies need."""

    instance_profile: str | None = None
    kms_key: str | None = None
    accept_charges: bool = False
    timeout: float = 600.0
    poll_interval: float = 5.0


@dataclass(frozen=True)
class ApiCall:
    """One AWS API call: service, operation (API name) and its parameters."""

    service: str
    operation: str
    params: Mapping[str, Any]

    @property
    def method(self) -> str:
        """The boto3 method name: SendCommand → send_command."""
        out = ""
        for i, ch in enumerate(self.operation):
            if ch.isupper() and i and not self.operation[i - 1].isupper():
                out += "_"
            out += ch.lower()
        return out

    def describe(self) -> str:
        return f"{self.service}:{self.operation} {json.dumps(dict(self.params), default=str)}"


@dataclass(frozen=True)
class Applied:
    """What applying one remedy did."""

    check_id: str
    ok: bool
    message: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Proposal:
    """A remedy for one failing check: the mutating calls it makes, or why it refuses."""

    check_id: str
    title: str
    calls: tuple[ApiCall, ...] = ()
    notes: tuple[str, ...] = ()
    refused: str = ""
    run: Callable[[FixContext], Applied] | None = field(default=None, compare=False, repr=False)

    @property
    def ready(self) -> bool:
        return not self.refused and self.run is not None


@dataclass(frozen=True)
class Manual:
    """A failing (or undetermined) check with no automated remedy: its summary and remediation."""

    check_id: str
    status: Status
    summary: str
    remediation: Fix


class Refused(Exception):
    """A remedy's precondition does not hold; the message says which and why."""

    def __init__(self, reason: str, calls: Sequence[ApiCall] = ()) -> None:
        super().__init__(reason)
        self.calls = tuple(calls)


class FixContext:
    """What a remedy sees: AWS, the target, the user's options, the caller and a progress channel."""

    def __init__(
        self,
        aws: Aws,
        target: Target,
        options: FixOptions,
        *,
        account: str = "",
        partition: str = "aws",
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        diagnosis: TargetReport | None = None,
    ) -> None:
        self.aws = aws
        self.diagnosis = diagnosis
        self.target = target
        self.options = options
        self.account = account
        self.partition = partition
        self.progress = progress or (lambda message: None)
        self.sleep = sleep
        self.clock = clock

    def finding(self, check_id: str) -> Finding | None:
        """The diagnosis's finding for another check, when the diagnosis is known."""
        if self.diagnosis is None:
            return None
        return next((f for f in self.diagnosis.findings if f.id == check_id), None)

    def read(self, service: str, operation: str, expect: Mapping[str, Any] | None = None, **params: Any) -> Any:
        """A read-only call (Describe/Get/List); errors raise UnavailableError."""
        return self.aws.call(service, operation, self.target.region, expect=expect, **params)

    def execute(self, call: ApiCall, **overrides: Any) -> Any:
        """Make one of the planned calls, with values only known at run time filled in."""
        return self.aws.call(call.service, call.method, self.target.region, **{**call.params, **overrides})


RemedyFunc = Callable[[FixContext, Finding], Proposal]


def _last_segment(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1] if "/" in name_or_arn else name_or_arn.rsplit(":", 1)[-1]


def _instance_info(ctx: FixContext) -> dict[str, Any] | None:
    resp = ctx.read("ssm", "describe_instance_information",
                    Filters=[{"Key": "InstanceIds", "Values": [ctx.target.id]}])
    for node in resp.get("InstanceInformationList", []):
        if node.get("InstanceId") == ctx.target.id:
            return node  # type: ignore[no-any-return]
    return None


def _ec2_instance(ctx: FixContext) -> dict[str, Any] | None:
    missing = {"InvalidInstanceID.NotFound": None, "InvalidInstanceID.Malformed": None}
    resp = ctx.read("ec2", "describe_instances", expect=missing, InstanceIds=[ctx.target.id])
    for reservation in (resp or {}).get("Reservations", []):
        for instance in reservation.get("Instances", []):
            if instance.get("InstanceId") == ctx.target.id:
                return instance  # type: ignore[no-any-return]
    return None


# --- agent.version -----------------------------------------------------------------------------


def update_agent(ctx: FixContext, finding: Finding) -> Proposal:
    """Run AWS-UpdateSSMAgent on the node (Run Command), then follow the invocation."""
    node_id, region = ctx.target.id, ctx.target.region
    caller = ctx.finding("caller.send-command")
    if caller is not None and caller.status is Status.FAIL:
        raise Refused(f"you may not run commands on {node_id}, so the update cannot be sent: {caller.summary} "
                      "(see caller.send-command)")
    info = _instance_info(ctx)
    if info is None:
        raise Refused(f"{node_id} is not registered with Systems Manager in {region}, so Run Command cannot "
                      "reach it")
    ping = info.get("PingStatus") or "not reporting"
    if ping != "Online":
        raise Refused(f"{node_id} is {ping}, not Online: Run Command cannot deliver the update until SSM Agent "
                      "reports again (see node.online)")
    send = ApiCall("ssm", "SendCommand", {
        "DocumentName": UPDATE_AGENT_DOCUMENT,
        "InstanceIds": [node_id],
        "Comment": "ssm-doctor fix: update SSM Agent for AWS-PasswordReset",
    })
    poll = ApiCall("ssm", "ListCommandInvocations",
                   {"CommandId": "<CommandId from SendCommand>", "InstanceId": node_id, "Details": True})
    notes = (
        f"then polls {poll.describe()} every {ctx.options.poll_interval:g} s for up to "
        f"{ctx.options.timeout:g} s, and reports the command's status and output",
        f"SSM Agent on the node goes from {info.get('AgentVersion') or 'unknown'} to the latest version",
    )

    def run(ctx: FixContext) -> Applied:
        resp = ctx.execute(send)
        command_id = str(resp["Command"]["CommandId"])
        ctx.progress(f"sent {UPDATE_AGENT_DOCUMENT} to {node_id}: command {command_id}")
        status, output = wait_for_command(ctx, command_id, node_id)
        details = tuple(line for line in output.splitlines() if line.strip())[-20:]
        if status in PENDING_COMMAND_STATUSES:
            return Applied("agent.version", False,
                           f"command {command_id} is still {status} after {ctx.options.timeout:g} s; follow it with: "
                           f"aws ssm list-command-invocations --command-id {command_id} --details --region {region}",
                           details)
        ok = status == "Success"
        message = f"{UPDATE_AGENT_DOCUMENT} command {command_id} finished: {status}"
        if ok:
            details += ("SSM Agent reports its new version to Systems Manager within a few minutes.",)
        return Applied("agent.version", ok, message, details)

    return Proposal("agent.version", "Update SSM Agent with Run Command (AWS-UpdateSSMAgent)", (send,), notes,
                    run=run)


def wait_for_command(ctx: FixContext, command_id: str, node_id: str) -> tuple[str, str]:
    """Poll the invocation until it finishes or the timeout passes; returns its status and output."""
    start = ctx.clock()
    status, output = "Pending", ""
    while True:
        resp = ctx.read("ssm", "list_command_invocations", CommandId=command_id, InstanceId=node_id, Details=True)
        invocations = resp.get("CommandInvocations") or []
        if invocations:  # right after SendCommand the invocation may not be listed yet
            invocation = invocations[0]
            status = str(invocation.get("Status") or "Pending")
            output = "\n".join(str(p.get("Output") or "") for p in invocation.get("CommandPlugins") or [])
        elapsed = ctx.clock() - start
        ctx.progress(f"command {command_id} on {node_id}: {status} ({elapsed:.0f} s)")
        if status not in PENDING_COMMAND_STATUSES:
            return status, output
        remaining = ctx.options.timeout - elapsed
        if remaining <= 0:
            return status, output
        ctx.sleep(min(ctx.options.poll_interval, remaining))


# --- node.role-permissions -------------------------------------------------------------------


_ROLE_EVIDENCE_KEYS = ("role_name", "role", "role_arn", "iam_role")


def node_role(ctx: FixContext, finding: Finding) -> str:
    """The name of the node's role: from the finding's evidence, else its instance profile's role, the
    Default Host Management role, or (hybrid) the role in its registration."""
    for key in _ROLE_EVIDENCE_KEYS:
        value = finding.evidence.get(key)
        if isinstance(value, str) and value:
            return _last_segment(value)
    if ctx.target.kind == "ec2":
        instance = _ec2_instance(ctx)
        if instance is None:
            raise Refused(f"no EC2 instance {ctx.target.id} in {ctx.target.region}")
        profile_arn = (instance.get("IamInstanceProfile") or {}).get("Arn")
        if not profile_arn:
            setting = ctx.read("ssm", "get_service_setting", SettingId=DHMC_ROLE_SETTING).get("ServiceSetting") or {}
            dhmc_role = str(setting.get("SettingValue") or "")
            if dhmc_role and dhmc_role != "$None":  # Default Host Management gives the node this role
                return _last_segment(dhmc_role)
            raise Refused(f"{ctx.target.id} has no instance profile, so there is no role to attach the policy to; "
                          "fix node.identity first (ssm-doctor fix --instance-profile NAME)")
        profile_name = _last_segment(str(profile_arn))
        profile = ctx.read("iam", "get_instance_profile", expect={"NoSuchEntity": None},
                           InstanceProfileName=profile_name)
        roles = ((profile or {}).get("InstanceProfile") or {}).get("Roles") or []
        if not roles:
            raise Refused(f"instance profile {profile_name} holds no role; add one with "
                          f"aws iam add-role-to-instance-profile --instance-profile-name {profile_name} "
                          "--role-name ROLE")
        return str(roles[0]["RoleName"])
    info = _instance_info(ctx)
    role = (info or {}).get("IamRole")
    if not role:
        raise Refused(f"Systems Manager reports no role for {ctx.target.id}")
    return _last_segment(str(role))


def attach_core_policy(ctx: FixContext, finding: Finding) -> Proposal:
    """Attach the AWS managed policy AmazonSSMManagedInstanceCore to the node's role."""
    role = node_role(ctx, finding)
    if ctx.read("iam", "get_role", expect={"NoSuchEntity": None}, RoleName=role) is None:
        raise Refused(f"the node's role {role} does not exist")
    policy_arn = f"arn:{ctx.partition}:iam::aws:policy/{MANAGED_INSTANCE_CORE}"
    attached = ctx.aws.paginate("iam", "list_attached_role_policies", ctx.target.region, "AttachedPolicies",
                                RoleName=role)
    if any(p.get("PolicyArn") == policy_arn for p in attached):
        raise Refused(f"{MANAGED_INSTANCE_CORE} is already attached to {role}; what denies the node is elsewhere "
                      "(an explicit Deny, a permissions boundary or an SCP): see the check's evidence")
    call = ApiCall("iam", "AttachRolePolicy", {"RoleName": role, "PolicyArn": policy_arn})

    def run(ctx: FixContext) -> Applied:
        ctx.execute(call)
        return Applied("node.role-permissions", True, f"attached {MANAGED_INSTANCE_CORE} to role {role}",
                       ("SSM Agent uses the new permissions the next time it refreshes its credentials; "
                        "restarting the agent makes that immediate.",))

    return Proposal("node.role-permissions", f"Attach {MANAGED_INSTANCE_CORE} to the node's role {role}", (call,),
                    run=run)


# --- node.identity -------------------------------------------------------------------------------


def associate_instance_profile(ctx: FixContext, finding: Finding) -> Proposal:
    """Give an EC2 instance without an instance profile the one named by --instance-profile."""
    from checks.permissions import trusts

    node_id = ctx.target.id
    if ctx.target.kind != "ec2":
        raise Refused("a hybrid node's identity is its activation's role; register it again with an activation "
                      "whose role exists")
    instance = _ec2_instance(ctx)
    if instance is None:
        raise Refused(f"no EC2 instance {node_id} in {ctx.target.region}")
    current = (instance.get("IamInstanceProfile") or {}).get("Arn")
    if current:
        raise Refused(f"{node_id} already has instance profile {_last_segment(str(current))}; replacing it is "
                      "not done automatically (aws ec2 replace-iam-instance-profile-association)")
    wanted = ctx.options.instance_profile
    if not wanted:
        raise Refused("needs --instance-profile NAME: an existing instance profile whose role trusts "
                      f"ec2.amazonaws.com and has {MANAGED_INSTANCE_CORE}")
    name = _last_segment(wanted) if wanted.startswith("arn:") else wanted
    profile = ctx.read("iam", "get_instance_profile", expect={"NoSuchEntity": None}, InstanceProfileName=name)
    if profile is None:
        raise Refused(f"instance profile {name!r} does not exist in this account")
    found_arn = str((profile.get("InstanceProfile") or {}).get("Arn") or "")
    if wanted.startswith("arn:") and found_arn and found_arn != wanted:
        raise Refused(f"{wanted} is not the instance profile of that name in this account ({found_arn}); "
                      "an instance can only use a profile of its own account")
    roles = (profile.get("InstanceProfile") or {}).get("Roles") or []
    if not roles:
        raise Refused(f"instance profile {name} holds no role, so it would give the instance no identity")
    if not trusts(roles[0].get("AssumeRolePolicyDocument"), "ec2.amazonaws.com"):
        raise Refused(f"role {roles[0]['RoleName']} in instance profile {name} does not trust ec2.amazonaws.com, "
                      "so the instance could not assume it; fix its trust policy (aws iam "
                      "update-assume-role-policy) or pick another profile")
    spec = {"Arn": wanted} if wanted.startswith("arn:") else {"Name": wanted}
    call = ApiCall("ec2", "AssociateIamInstanceProfile", {"IamInstanceProfile": spec, "InstanceId": node_id})

    def run(ctx: FixContext) -> Applied:
        resp = ctx.execute(call)
        state = (resp.get("IamInstanceProfileAssociation") or {}).get("State", "associating")
        return Applied("node.identity", True, f"associated instance profile {name} with {node_id} ({state})",
                       ("SSM Agent picks up the new identity within about half an hour; restarting it makes "
                        "that immediate.",))

    notes = (f"the next diagnosis checks what role {roles[0]['RoleName']} allows (node.role-permissions)",)
    return Proposal("node.identity", f"Associate instance profile {name} (role {roles[0]['RoleName']}) "
                    f"with {node_id}", (call,), notes, run=run)



# --- prefs.kms -----------------------------------------------------------------------------------


def set_kms_key(ctx: FixContext, finding: Finding) -> Proposal:
    """Set kmsKeyId in the Session Manager preferences to --kms-key, keeping every other setting."""
    key = ctx.options.kms_key
    if not key:
        raise Refused("needs --kms-key KEY: a symmetric KMS key (id, ARN, alias/NAME or alias ARN) in "
                      f"{ctx.target.region} that callers and nodes may use")
    described = ctx.read("kms", "describe_key", expect={"NotFoundException": None}, KeyId=key)
    if described is None:
        raise Refused(f"KMS key {key!r} does not exist in {ctx.target.region}")
    meta = described.get("KeyMetadata") or {}
    if meta.get("KeyState") != "Enabled":
        raise Refused(f"KMS key {key} is {meta.get('KeyState') or 'not usable'}, not Enabled")
    if (meta.get("KeySpec") or "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" or (
            meta.get("KeyUsage") or "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        raise Refused(f"KMS key {key} is {meta.get('KeySpec')} for {meta.get('KeyUsage')}; Session Manager needs "
                      "a symmetric encryption key")
    existing = ctx.read("ssm", "get_document", expect={"InvalidDocument": None}, Name=PREFERENCES_DOCUMENT,
                        DocumentVersion="$LATEST", DocumentFormat="JSON")
    name = PREFERENCES_DOCUMENT
    title = f"Encrypt session data with KMS key {key}"
    if existing is None:
        document = json.loads(json.dumps(DEFAULT_PREFERENCES))
        document["inputs"]["kmsKeyId"] = key
        create = ApiCall("ssm", "CreateDocument", {
            "Name": name, "DocumentType": "Session", "DocumentFormat": "JSON",
            "Content": json.dumps(document, indent=4),
        })

        def run_create(ctx: FixContext) -> Applied:
            ctx.execute(create)
            return Applied("prefs.kms", True, f"created the Session Manager preferences with kmsKeyId {key}")

        notes = (f"{name} does not exist yet: it is created with Session Manager's default settings",)
        return Proposal("prefs.kms", title, (create,), notes, run=run_create)

    try:
        document = json.loads(existing.get("Content") or "")
        inputs = document["inputs"]
        if not isinstance(inputs, dict):
            raise TypeError("inputs is not an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise Refused(f"{name} cannot be read as preferences ({exc}); fix prefs.document first") from None
    before = inputs.get("kmsKeyId") or ""
    if before == key:
        raise Refused(f"the preferences already name {key}")
    inputs["kmsKeyId"] = key
    update = ApiCall("ssm", "UpdateDocument", {
        "Name": name, "Content": json.dumps(document, indent=4), "DocumentVersion": "$LATEST",
        "DocumentFormat": "JSON",
    })
    default = ApiCall("ssm", "UpdateDocumentDefaultVersion",
                      {"Name": name, "DocumentVersion": "<DocumentVersion returned by UpdateDocument>"})
    notes = (f"changes only inputs.kmsKeyId ({before or 'empty'} → {key}); every other setting stays as it is",)

    def run_update(ctx: FixContext) -> Applied:
        resp = ctx.execute(update)
        new_version = str((resp.get("DocumentDescription") or {}).get("DocumentVersion") or "")
        ctx.execute(default, DocumentVersion=new_version)
        return Applied("prefs.kms", True, f"{name} version {new_version} names KMS key {key} and is the default")

    return Proposal("prefs.kms", title, (update, default), notes, run=run_update)


# --- hybrid.tier ---------------------------------------------------------------------------------


def advanced_tier(ctx: FixContext, finding: Finding) -> Proposal:
    """Switch the account's hybrid nodes in the region to the advanced-instances tier (billed)."""
    region = ctx.target.region
    if ctx.target.kind != "hybrid":
        raise Refused("the instance tier concerns hybrid (mi-) nodes only")
    setting = (ctx.read("ssm", "get_service_setting", SettingId=ACTIVATION_TIER_SETTING).get("ServiceSetting") or {})
    if setting.get("SettingValue") == "advanced":
        raise Refused(f"the tier is already advanced (status {setting.get('Status')}); wait for the change to "
                      "take effect")
    setting_id = (f"arn:{ctx.partition}:ssm:{region}:{ctx.account}:servicesetting{ACTIVATION_TIER_SETTING}"
                  if ctx.account else ACTIVATION_TIER_SETTING)
    call = ApiCall("ssm", "UpdateServiceSetting", {"SettingId": setting_id, "SettingValue": "advanced"})
    billing = (f"billed: advanced instances are charged per node per hour, for every hybrid node in {region} "
               f"of this account ({PRICING_URL})")
    if not ctx.options.accept_charges:
        raise Refused(f"{billing}; pass --accept-charges to switch", (call,))

    def run(ctx: FixContext) -> Applied:
        ctx.execute(call)
        return Applied("hybrid.tier", True, f"asked for the advanced-instances tier in {region}",
                       ("The switch can take several minutes; the setting reads PendingUpdate until it is done.",))

    return Proposal("hybrid.tier", f"Switch hybrid nodes in {region} to the advanced-instances tier", (call,),
                    (billing,), run=run)


REMEDIES: dict[str, tuple[str, RemedyFunc]] = {
    "agent.version": ("Update SSM Agent with Run Command (AWS-UpdateSSMAgent)", update_agent),
    "node.role-permissions": (f"Attach {MANAGED_INSTANCE_CORE} to the node's role", attach_core_policy),
    "node.identity": ("Associate an instance profile with the instance", associate_instance_profile),
    "prefs.kms": ("Name a KMS key in the Session Manager preferences", set_kms_key),
    "hybrid.tier": ("Switch hybrid nodes to the advanced-instances tier", advanced_tier),
}


def plan_fixes(ctx: FixContext, report: TargetReport) -> tuple[list[Proposal], list[Manual]]:
    """A remedy (or its refusal) for each failing check that has one; the rest as manual items."""
    proposals: list[Proposal] = []
    manual: list[Manual] = []
    for finding in report.findings:
        if finding.status is Status.FAIL and finding.id in REMEDIES:
            proposals.append(propose(ctx, finding))
        elif finding.status in (Status.FAIL, Status.UNKNOWN, Status.ERROR):
            manual.append(Manual(finding.id, finding.status, finding.summary, finding.remediation))
    return proposals, manual


def propose(ctx: FixContext, finding: Finding) -> Proposal:
    title, remedy = REMEDIES[finding.id]
    try:
        return remedy(ctx, finding)
    except Refused as exc:
        return Proposal(finding.id, title, exc.calls, refused=str(exc))
    except UnavailableError as exc:
        return Proposal(finding.id, title,
                        refused=f"could not check its preconditions: {exc.unavailable.describe()}")


def apply_fixes(ctx: FixContext, proposals: Sequence[Proposal]) -> list[Applied]:
    """Apply every ready proposal in order; one failing does not stop the others."""
    results: list[Applied] = []
    for proposal in proposals:
        if not proposal.ready or proposal.run is None:
            continue
        ctx.progress(f"applying {proposal.check_id}: {proposal.title}")
        try:
            results.append(proposal.run(ctx))
        except UnavailableError as exc:
            gone = exc.unavailable
            results.append(Applied(proposal.check_id, False, f"{gone.describe()}: {gone.message}"))
    return results


# --- the command ---------------------------------------------------------------------------------


def _label(target: TargetReport) -> str:
    return target.target + (f" ({target.name})" if target.name else "")


def render_plan(before: TargetReport, proposals: Sequence[Proposal], manual: Sequence[Manual], apply: bool) -> str:
    lines = [f"Diagnosis of {_label(before)} in {before.region}: {before.verdict.value.upper()}"]
    for f in before.findings:
        if f.status.blocks:
            lines.append(f"  {f.status.value:<8} {f.id:<26} {f.summary}")
    if proposals:
        lines += ["", "Automated remedies" + ("" if apply else " (dry run: nothing is changed)") + ":"]
        for p in proposals:
            lines.append(f"  [{p.check_id}] {p.title}")
            if p.refused:
                lines.append(f"      REFUSED: {p.refused}")
                lines += [f"      would call: {c.describe()}" for c in p.calls]
                continue
            lines += [f"      {c.describe()}" for c in p.calls]
            lines += [f"      note: {n}" for n in p.notes]
    if manual:
        lines += ["", "Manual (no automated remedy):"]
        for m in manual:
            lines.append(f"  [{m.check_id}] {m.status.value}: {m.summary}")
            lines += [f"      - {step}" for step in m.remediation.steps]
            lines += [f"      $ {command}" for command in m.remediation.commands]
    if not proposals and not manual:
        lines += ["", "Nothing to fix."]
    return "\n".join(lines) + "\n"


def render_results(results: Sequence[Applied], before: TargetReport, after: TargetReport) -> str:
    lines = ["", "Applied:"]
    for r in results:
        lines.append(f"  [{r.check_id}] {'done' if r.ok else 'FAILED'}: {r.message}")
        lines += [f"      {d}" for d in r.details]
    lines += ["", "Before → after:"]
    after_by_id = {f.id: f for f in after.findings}
    for f in before.findings:
        later = after_by_id.get(f.id)
        if later is None or (f.status is later.status and not f.status.blocks):
            continue
        lines.append(f"  {f.id:<26} {f.status.value} → {later.status.value}")
    lines.append(f"  {'verdict':<26} {before.verdict.value} → {after.verdict.value}")
    return "\n".join(lines) + "\n"


def _remedies(count: int) -> str:
    return f"{count} remedy" if count == 1 else f"{count} remedies"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_fix(
    aws: Aws,
    target: Target,
    options: FixOptions,
    *,
    apply: bool,
    yes: bool,
    progress: Progress | None = None,
    out: TextIO | None = None,
) -> int:
    """Diagnose, show the remedies, apply them if asked and confirmed, diagnose again; the exit code."""
    from doctor.facts import FactStore, Options
    from doctor.reset import confirm
    from doctor.runner import diagnose, make_plan

    stream = out or sys.stdout
    plan_ = make_plan()
    report: Report = diagnose(plan_, FactStore(aws, Options()), [target], progress=progress)
    before = report.targets[0]
    arn = report.caller.arn
    ctx = FixContext(aws, target, options, account=report.caller.account,
                     partition=arn.split(":")[1] if arn.startswith("arn:") else "aws", progress=progress,
                     diagnosis=before)
    proposals, manual = plan_fixes(ctx, before)
    stream.write(render_plan(before, proposals, manual, apply))
    stream.flush()
    ready = [p for p in proposals if p.ready]
    if not ready:
        return report.exit_code
    if not apply:
        stream.write(f"\nDry run: {_remedies(len(ready))} would make changes. Run again with --apply to make them.\n")
        return EXIT_BLOCKED
    if not yes:
        if not sys.stdin.isatty():
            _say("ssm-doctor: fix --apply asks for confirmation on a terminal; pass --yes to apply without asking")
            return EXIT_USAGE
        if not confirm(f"Apply {_remedies(len(ready))} to {target.id} in {target.region}?"):
            _say("ssm-doctor: cancelled; nothing was changed")
            return EXIT_BLOCKED
    results = apply_fixes(ctx, ready)
    if progress:
        progress(f"diagnosing {target.id} again")
    again = diagnose(plan_, FactStore(aws, Options()), [target], progress=progress)
    stream.write(render_results(results, before, again.targets[0]))
    stream.flush()
    return again.exit_code
