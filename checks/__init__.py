"""The check catalogue: an explicit, ordered list (SPEC §5). Ids are stable."""

from __future__ import annotations

from checks import local, network, node, permissions, prefs
from doctor.engine import CheckFunc, CheckSpec, spec_of

CATALOGUE: tuple[CheckFunc, ...] = (
    local.local_credentials,
    local.local_plugin,
    local.input_username,
    node.ec2_instance,
    node.node_registered,
    node.node_online,
    node.node_platform,
    node.agent_version,
    node.node_connectable,
    permissions.node_identity,
    permissions.node_role_permissions,
    node.hybrid_tier,
    network.network_path,
    permissions.caller_send_command,
    permissions.caller_start_session,
    permissions.caller_terminate_session,
    prefs.prefs_document,
    prefs.prefs_kms,
    prefs.kms_key,
    prefs.caller_kms,
    prefs.node_kms_decrypt,
    prefs.prefs_logging,
    node.sessions_recent_failures,
)


def specs() -> tuple[CheckSpec, ...]:
    """The catalogue's metadata, in catalogue order."""
    return tuple(spec_of(func) for func in CATALOGUE)
