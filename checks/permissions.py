"""Checks on identities and permissions: the node's IAM identity and role, and what the caller may do.

Permission decisions come from :mod:`doctor.permissions` (IAM's simulation first, the local evaluator
second); each finding says which path and which statement decided and what could not be seen.

``caller.send-command`` decides ``ssm:SendCommand`` on the node's ARN: the password-reset prerequisites ask for
it "for the node". SendCommand is also authorised against the document it runs, so the check also looks at
``AWS-UpdateSSMAgent``, the document the agent update (and the console's reset flow) sends; being refused only
that document is a warning, since the reset itself does not run it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from checks.problems import doc
from doctor.collectors.iam import (
    NODE_REQUIRED_ACTIONS,
    NODE_WANTED_ACTIONS,
    PASSWORD_RESET_DOCUMENT,
    UPDATE_AGENT_DOCUMENT,
)
from doctor.engine import check
from doctor.facts import Target
from doctor.iam import least_privilege_policy
from doctor.model import Fix, Outcome, failed, fix, passed, unknown, warned
from doctor.permissions import (
    PermissionDecision,
    aws_document_arn,
    decide,
    node_arn,
    policy_json,
    session_arn,
)
from doctor.versions import MIN_DHMC_AGENT, version

CORE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
DHMC_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"
DHMC_DEFAULT_ROLE = "AWSSystemsManagerDefaultEC2InstanceManagementRole"
DHMC_SETTING = "/ssm/managed-instance/default-ec2-instance-management-role"
NEW_PROFILE = "SSMInstanceProfile"
NOT_COLLECTED = "not collected"
ROOT_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html"


def _trust_json(service: str) -> str:
    return policy_json({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def trusts(document: Any, service: str) -> bool:
    """Whether a trust policy lets ``service`` assume the role: an Allow names it and no Deny does (conditions are
    not evaluated). The document may be a mapping or its JSON text, URL-encoded as IAM returns it."""
    if isinstance(document, str):
        from urllib.parse import unquote

        try:
            document = json.loads(unquote(document))
        except ValueError:
            return False
    if not isinstance(document, Mapping):
        return False
    raw = document.get("Statement")
    statements = [raw] if isinstance(raw, Mapping) else [s for s in raw or [] if isinstance(s, Mapping)]
    allowed = False
    for st in statements:
        actions = st.get("Action")
        actions = [actions] if isinstance(actions, str) else list(actions or [])
        if not any(str(a).lower() in ("sts:assumerole", "sts:*", "*") for a in actions):
            continue
        principal = st.get("Principal")
        services = principal.get("Service") if isinstance(principal, Mapping) else None
        services = [services] if isinstance(services, str) else list(services or [])
        names_it = service in services or principal == "*" or (
            isinstance(principal, Mapping) and principal.get("AWS") == "*")
        if st.get("Effect") == "Deny" and names_it:
            return False
        if st.get("Effect") == "Allow" and service in services:
            allowed = True
    return allowed


# ---------------------------------------------------------------------------------------------------------------
# node.identity
# ---------------------------------------------------------------------------------------------------------------


def _new_profile_commands(target: Target) -> list[str]:
    return [
        f"aws iam create-role --role-name {NEW_PROFILE} --assume-role-policy-document "
        f"'{_trust_json('ec2.amazonaws.com')}'",
        f"aws iam attach-role-policy --role-name {NEW_PROFILE} --policy-arn {CORE_POLICY_ARN}",
        f"aws iam create-instance-profile --instance-profile-name {NEW_PROFILE}",
        f"aws iam add-role-to-instance-profile --instance-profile-name {NEW_PROFILE} --role-name {NEW_PROFILE}",
        f"aws ec2 associate-iam-instance-profile --instance-id {target.id} "
        f"--iam-instance-profile Name={NEW_PROFILE} --region {target.region}",
    ]


def _dhmc_commands(target: Target, account: str, role: str = DHMC_DEFAULT_ROLE, create: bool = True) -> list[str]:
    arn = f"arn:aws:ssm:{target.region}:{account or 'ACCOUNT_ID'}:servicesetting{DHMC_SETTING}"
    commands = []
    if create:
        commands += [
            f"aws iam create-role --role-name {role} --path /service-role/ --assume-role-policy-document "
            f"'{_trust_json('ssm.amazonaws.com')}'",
            f"aws iam attach-role-policy --role-name {role} --policy-arn {DHMC_POLICY_ARN}",
        ]
    commands.append(f"aws ssm update-service-setting --setting-id {arn} --setting-value service-role/{role} "
                    f"--region {target.region}")
    return commands


def _imds_command(target: Target) -> str:
    return (f"aws ec2 modify-instance-metadata-options --instance-id {target.id} --http-tokens required "
            f"--http-endpoint enabled --region {target.region}")


def _profile_identity(node_role: Mapping[str, Any], target: Target) -> Outcome:
    profile = node_role.get("profile") or {}
    name = str(profile.get("name", ""))
    role_name = node_role.get("role_name")
    role = node_role.get("role") or {}
    evidence = {"found_by": node_role.get("how"), "instance_profile": profile.get("arn"), "role": role.get("Arn")}
    if not profile.get("exists"):
        return failed(
            f"{target.id} is associated with instance profile {name}, which no longer exists",
            evidence,
            fix(
                "Recreate the instance profile with a role that has AmazonSSMManagedInstanceCore, or associate "
                "another one; the agent picks the new credentials up within minutes.",
                commands=[
                    f"aws iam create-instance-profile --instance-profile-name {name}",
                    f"aws iam add-role-to-instance-profile --instance-profile-name {name} --role-name ROLE_NAME",
                    f"aws ec2 describe-iam-instance-profile-associations --filters Name=instance-id,Values="
                    f"{target.id} --region {target.region}",
                ],
            ),
        )
    if not role_name:
        return failed(
            f"Instance profile {name} on {target.id} holds no role, so the instance has no credentials",
            evidence,
            fix(
                "Add a role with the AmazonSSMManagedInstanceCore policy to the instance profile.",
                commands=[
                    f"aws iam create-role --role-name {name} --assume-role-policy-document "
                    f"'{_trust_json('ec2.amazonaws.com')}'",
                    f"aws iam attach-role-policy --role-name {name} --policy-arn {CORE_POLICY_ARN}",
                    f"aws iam add-role-to-instance-profile --instance-profile-name {name} --role-name {name}",
                ],
            ),
        )
    if not role.get("exists"):
        return failed(
            f"Instance profile {name} names role {role_name}, which does not exist",
            evidence,
            fix(
                f"Recreate role {role_name} (trusting ec2.amazonaws.com, with AmazonSSMManagedInstanceCore), or put "
                "another role in the instance profile.",
                commands=[
                    f"aws iam create-role --role-name {role_name} --assume-role-policy-document "
                    f"'{_trust_json('ec2.amazonaws.com')}'",
                    f"aws iam attach-role-policy --role-name {role_name} --policy-arn {CORE_POLICY_ARN}",
                ],
            ),
        )
    if not trusts(role.get("AssumeRolePolicyDocument"), "ec2.amazonaws.com"):
        return warned(
            f"Role {role_name} of instance profile {name} does not visibly trust ec2.amazonaws.com; the instance may "
            "get no credentials from it",
            {**evidence, "trust_policy": role.get("AssumeRolePolicyDocument")},
            fix(
                "Let EC2 assume the role (its trust policy must allow ec2.amazonaws.com to call sts:AssumeRole).",
                commands=[f"aws iam update-assume-role-policy --role-name {role_name} --policy-document "
                          f"'{_trust_json('ec2.amazonaws.com')}'"],
            ),
        )
    return passed(f"{target.id} uses instance profile {name} with role {role_name}", evidence)


def _dhmc_identity(node_role: Mapping[str, Any], target: Target, account: str, instance_info: Any) -> Outcome:
    setting = node_role.get("dhmc") or {}
    role_name = str(node_role.get("role_name"))
    role = node_role.get("role") or {}
    metadata = node_role.get("metadata_options") or {}
    evidence: dict[str, Any] = {
        "found_by": node_role.get("how"),
        "dhmc_setting": setting.get("SettingValue"),
        "role": role.get("Arn"),
        "http_tokens": metadata.get("HttpTokens"),
        "http_endpoint": metadata.get("HttpEndpoint"),
    }
    problems: list[str] = []
    steps: list[str] = []
    commands: list[str] = []
    if not role.get("exists"):
        problems.append(f"the role it names, {role_name}, does not exist")
        steps.append(f"Create role {role_name} (trusting ssm.amazonaws.com, with "
                     "AmazonSSMManagedEC2InstanceDefaultPolicy) or point the setting at an existing one.")
        commands += _dhmc_commands(target, account, role_name)[:2]
    elif not trusts(role.get("AssumeRolePolicyDocument"), "ssm.amazonaws.com"):
        problems.append(f"role {role_name} does not trust ssm.amazonaws.com")
        steps.append("Let Systems Manager assume the role: its trust policy must allow ssm.amazonaws.com.")
        commands.append(f"aws iam update-assume-role-policy --role-name {role_name} --policy-document "
                        f"'{_trust_json('ssm.amazonaws.com')}'")
    if metadata.get("HttpTokens") != "required" or metadata.get("HttpEndpoint") == "disabled":
        problems.append(f"the instance does not require IMDSv2 (HttpTokens is {metadata.get('HttpTokens')!r}"
                        + (", metadata endpoint disabled" if metadata.get("HttpEndpoint") == "disabled" else "")
                        + ")")
        steps.append("Default Host Management works only with IMDSv2: require session tokens on the instance "
                     "(check first that the software on it supports IMDSv2).")
        commands.append(_imds_command(target))
    agent = instance_info.get("AgentVersion") if isinstance(instance_info, Mapping) else None
    evidence["agent_version"] = agent
    evidence["required_agent"] = str(MIN_DHMC_AGENT)
    parsed = version(agent)
    if parsed is not None and parsed < MIN_DHMC_AGENT:
        problems.append(f"SSM Agent {agent} is older than {MIN_DHMC_AGENT}")
        steps.append(f"Update SSM Agent to {MIN_DHMC_AGENT} or later (Default Host Management needs it); until then "
                     "attach an instance profile instead.")
        commands += _new_profile_commands(target)
    if problems:
        return failed(
            f"{target.id} has no instance profile and relies on Default Host Management, but "
            + "; ".join(problems),
            evidence,
            fix(*steps, commands=commands),
        )
    summary = f"{target.id} has no instance profile; Default Host Management gives it role {role_name}"
    if parsed is None:
        why = "the node is not registered" if instance_info is None else "the agent version was not read"
        return warned(
            f"{summary}, but the SSM Agent version could not be confirmed ({why}); it must be {MIN_DHMC_AGENT} or "
            "later",
            evidence,
            fix(f"Check that SSM Agent on {target.id} is {MIN_DHMC_AGENT} or later (amazon-ssm-agent --version on "
                "the instance), or attach an instance profile.", commands=_new_profile_commands(target)),
        )
    return passed(summary + " (IMDSv2 required, agent new enough)", evidence)


def _hybrid_identity(node_role: Mapping[str, Any], target: Target) -> Outcome:
    role_name = node_role.get("role_name")
    role = node_role.get("role") or {}
    evidence = {"found_by": node_role.get("how"), "activation_id": node_role.get("activation_id"),
                "role": role.get("Arn") or role_name}
    reregister = ("A hybrid node keeps its activation's role: to use another one, create an activation with it and "
                  "register the node again (amazon-ssm-agent -register -code CODE -id ID -region "
                  f"{target.region}).")
    if not node_role.get("registered"):
        return failed(
            f"{target.id} has no Systems Manager registration, so it has no activation role",
            evidence,
            fix(reregister, commands=[f"aws ssm describe-activations --region {target.region}"]),
        )
    if not role_name:
        return failed(f"The registration of {target.id} names no IAM role", evidence, fix(reregister))
    if not role.get("exists"):
        return failed(
            f"The activation role {role_name} of {target.id} does not exist",
            evidence,
            fix(
                f"Recreate role {role_name} with the same name, trusting ssm.amazonaws.com and with "
                "AmazonSSMManagedInstanceCore; the node's registration refers to it by name.",
                commands=[
                    f"aws iam create-role --role-name {role_name} --assume-role-policy-document "
                    f"'{_trust_json('ssm.amazonaws.com')}'",
                    f"aws iam attach-role-policy --role-name {role_name} --policy-arn {CORE_POLICY_ARN}",
                ],
            ),
        )
    if not trusts(role.get("AssumeRolePolicyDocument"), "ssm.amazonaws.com"):
        return failed(
            f"The activation role {role_name} of {target.id} does not trust ssm.amazonaws.com",
            {**evidence, "trust_policy": role.get("AssumeRolePolicyDocument")},
            fix(
                "Systems Manager assumes the activation role for the node: its trust policy must allow "
                "ssm.amazonaws.com.",
                commands=[f"aws iam update-assume-role-policy --role-name {role_name} --policy-document "
                          f"'{_trust_json('ssm.amazonaws.com')}'"],
            ),
        )
    return passed(f"{target.id} uses activation role {role_name}, which trusts ssm.amazonaws.com", evidence)


@check(
    "node.identity",
    title="The node has an IAM identity Systems Manager accepts",
    requires=("ec2.instance",),
    problem="managed-node-not-available",
    doc=doc("setup-instance-permissions"),
)
def node_identity(
    node_role: dict[str, Any],
    credentials: dict[str, Any],
    target: Target,
    instance_info: dict[str, Any] | str | None = NOT_COLLECTED,
) -> Outcome:
    if target.kind == "hybrid":
        return _hybrid_identity(node_role, target)
    if node_role.get("source") == "instance-profile":
        return _profile_identity(node_role, target)
    if node_role.get("source") == "dhmc":
        return _dhmc_identity(node_role, target, str(credentials.get("account") or ""), instance_info)
    return failed(
        f"{target.id} has no instance profile and Default Host Management Configuration is off in "
        f"{target.region}, so SSM Agent has no credentials",
        {"found_by": node_role.get("how"), "dhmc_setting": (node_role.get("dhmc") or {}).get("SettingValue")},
        fix(
            "Attach an instance profile whose role has AmazonSSMManagedInstanceCore (first five commands), or turn "
            "on Default Host Management for the region (last three; it needs IMDSv2 and SSM Agent "
            f"{MIN_DHMC_AGENT} or later).",
            commands=_new_profile_commands(target) + _dhmc_commands(target, str(credentials.get("account") or "")),
        ),
    )


# ---------------------------------------------------------------------------------------------------------------
# Shared helpers for permission findings
# ---------------------------------------------------------------------------------------------------------------


def _evidence(principal: Mapping[str, Any], decisions: Sequence[PermissionDecision]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "principal": principal.get("caller_arn") or principal.get("arn"),
        "principal_type": principal.get("kind"),
        "decisions": [{k: v for k, v in d.evidence().items() if k != "not_seen"} for d in decisions],
    }
    if principal.get("principal_arn") and principal.get("principal_arn") != data["principal"]:
        data["policies_of"] = principal["principal_arn"]
    not_seen = list(dict.fromkeys(x for d in decisions for x in d.not_seen))
    if not_seen:
        data["not_seen"] = not_seen
    return data


def _unknown_outcome(principal: Mapping[str, Any], decisions: Sequence[PermissionDecision], what: str) -> Outcome:
    undecided = [d for d in decisions if d.decision == "unknown"]
    missing = tuple(dict.fromkeys(m for d in undecided for m in d.missing))
    reasons = "; ".join(dict.fromkeys(d.reason for d in undecided))
    steps = []
    if missing:
        steps.append(f"Allow {', '.join(missing)} for the identity running ssm-doctor (ssm-doctor policy --for "
                     "doctor prints the whole read-only policy), then run it again.")
    if any(d.unsupported for d in undecided):
        steps.append("Some statements use conditions whose values a diagnosis cannot know; check them by hand: "
                     + "; ".join(dict.fromkeys(u for d in undecided for u in d.unsupported)))
    return unknown(f"Could not decide whether {what}: {reasons}", missing, _evidence(principal, decisions),
                   fix(*steps))


def _denial_steps(denied: Sequence[PermissionDecision]) -> list[str]:
    steps = []
    for d in denied:
        if d.decision == "explicitDeny":
            where = ", ".join(d.deciding) or "a deny statement"
            steps.append(f"{d.action} on {d.resource} is explicitly denied ({where}). An Allow cannot override an "
                         "explicit Deny: remove or narrow that statement.")
        elif "boundary" in d.reason:
            steps.append(f"{d.action} on {d.resource} is outside the permissions boundary: the boundary must "
                         "allow it as well.")
    return steps


def _grant_fix(
    principal: Mapping[str, Any],
    denied: Sequence[PermissionDecision],
    policy_name: str,
    document: Mapping[str, Any],
    what: str,
) -> Fix:
    steps = _denial_steps(denied)
    doc_json = policy_json(document)
    commands: list[str] = []
    name = str(principal.get("name") or "")
    implicit = [d for d in denied if d.decision == "implicitDeny"]
    by_boundary = [d for d in implicit if "boundary" in d.reason]
    if by_boundary:
        steps.append("The permissions boundary limits what any identity policy can grant: add a statement like this "
                     f"to the boundary policy (a new default version of it), or ask its owner to: {doc_json}")
    if len(by_boundary) < len(implicit):
        kind = principal.get("kind")
        if kind == "user":
            steps.append(f"Give IAM user {name} {what} with this policy: {doc_json}")
            commands.append(f"aws iam put-user-policy --user-name {name} --policy-name {policy_name} "
                            f"--policy-document '{doc_json}'")
        elif principal.get("sso"):
            steps.append(f"Role {name} is managed by IAM Identity Center: add this inline policy to its permission "
                         f"set (changes made to the role itself are overwritten): {doc_json}")
        elif kind in ("assumed-role", "role"):
            steps.append(f"Give role {name} {what} with this policy: {doc_json}")
            commands.append(f"aws iam put-role-policy --role-name {name} --policy-name {policy_name} "
                            f"--policy-document '{doc_json}'")
    return Fix(tuple(steps), tuple(commands))


def _principal_outcome(principal: Mapping[str, Any], what: str) -> Outcome | None:
    """Root and principals that cannot be evaluated end here; None means: decide the requests."""
    kind = principal.get("kind")
    if kind == "root":
        return warned(
            f"The caller is the account's root user, which may do everything, including {what}; use an IAM user "
            "or role for this instead",
            {"principal": principal.get("caller_arn"), "principal_type": "root"},
            fix("Sign in with an IAM Identity Center user or an IAM role that has the permissions the reset needs "
                "(ssm-doctor policy --for reset prints them), and keep the root user for the few tasks that need "
                f"it: {ROOT_DOC}"),
        )
    if kind not in ("user", "assumed-role"):
        return unknown(
            f"Cannot evaluate what {principal.get('caller_arn')} may do: {principal.get('why') or 'unsupported'}",
            (),
            {"principal": principal.get("caller_arn"), "principal_type": kind, "why": principal.get("why")},
            fix("Run ssm-doctor as the IAM user or role that will reset the password."),
        )
    return None


def _paths(decisions: Sequence[PermissionDecision]) -> str:
    names = {"simulation": "iam:SimulatePrincipalPolicy", "local": "local evaluation of the policies"}
    return " and ".join(sorted({names.get(d.path, d.path) for d in decisions}))


def _account_of(record: Mapping[str, Any], credentials: Mapping[str, Any]) -> str:
    return str((record.get("principal") or {}).get("account") or credentials.get("account") or "")


# ---------------------------------------------------------------------------------------------------------------
# node.role-permissions
# ---------------------------------------------------------------------------------------------------------------


@check(
    "node.role-permissions",
    title="The node's role allows Session Manager",
    requires=("node.identity",),
    problem="managed-node-not-available",
    doc=doc("session-manager-getting-started-instance-profile"),
)
def node_role_permissions(
    node_role_access: dict[str, Any] | None, node_role: dict[str, Any], credentials: dict[str, Any], target: Target
) -> Outcome:
    role_name = str(node_role.get("role_name") or "")
    if node_role_access is None:
        return unknown(f"No role was found for {target.id} to evaluate", (), {"found_by": node_role.get("how")})
    principal = node_role_access.get("principal") or {}
    arn = node_arn(target.id, target.region, _account_of(node_role_access, credentials))
    resources = {NODE_REQUIRED_ACTIONS[0]: arn}
    required = [decide(node_role_access, a, resources.get(a, "*")) for a in NODE_REQUIRED_ACTIONS]
    wanted = [decide(node_role_access, a, "*") for a in NODE_WANTED_ACTIONS]
    evidence = {**_evidence(principal, required + wanted), "role": principal.get("arn"),
                "found_by": node_role.get("how")}
    denied = [d for d in required if d.denied]
    if denied:
        grants = [([d.action], [d.resource]) for d in denied]
        document = least_privilege_policy(grants)
        attach = f"aws iam attach-role-policy --role-name {role_name} --policy-arn {CORE_POLICY_ARN}"
        steps = [*_denial_steps(denied),
                 f"Attach AmazonSSMManagedInstanceCore to role {role_name}, or add only what is missing: "
                 f"{policy_json(document)}",
                 "Then restart SSM Agent on the node (or wait for it to refresh its credentials)."]
        return failed(
            f"Role {role_name} of {target.id} does not allow " + ", ".join(d.action for d in denied)
            + " (" + "; ".join(dict.fromkeys(d.reason for d in denied)) + ")",
            evidence,
            Fix(tuple(steps), (attach, f"aws iam put-role-policy --role-name {role_name} --policy-name "
                                       f"SessionManagerChannels --policy-document '{policy_json(document)}'")),
        )
    if any(d.decision == "unknown" for d in required):
        return _unknown_outcome(principal, required, f"role {role_name} allows Session Manager")
    missing_wanted = [d for d in wanted if d.denied]
    if missing_wanted:
        return warned(
            f"Role {role_name} allows Session Manager, but not " + ", ".join(d.action for d in missing_wanted)
            + ": Run Command (and so agent updates) will not reach the node",
            evidence,
            fix(f"Attach AmazonSSMManagedInstanceCore to role {role_name} (it includes the ec2messages actions).",
                commands=[f"aws iam attach-role-policy --role-name {role_name} --policy-arn {CORE_POLICY_ARN}"]),
        )
    return passed(f"Role {role_name} allows ssm:UpdateInstanceInformation and the ssmmessages channel actions "
                  f"(decided by {_paths(required)})", evidence)


# ---------------------------------------------------------------------------------------------------------------
# The caller
# ---------------------------------------------------------------------------------------------------------------


@check(
    "caller.send-command",
    title="You may run commands on the node (ssm:SendCommand)",
    requires=("local.credentials",),
    problem="no-sendcommand-authorization",
    doc=doc("managed-instances-password-reset"),
)
def caller_send_command(
    caller_node_access: dict[str, Any],
    caller_document_access: dict[str, Any],
    credentials: dict[str, Any],
    target: Target,
) -> Outcome:
    principal = caller_node_access.get("principal") or {}
    early = _principal_outcome(principal, f"ssm:SendCommand on {target.id}")
    if early is not None:
        return early
    account = _account_of(caller_node_access, credentials)
    node = decide(caller_node_access, "ssm:SendCommand", node_arn(target.id, target.region, account))
    agent_doc = decide(caller_document_access, "ssm:SendCommand", aws_document_arn(UPDATE_AGENT_DOCUMENT,
                                                                                    target.region))
    evidence = _evidence(principal, [node, agent_doc])
    if node.denied:
        grants = [(["ssm:SendCommand"], [node.resource] + ([agent_doc.resource] if not agent_doc.allowed else []))]
        return failed(
            f"You may not run ssm:SendCommand on {target.id}: {node.reason}",
            evidence,
            _grant_fix(principal, [node], "ssm-doctor-send-command", least_privilege_policy(grants),
                       f"ssm:SendCommand on {target.id}"),
        )
    if node.decision == "unknown":
        return _unknown_outcome(principal, [node], f"you may run ssm:SendCommand on {target.id}")
    if agent_doc.denied:
        grants = [(["ssm:SendCommand"], [agent_doc.resource])]
        return warned(
            f"You may run ssm:SendCommand on {target.id}, but not with {UPDATE_AGENT_DOCUMENT} ({agent_doc.reason}); "
            "updating SSM Agent that way will be refused",
            evidence,
            _grant_fix(principal, [agent_doc], "ssm-doctor-update-agent", least_privilege_policy(grants),
                       f"ssm:SendCommand with {UPDATE_AGENT_DOCUMENT}"),
        )
    return passed(f"You may run ssm:SendCommand on {target.id} ({node.reason}; decided by {_paths([node])})",
                  evidence)


@check(
    "caller.start-session",
    title="You may start a session with AWS-PasswordReset",
    requires=("local.credentials",),
    problem="start-session-not-allowed",
    doc=doc("getting-started-restrict-access-quickstart"),
)
def caller_start_session(
    caller_node_access: dict[str, Any],
    caller_document_access: dict[str, Any],
    credentials: dict[str, Any],
    target: Target,
) -> Outcome:
    principal = caller_node_access.get("principal") or {}
    early = _principal_outcome(principal, f"ssm:StartSession on {target.id}")
    if early is not None:
        return early
    account = _account_of(caller_node_access, credentials)
    node = decide(caller_node_access, "ssm:StartSession", node_arn(target.id, target.region, account))
    document = decide(caller_document_access, "ssm:StartSession",
                      aws_document_arn(PASSWORD_RESET_DOCUMENT, target.region))
    decisions = [node, document]
    evidence = _evidence(principal, decisions)
    denied = [d for d in decisions if d.denied]
    if denied:
        grants = [(["ssm:StartSession"], [d.resource for d in denied])]
        names = " and ".join(f"{'the node' if d is node else PASSWORD_RESET_DOCUMENT} ({d.reason})" for d in denied)
        return failed(
            f"You may not start a session with {PASSWORD_RESET_DOCUMENT} on {target.id}: ssm:StartSession is refused "
            f"on {names}",
            evidence,
            _grant_fix(principal, denied, "ssm-doctor-password-reset", least_privilege_policy(grants),
                       f"ssm:StartSession on {target.id} with {PASSWORD_RESET_DOCUMENT}"),
        )
    if any(d.decision == "unknown" for d in decisions):
        return _unknown_outcome(principal, decisions, f"you may start an {PASSWORD_RESET_DOCUMENT} session on "
                                                      f"{target.id}")
    return passed(f"You may start a session on {target.id} with {PASSWORD_RESET_DOCUMENT} (decided by "
                  f"{_paths(decisions)})", evidence)


def _terminate_policy(principal: Mapping[str, Any], region: str, account: str) -> dict[str, Any]:
    if principal.get("kind") == "user":
        return least_privilege_policy([(["ssm:TerminateSession", "ssm:ResumeSession"],
                                        [f"arn:aws:ssm:{region}:{account}:session/${{aws:username}}-*"])])
    # A role's sessions are named after the role session; the session-id tag holds the caller's user id.
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "AllowSsmTerminateSessionSsmResumeSession",
        "Effect": "Allow",
        "Action": ["ssm:TerminateSession", "ssm:ResumeSession"],
        "Resource": f"arn:aws:ssm:{region}:{account}:session/*",
        "Condition": {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": ["${aws:userid}"]}},
    }]}


@check(
    "caller.terminate-session",
    title="You may end your own sessions (ssm:TerminateSession)",
    requires=("local.credentials",),
    problem="session-manager-error",
    doc=doc("getting-started-restrict-access-quickstart"),
)
def caller_terminate_session(caller_session_access: dict[str, Any], credentials: dict[str, Any],
                             target: Target) -> Outcome:
    principal = caller_session_access.get("principal") or {}
    early = _principal_outcome(principal, "ssm:TerminateSession")
    if early is not None:
        return early
    account = _account_of(caller_session_access, credentials)
    arn = session_arn(principal, target.region, account)
    decision = decide(caller_session_access, "ssm:TerminateSession", arn)
    evidence = _evidence(principal, [decision])
    if decision.denied:
        return warned(
            f"You may not end your own sessions ({decision.reason}); the reset still works, but the AWS CLI's "
            "clean-up after a failed hand-off and ending a session from the console will be refused",
            evidence,
            _grant_fix(principal, [decision], "ssm-doctor-own-sessions",
                       _terminate_policy(principal, target.region, account), "ssm:TerminateSession on its own "
                       "sessions"),
        )
    if decision.decision == "unknown":
        return _unknown_outcome(principal, [decision], "you may end your own sessions")
    return passed(f"You may end your own sessions ({decision.reason}; decided by {_paths([decision])})", evidence)

