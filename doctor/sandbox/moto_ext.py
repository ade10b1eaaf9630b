"""Systems Manager operations that moto lacks, added to moto, plus fault injection.

`install()` attaches the missing SSM operations to moto's SSM response class (moto
dispatches an operation to the method of the same snake_case name), keeps their state on
moto's per-account/per-region SSM backend (attribute ``_sandbox``, so a moto reset clears
it) and hooks one point every moto service passes through (``BaseResponse.setup_class``)
to inject throttling and access-denied faults. It works the same under ``mock_aws`` and
behind moto's HTTP server.

Besides the missing operations it adds CreateActivation/DescribeActivations/
DeleteActivation, and wraps two native ones: SendCommand (moto sends a command given only
InstanceIds to every instance in the region; an ``AWS-UpdateSSMAgent`` command that will
report Success updates the node's agent version, see `_record_agent_update`) and
PutParameter (see below). ListTagsForResource also answers for sandbox-registered managed nodes.

IAM: it adds SimulatePrincipalPolicy (decided by ssm-doctor's own evaluator over the principal's policies in
moto's IAM backend, see `_op_simulate_principal_policy`), and requests signed with the access key of an IAM
user or assumed role are checked against that principal's policies (`_authorise`), so a caller without a
permission gets AccessDenied as in AWS. The default sandbox credentials belong to no user and are never checked.

Control channel over plain SSM parameters (never throttled or denied; Parameter Store
reserves names starting with "ssm", so the sandbox stores these itself):

- ``/ssm-sandbox/managed-nodes/<node-id>``: a JSON object of InstanceInformation fields
  registers a managed node (typically a hybrid ``mi-`` node).
- ``/ssm-sandbox/faults``: ``{"throttle_rate": 0.3, "deny": ["ssm:StartSession"], "seed": 1}``
  configures `FAULTS`; deleting the parameter clears them.

Tested with moto ``>=5.2,<5.3``. `install()` raises if moto implements one of the added
operations natively, so an upgrade cannot silently change behaviour.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import fnmatch
import functools
import json
import os
import random
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

TESTED_MOTO = ">=5.2,<5.3"
SANDBOX_PREFIX = "/ssm-sandbox/"
MANAGED_NODES_PREFIX = "/ssm-sandbox/managed-nodes/"
FAULTS_PARAMETER = "/ssm-sandbox/faults"
TAG_PREFIX = "ssm-sandbox:"
LATEST_AGENT_VERSION = "3.3.987.0"
DEFAULT_SHELL_DOCUMENT = "SSM-SessionManagerRunShell"

UTC = dt.timezone.utc

# ---------------------------------------------------------------------------
# errors


def _error(code: str, message: str, status: int = 400) -> Exception:
    from moto.core.exceptions import JsonRESTError

    err = JsonRESTError(code, message)
    err.code = status
    return err


def _validation(message: str) -> Exception:
    return _error("ValidationException", message)


# ---------------------------------------------------------------------------
# fault injection


@dataclass
class Faults:
    """Faults injected into every moto service (process-wide).

    ``throttle_rate``: the fraction of requests that fail as throttled, drawn from a
    ``random.Random(seed)`` so a run is repeatable. ``deny``: ``service:Operation`` names
    (shell-style wildcards allowed, case-insensitive) that fail as access denied.
    """

    throttle_rate: float = 0.0
    deny: set[str] = field(default_factory=set)
    seed: int = 0
    _rng: random.Random = field(default_factory=lambda: random.Random(0), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _suspended: int = field(default=0, repr=False)

    def configure(
        self,
        throttle_rate: float | None = None,
        deny: Iterable[str] | None = None,
        seed: int | None = None,
    ) -> None:
        """Set some or all of the fault settings; the random sequence restarts."""
        with self._lock:
            if throttle_rate is not None:
                rate = float(throttle_rate)
                if not 0.0 <= rate <= 1.0:
                    raise ValueError(f"throttle_rate must be within 0..1, got {rate}")
                self.throttle_rate = rate
            if deny is not None:
                self.deny = {d.strip() for d in deny if d.strip()}
            if seed is not None:
                self.seed = int(seed)
            self._rng = random.Random(self.seed)

    def clear(self) -> None:
        """No faults."""
        self.configure(throttle_rate=0.0, deny=(), seed=0)

    def configure_from_env(self, environ: Mapping[str, str] | None = None) -> None:
        """Read ``SSM_SANDBOX_THROTTLE_RATE`` and ``SSM_SANDBOX_DENY`` (comma-separated)."""
        env = os.environ if environ is None else environ
        rate = env.get("SSM_SANDBOX_THROTTLE_RATE", "").strip()
        deny = env.get("SSM_SANDBOX_DENY", "").strip()
        if rate or deny:
            self.configure(
                throttle_rate=float(rate) if rate else None,
                deny=deny.split(",") if deny else None,
            )

    def configure_from_json(self, text: str) -> None:
        """Apply the JSON form stored in the ``/ssm-sandbox/faults`` parameter."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the faults parameter must hold a JSON object")
        deny = data.get("deny")
        if isinstance(deny, str):
            deny = deny.split(",")
        self.configure(
            throttle_rate=float(data.get("throttle_rate", 0.0)),
            deny=list(deny or []),
            seed=int(data.get("seed", self.seed)),
        )

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """No faults inside this block (used while seeding)."""
        with self._lock:
            self._suspended += 1
        try:
            yield
        finally:
            with self._lock:
                self._suspended -= 1

    def decide(self, service: str, operation: str) -> str | None:
        """``"deny"``, ``"throttle"`` or None for one request."""
        with self._lock:
            if self._suspended:
                return None
            if operation and self.deny:
                name = f"{service}:{operation}".lower()
                if any(fnmatch.fnmatchcase(name, d.lower()) for d in self.deny):
                    return "deny"
            if self.throttle_rate > 0.0 and self._rng.random() < self.throttle_rate:
                return "throttle"
        return None


FAULTS = Faults()


@functools.cache
def _fault_class() -> type[Exception]:
    """An HTTPException carrying a ready response; moto turns it into the HTTP reply."""
    from werkzeug.exceptions import HTTPException

    class InjectedFault(HTTPException):
        def __init__(self, status: int, headers: dict[str, str], body: str) -> None:
            super().__init__(description=body)
            self.code = status
            self._fault_headers = headers
            self._fault_body = body

        def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
            return list(self._fault_headers.items())

        def get_body(self, *args: Any, **kwargs: Any) -> str:
            return self._fault_body

    return InjectedFault


def _fault_response(status: int, headers: dict[str, str], body: str) -> Exception:
    fault: Any = _fault_class()
    return fault(status, headers, body)  # type: ignore[no-any-return]


def _protocol_error(protocol: str, status: int, code: str, message: str) -> Exception:
    request_id = str(uuid.uuid4())
    msg = escape(message)
    if protocol in ("json", "rest-json", "smithy-rpc-v2-cbor"):
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "x-amzn-ErrorType": code,
            "x-amzn-RequestId": request_id,
        }
        payload: dict[str, str] = {"message": message}
        if protocol == "json":
            payload = {"__type": code, "message": message}
        return _fault_response(status, headers, json.dumps(payload))
    xml_headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
    if protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{code}</Code><Message>{msg}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    elif protocol == "rest-xml":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{code}</Code><Message>{msg}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    else:  # query
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{msg}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return _fault_response(status, xml_headers, body)


def _throttle_error(protocol: str) -> Exception:
    if protocol == "ec2":
        return _protocol_error(protocol, 503, "RequestLimitExceeded", "Request limit exceeded.")
    if protocol == "rest-xml":
        return _protocol_error(protocol, 503, "SlowDown", "Please reduce your request rate.")
    if protocol == "query":
        return _protocol_error(protocol, 400, "Throttling", "Rate exceeded")
    return _protocol_error(protocol, 400, "ThrottlingException", "Rate exceeded")


def _deny_error(protocol: str, caller: str, action: str, resource: str) -> Exception:
    why = f"because no identity-based policy allows the {action} action"
    if protocol == "ec2":
        return _protocol_error(
            protocol,
            403,
            "UnauthorizedOperation",
            f"You are not authorized to perform this operation. User: {caller} "
            f"is not authorized to perform: {action} {why}",
        )
    message = f"User: {caller} is not authorized to perform: {action} on resource: {resource} {why}"
    if protocol in ("query", "rest-xml"):
        return _protocol_error(protocol, 403, "AccessDenied", message)
    return _protocol_error(protocol, 400, "AccessDeniedException", message)


def _request_params(resp: Any) -> dict[str, Any]:
    """The request's top-level parameters (JSON body or query string)."""
    params: dict[str, Any] = {}
    query = getattr(resp, "querystring", None) or {}
    for key, value in query.items():
        if isinstance(key, str) and key[:1].isupper():
            params[key] = value[0] if isinstance(value, list) and value else value
    body = getattr(resp, "body", None)
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            body = None
    if isinstance(body, str) and body.lstrip().startswith("{"):
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            params.update(data)
    return params


_S3_SUBRESOURCES = {
    "encryption": "BucketEncryption",
    "policy": "BucketPolicy",
    "policyStatus": "BucketPolicyStatus",
    "acl": "BucketAcl",
    "location": "BucketLocation",
    "versioning": "BucketVersioning",
    "logging": "BucketLogging",
    "ownershipControls": "BucketOwnershipControls",
    "publicAccessBlock": "PublicAccessBlock",
    "tagging": "BucketTagging",
    "lifecycle": "BucketLifecycleConfiguration",
    "cors": "BucketCors",
}


def _s3_target(resp: Any) -> tuple[str, str]:
    """(bucket, key) of an S3 request, path-style or virtual-hosted."""
    host = str(resp.headers.get("host", "") or "")
    path = str(getattr(resp, "path", "") or "").lstrip("/")
    match = re.match(r"^(?P<bucket>[a-z0-9][a-z0-9.-]+)\.s3[.-]", host)
    if match:
        return match.group("bucket"), path
    bucket, _, key = path.partition("/")
    return bucket, key


def _s3_operation(resp: Any) -> str:
    """The S3 API operation name of a request (moto's own lookup is unreliable for S3)."""
    method = str(getattr(resp, "method", "GET")).upper()
    query = parse_qs(getattr(resp.parsed_url, "query", ""), keep_blank_values=True)
    bucket, key = _s3_target(resp)
    verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "HEAD": "Head"}.get(method, "Post")
    if not bucket:
        return "ListBuckets"
    if not key:
        for name, noun in _S3_SUBRESOURCES.items():
            if name in query:
                return f"{'Get' if verb == 'Head' else verb}{noun}"
        return {
            "Get": "ListObjectsV2" if "list-type" in query else "ListObjects",
            "Head": "HeadBucket",
            "Put": "CreateBucket",
            "Delete": "DeleteBucket",
        }.get(verb, "DeleteObjects")
    if verb == "Put" and "x-amz-copy-source" in {h.lower() for h in resp.headers.keys()}:
        return "CopyObject"
    return f"{verb}Object"


def _operation_name(resp: Any) -> str:
    try:
        if resp.boto3_service_name == "s3":
            return _s3_operation(resp)
        action = resp._get_action()
    except Exception:
        return ""
    return action if isinstance(action, str) else ""


def _protocol(resp: Any) -> str:
    try:
        from moto.core.utils import get_service_model

        model = get_service_model(resp.boto3_service_name)
        return str(model.protocol)
    except Exception:
        return "json"


def caller_arn(account_id: str, region: str, access_key: str) -> str:
    """The ARN moto's STS reports for this access key."""
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    _, arn, _ = sts_backends[account_id][get_partition(region)].get_caller_identity(access_key, region)
    return str(arn)


def _resource_arn(service: str, params: Mapping[str, Any], region: str, account: str) -> str:
    if service == "ssm":
        target = params.get("Target") or params.get("InstanceId")
        if isinstance(target, str) and target:
            return _node_arn(target, region, account)
        name = params.get("DocumentName")
        if isinstance(name, str) and name:
            owner = "" if name.startswith(("AWS-", "AWSSupport-")) else account
            return f"arn:aws:ssm:{region}:{owner}:document/{name}"
        setting = params.get("SettingId")
        if isinstance(setting, str) and setting:
            return _setting_arn(_setting_path(setting), region, account)
    if service == "iam":
        for key, kind in (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group")):
            value = params.get(key)
            if isinstance(value, str) and value:
                return f"arn:aws:iam::{account}:{kind}/{value}"
        for key in ("PolicyArn", "PolicySourceArn"):
            value = params.get(key)
            if isinstance(value, str) and value:
                return value
        return f"arn:aws:iam::{account}:*"
    if service == "kms":
        key_id = params.get("KeyId")
        if isinstance(key_id, str) and key_id:
            if key_id.startswith("arn:"):
                return key_id
            return f"arn:aws:kms:{region}:{account}:{'' if key_id.startswith('alias/') else 'key/'}{key_id}"
    if service == "sts":
        role_arn = params.get("RoleArn")
        return role_arn if isinstance(role_arn, str) and role_arn else f"arn:aws:sts::{account}:*"
    if service == "s3":
        bucket = params.get("_s3_bucket", "")
        key = params.get("_s3_key", "")
        return f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket or '*'}"
    return f"arn:aws:{service}:{region}:{account}:*"


def _is_control_request(service: str, operation: str, params: Mapping[str, Any]) -> bool:
    """Parameter Store calls on ``/ssm-sandbox/`` names are never faulted."""
    if service != "ssm" or "Parameter" not in operation:
        return False
    for key in ("Name", "Path"):
        value = params.get(key)
        if isinstance(value, str) and value.startswith(SANDBOX_PREFIX):
            return True
    names = params.get("Names")
    return (
        isinstance(names, list)
        and bool(names)
        and all(isinstance(n, str) and n.startswith(SANDBOX_PREFIX) for n in names)
    )


def _after_setup(resp: Any) -> None:
    """Runs for every request to every moto service, right after moto parsed it."""
    service = resp.boto3_service_name
    if not service or service.startswith("moto"):
        return
    operation = _operation_name(resp)
    params = _request_params(resp)
    if service == "ssm":
        with contextlib.suppress(KeyError):
            ensure_aws_documents(resp.current_account, resp.region)
        if _is_control_request(service, operation, params):
            return
    decision = FAULTS.decide(service, operation)
    if decision is None:
        _authorise(resp, service, operation, params)
        return
    protocol = _protocol(resp)
    if decision == "throttle":
        raise _throttle_error(protocol)
    try:
        caller = caller_arn(resp.current_account, resp.region, resp.access_key)
    except Exception:
        caller = f"arn:aws:iam::{resp.current_account}:user/unknown"
    if service == "s3":
        params["_s3_bucket"], params["_s3_key"] = _s3_target(resp)
    action = f"{service}:{operation}"
    resource = _resource_arn(service, params, resp.region, resp.current_account)
    raise _deny_error(protocol, caller, action, resource)


# ---------------------------------------------------------------------------
# per-backend state


@dataclass
class _State:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    activations: dict[str, dict[str, Any]] = field(default_factory=dict)
    command_status: str = "Success"
    command_output: str | None = None
    command_overrides: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    agent_updates: dict[str, str] = field(default_factory=dict)
    documents_ready: bool = False


_LOCK = threading.RLock()


def _backend(account_id: str, region: str) -> Any:
    from moto.ssm.models import ssm_backends

    return ssm_backends[account_id][region]


def _state(backend: Any) -> _State:
    state = backend.__dict__.get("_sandbox")
    if state is None:
        with _LOCK:
            state = backend.__dict__.get("_sandbox")
            if state is None:
                state = _State()
                backend._sandbox = state
    return state  # type: ignore[no-any-return]


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


def _to_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return dt.datetime.fromtimestamp(float(text), UTC)
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"not a date/time: {value!r}")


def _node_arn(node_id: str, region: str, account: str) -> str:
    if node_id.startswith("mi-"):
        return f"arn:aws:ssm:{region}:{account}:managed-instance/{node_id}"
    return f"arn:aws:ec2:{region}:{account}:instance/{node_id}"


def _random_hex(n: int) -> str:
    # Never twelve digits in a row: that reads as an AWS account id, and redaction checks look for those.
    while True:
        value = secrets.token_hex((n + 1) // 2)[:n]
        if not re.search(r"\d{12}", value):
            return value


def _wrap_random_instance_id(original: Any) -> Any:
    """moto's EC2 instance ids, drawn again while they hold twelve digits in a row (see ``_random_hex``)."""

    @functools.wraps(original)
    def random_instance_id() -> str:
        value: str = original()
        while re.search(r"\d{12}", value):
            value = original()
        return value

    setattr(random_instance_id, _MARK, True)
    return random_instance_id


def new_managed_node_id() -> str:
    """A fresh hybrid node id (``mi-`` + 17 hex)."""
    return "mi-" + _random_hex(17)


# ---------------------------------------------------------------------------
# AWS-owned documents

PASSWORD_RESET_CONTENT = """\
schemaVersion: "1.0"
description: "Document to reset a user's password on an instance"
sessionType: "InteractiveCommands"
parameters:
  username:
    type: "String"
    description: "The username for which the password needs to be reset on an instance"
    allowedPattern: "^[a-zA-Z0-9\\\\_.@-]*$"
    minChars: 1
    maxChars: 256
properties:
  windows:
    commands: "net user {{username}} *"
    runAsElevated: true
  linux:
    commands: "passwd {{username}}"
    runAsElevated: true
  macos:
    commands: "passwd {{username}}"
    runAsElevated: true
"""

UPDATE_AGENT_CONTENT = json.dumps(
    {
        "schemaVersion": "2.2",
        "description": "Update the Amazon SSM Agent to the latest version or specified version.",
        "parameters": {
            "version": {
                "default": "",
                "description": "(Optional) A specific version of the Amazon SSM Agent to "
                "install. If not specified, the agent will be updated to the latest version.",
                "type": "String",
            },
            "allowDowngrade": {
                "default": "false",
                "description": "(Optional) Allow the Amazon SSM Agent service to be "
                "downgraded to an earlier version. If set to false, the service can be "
                "upgraded to newer versions only (default). If set to true, specify the "
                "earlier version.",
                "type": "String",
                "allowedValues": ["true", "false"],
            },
        },
        "mainSteps": [
            {
                "action": "aws:updateSsmAgent",
                "name": "updateSSMAgent",
                "inputs": {
                    "agentName": "amazon-ssm-agent",
                    "source": "https://s3.{{ global:REGION }}.amazonaws.com/"
                    "amazon-ssm-{{ global:REGION }}/ssm-agent-manifest.json",
                    "allowDowngrade": "{{ allowDowngrade }}",
                    "targetVersion": "{{ version }}",
                },
            }
        ],
    },
    indent=2,
)

_AWS_DOCUMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("AWS-PasswordReset", "Session", "YAML", PASSWORD_RESET_CONTENT),
    ("AWS-UpdateSSMAgent", "Command", "JSON", UPDATE_AGENT_CONTENT),
)


def ensure_aws_documents(account_id: str, region: str) -> None:
    """Create the AWS-owned documents (Owner ``Amazon``) in this backend if missing."""
    backend = _backend(account_id, region)
    state = _state(backend)
    if state.documents_ready:
        return
    from moto.ssm.models import Document, Documents

    with _LOCK:
        if state.documents_ready:
            return
        for name, doc_type, doc_format, content in _AWS_DOCUMENTS:
            if name in backend._documents:
                continue
            document = Document(  # type: ignore[abstract]
                account_id=account_id,
                name=name,
                version_name="",
                content=content,
                document_type=doc_type,
                document_format=doc_format,
                requires=[],
                attachments=[],
                target_type="/AWS::EC2::Instance" if doc_type == "Command" else "",
            )
            document.owner = "Amazon"
            document.platform_types = ["Windows", "Linux", "MacOS"]
            backend._documents[name] = Documents(document)
        state.documents_ready = True


# ---------------------------------------------------------------------------
# managed nodes


@dataclass
class _Node:
    info: dict[str, Any]
    tags: dict[str, str]
    connection: str  # "connected" unless told otherwise


def _tags_from(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        return {
            str(t.get("Key", t.get("key"))): str(t.get("Value", t.get("value", "")))
            for t in value
            if isinstance(t, dict)
        }
    return {}


_NODE_DATE_FIELDS = (
    "LastPingDateTime",
    "RegistrationDate",
    "LastAssociationExecutionDate",
    "LastSuccessfulAssociationExecutionDate",
)


def _normalise_node(raw: Mapping[str, Any], node_id: str | None = None) -> _Node:
    """Fill the InstanceInformation defaults for a registered node."""
    info = {k: v for k, v in raw.items() if not k.startswith(TAG_PREFIX) and k != "Tags"}
    tags = _tags_from(raw.get("Tags"))
    for key, value in raw.items():
        if key.startswith(TAG_PREFIX):
            tags[key] = str(value)
    instance_id = str(info.get("InstanceId") or node_id or "")
    if not instance_id:
        raise ValueError("a managed node needs an InstanceId")
    info["InstanceId"] = instance_id
    hybrid = instance_id.startswith("mi-")
    info.setdefault("PingStatus", tags.get(f"{TAG_PREFIX}ping-status", "Online"))
    info.setdefault("LastPingDateTime", _now())
    info.setdefault("AgentVersion", LATEST_AGENT_VERSION)
    info.setdefault("IsLatestVersion", info["AgentVersion"] == LATEST_AGENT_VERSION)
    info.setdefault("PlatformType", "Linux")
    if info["PlatformType"] == "Windows":
        info.setdefault("PlatformName", "Microsoft Windows Server 2022 Datacenter")
        info.setdefault("PlatformVersion", "10.0.20348")
    else:
        info.setdefault("PlatformName", "Ubuntu")
        info.setdefault("PlatformVersion", "22.04")
    info.setdefault("ResourceType", "ManagedInstance" if hybrid else "EC2Instance")
    info.setdefault("SourceType", "AWS::SSM::ManagedInstance" if hybrid else "AWS::EC2::Instance")
    info.setdefault("SourceId", instance_id)
    if hybrid:
        info.setdefault("RegistrationDate", _now())
        name = info.get("Name") or info.get("ComputerName")
        if name:
            info.setdefault("Name", name)
            info.setdefault("ComputerName", name)
    for key in _NODE_DATE_FIELDS:
        if key in info and info[key] is not None:
            info[key] = _to_datetime(info[key])
    connection = tags.get(f"{TAG_PREFIX}connection", "connected")
    return _Node(info=info, tags=tags, connection=connection)


def _existing_ec2_backend(account_id: str, region: str) -> Any:
    """moto's EC2 backend for this account/region if it was ever used (never creates one)."""
    from moto.ec2.models import ec2_backends

    account = dict.get(ec2_backends, account_id)
    return None if account is None else dict.get(account, region)


def _has_way_out(ec2: Any, instance: Any) -> bool:
    """Whether the instance's subnet has any way to Systems Manager: a default route (to anything), or an ssm
    interface endpoint in its VPC. A default subnet counts as routed: AWS gives the default VPC an internet
    gateway and a default route, which moto leaves out. Without a way out an agent never registers."""
    try:
        subnet = ec2.get_subnet(instance.subnet_id)
    except Exception:
        return True
    if getattr(subnet, "default_for_az", False):
        return True
    vpc_id = subnet.vpc_id
    tables = [t for t in ec2.route_tables.values() if t.vpc_id == vpc_id]
    table = next((t for t in tables if any(a.get("SubnetId") == subnet.id for a in t.associations)), None)
    if table is None:
        table = next((t for t in tables if t.main_association_id is not None), None)
        with contextlib.suppress(Exception):
            if table is not None and ec2.get_vpc(vpc_id).is_default:
                return True  # the default VPC's main table, which in AWS routes to its internet gateway
    if table is None or any(r.destination_cidr_block == "0.0.0.0/0" for r in table.routes):
        return True
    return any(e.vpc_id == vpc_id and str(e.service_name).endswith(".ssm") for e in ec2.vpc_end_points.values())


def _ec2_nodes(account_id: str, region: str) -> dict[str, _Node]:
    ec2 = _existing_ec2_backend(account_id, region)
    if ec2 is None:
        return {}
    nodes: dict[str, _Node] = {}
    for instance in ec2.all_instances():
        if instance.state != "running":
            continue
        tags = dict(ec2.tags.get(instance.id, {}))
        flag = tags.get(f"{TAG_PREFIX}registered", "").lower()
        has_profile = instance.id in ec2.iam_instance_profile_associations or bool(
            getattr(instance, "iam_instance_profile", None)
        )
        if flag == "false" or not (has_profile or flag == "true"):
            continue
        if flag != "true" and not _has_way_out(ec2, instance):
            continue
        windows = (instance.platform or "").lower() == "windows"
        ip = instance.private_ip or "10.0.0.10"
        agent = tags.get(f"{TAG_PREFIX}agent-version", LATEST_AGENT_VERSION)
        if windows:
            default_name = "EC2AMAZ-" + instance.id[-7:].upper()
        elif region == "us-east-1":
            default_name = f"ip-{ip.replace('.', '-')}.ec2.internal"
        else:
            default_name = f"ip-{ip.replace('.', '-')}.{region}.compute.internal"
        platform = tags.get(f"{TAG_PREFIX}platform", "Windows" if windows else "Linux")
        last_ping = tags.get(f"{TAG_PREFIX}last-ping")
        info: dict[str, Any] = {
            "InstanceId": instance.id,
            "PingStatus": tags.get(f"{TAG_PREFIX}ping-status", "Online"),
            "LastPingDateTime": _to_datetime(last_ping) if last_ping else _now(),
            "AgentVersion": agent,
            "IsLatestVersion": agent == LATEST_AGENT_VERSION,
            "PlatformType": platform,
            "PlatformName": tags.get(
                f"{TAG_PREFIX}platform-name",
                "Microsoft Windows Server 2022 Datacenter"
                if platform == "Windows"
                else ("macOS" if platform == "MacOS" else "Amazon Linux"),
            ),
            "PlatformVersion": tags.get(
                f"{TAG_PREFIX}platform-version",
                "10.0.20348" if platform == "Windows" else "2023",
            ),
            "ResourceType": "EC2Instance",
            "SourceType": "AWS::EC2::Instance",
            "SourceId": instance.id,
            "IPAddress": ip,
            "ComputerName": tags.get(f"{TAG_PREFIX}computer-name", default_name),
            "AssociationStatus": tags.get(f"{TAG_PREFIX}association-status", "Success"),
        }
        nodes[instance.id] = _Node(
            info=info,
            tags=tags,
            connection=tags.get(f"{TAG_PREFIX}connection", "connected"),
        )
    return nodes


def _ec2_instance(account_id: str, region: str, instance_id: str) -> Any:
    """moto's EC2 instance of that id, or None."""
    ec2 = _existing_ec2_backend(account_id, region)
    if ec2 is None:
        return None
    try:
        return ec2.get_instance(instance_id)
    except Exception:
        return None


def _running_or_absent(account_id: str, region: str, node_id: str) -> bool:
    """A registration for an ``i-`` id counts only while that instance (if moto has it) runs."""
    if not node_id.startswith("i-"):
        return True
    instance = _ec2_instance(account_id, region, node_id)
    return instance is None or bool(instance.state == "running")


def _parameter_registrations(backend: Any) -> dict[str, dict[str, Any]]:
    """Raw registrations held in ``/ssm-sandbox/managed-nodes/<id>`` parameters."""
    found: dict[str, dict[str, Any]] = {}
    for name in list(backend._parameters.get_keys_beginning_with(MANAGED_NODES_PREFIX, True)):
        versions = backend._parameters[name]
        if not versions:
            continue
        param = versions[-1]
        try:
            raw = json.loads(param.value)
        except ValueError:
            continue
        if not isinstance(raw, dict):
            continue
        node_id = str(raw.get("InstanceId") or name[len(MANAGED_NODES_PREFIX) :].strip("/"))
        raw["InstanceId"] = node_id
        if node_id.startswith("mi-"):
            raw.setdefault("RegistrationDate", param.last_modified_date)
        found[node_id] = raw
    return found


def _managed_nodes(account_id: str, region: str) -> dict[str, _Node]:
    """Every node DescribeInstanceInformation would list, by id."""
    backend = _backend(account_id, region)
    state = _state(backend)
    nodes = _ec2_nodes(account_id, region)
    registrations = _parameter_registrations(backend)
    with _LOCK:
        registrations.update({k: dict(v) for k, v in state.nodes.items()})
    for node_id, raw in registrations.items():
        if not _running_or_absent(account_id, region, node_id):
            continue
        try:
            base = nodes.get(node_id)
            if base is None:
                nodes[node_id] = _normalise_node(raw, node_id)
                continue
            # An explicit registration for an auto-registered instance overrides fields.
            merged = {**base.info, **{k: v for k, v in raw.items() if k != "Tags"}}
            merged["Tags"] = {**base.tags, **_tags_from(raw.get("Tags"))}
            nodes[node_id] = _normalise_node(merged, node_id)
        except (ValueError, TypeError):
            continue
    with _LOCK:
        updates = dict(state.agent_updates)
    for node_id, agent in updates.items():
        if node_id in nodes:
            nodes[node_id].info["AgentVersion"] = agent
            nodes[node_id].info["IsLatestVersion"] = agent == LATEST_AGENT_VERSION
    return nodes


def register_node(account_id: str, region: str, info: Mapping[str, Any]) -> str:
    """Register a managed node from Python; returns its id (a new ``mi-`` id if none given).

    ``info`` holds InstanceInformation fields; ``Tags`` and ``ssm-sandbox:*`` keys are
    tags (``ssm-sandbox:connection`` = ``notconnected`` makes GetConnectionStatus fail).
    """
    data = dict(info)
    node_id = str(data.get("InstanceId") or new_managed_node_id())
    data["InstanceId"] = node_id
    _normalise_node(data, node_id)  # validate now
    backend = _backend(account_id, region)
    with _LOCK:
        _state(backend).nodes[node_id] = data
    return node_id


def deregister_node(account_id: str, region: str, node_id: str) -> None:
    """Forget a node registered with `register_node`."""
    backend = _backend(account_id, region)
    with _LOCK:
        _state(backend).nodes.pop(node_id, None)


def _profile_roles(account_id: str, region: str, instance_id: str) -> list[Any] | None:
    """The roles of the instance profile an EC2 instance has now (None: not an instance moto knows)."""
    instance = _ec2_instance(account_id, region, instance_id)
    if instance is None:
        return None
    association = instance.ec2_backend.iam_instance_profile_associations.get(instance_id)
    profile = getattr(association, "iam_instance_profile", None)
    if profile is None:
        arn = str((getattr(instance, "iam_instance_profile", None) or {}).get("Arn") or "")
        iam = _iam_backend(account_id)
        profile = next((p for p in iam.instance_profiles.values() if arn and p.arn == arn), None)
    return list(getattr(profile, "roles", None) or [])


def role_opens_channels(account_id: str, region: str, instance_id: str) -> bool:
    """Whether the instance's role allows every ssmmessages channel action (decided by the project's evaluator)."""
    from doctor.collectors.iam import NODE_REQUIRED_ACTIONS

    roles = _profile_roles(account_id, region, instance_id)
    if not roles:
        return False
    iam = _iam_backend(account_id)
    identity, boundary = _entity_policies(iam, roles[0], "role")
    return all(_simulate_one(identity, boundary, roles[0].arn, action, "*", {})["EvalResourceDecision"] == "allowed"
               for action in NODE_REQUIRED_ACTIONS if action.startswith("ssmmessages:"))


def connection_status(account_id: str, region: str, target: str) -> str:
    """``connected`` or ``notconnected``, as GetConnectionStatus reports it.

    The tag ``ssm-sandbox:connection`` = ``notconnected`` forces the answer; ``role`` derives it from the instance
    role as it is now (connected once the role may open Session Manager channels, as after attaching
    AmazonSSMManagedInstanceCore).
    """
    node = _managed_nodes(account_id, region).get(target)
    if node is None or node.info.get("PingStatus") != "Online":
        return "notconnected"
    how = node.connection.lower()
    if how == "role":
        return "connected" if role_opens_channels(account_id, region, target) else "notconnected"
    return "notconnected" if how == "notconnected" else "connected"


# ---------------------------------------------------------------------------
# pagination and filters


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
        offset = int(data["offset"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise _error("InvalidNextToken", "The specified token isn't valid.") from None
    if offset < 0:
        raise _error("InvalidNextToken", "The specified token isn't valid.")
    return offset


def _page(
    items: list[Any], max_results: int | None, token: str | None, default: int, low: int, high: int
) -> tuple[list[Any], str | None]:
    limit = default if max_results is None else int(max_results)
    if not low <= limit <= high:
        bound = f"greater than or equal to {low}" if limit < low else f"less than or equal to {high}"
        raise _validation(
            f"1 validation error detected: Value '{limit}' at 'maxResults' failed to "
            f"satisfy constraint: Member must have value {bound}"
        )
    offset = _decode_token(token)
    page = items[offset : offset + limit]
    more = offset + limit < len(items)
    return page, (_encode_token(offset + limit) if more else None)


_DII_FIELDS = {
    "InstanceIds": "InstanceId",
    "AgentVersion": "AgentVersion",
    "PingStatus": "PingStatus",
    "PlatformTypes": "PlatformType",
    "ActivationIds": "ActivationId",
    "IamRole": "IamRole",
    "ResourceType": "ResourceType",
    "AssociationStatus": "AssociationStatus",
}
_DII_EXTRA_FIELDS = {"SourceIds": "SourceId", "SourceTypes": "SourceType"}
_DII_ENUMS = {
    "PingStatus": {"Online", "ConnectionLost", "Inactive"},
    "PlatformTypes": {"Windows", "Linux", "MacOS"},
    "ResourceType": {"EC2Instance", "ManagedInstance"},
}


def _dii_condition(key: str, values: list[str], allow_tags: bool) -> Callable[[_Node], bool]:
    fields = dict(_DII_FIELDS)
    if allow_tags:
        fields.update(_DII_EXTRA_FIELDS)
        if key.startswith("tag:"):
            tag = key[4:]
            return lambda node: node.tags.get(tag) in values
        if key == "tag-key":
            return lambda node: any(k in node.tags for k in values)
    if key not in fields:
        raise _error("InvalidFilterKey", f"The filter key {key} is not valid.")
    allowed = _DII_ENUMS.get(key)
    if allowed is not None:
        bad = [v for v in values if v not in allowed]
        if bad:
            raise _error(
                "InvalidInstanceInformationFilterValue",
                f"The filter value {bad[0]} is not valid for the filter key {key}.",
            )
    attr = fields[key]
    return lambda node: str(node.info.get(attr, "")) in values


def describe_instance_information(
    account_id: str,
    region: str,
    filter_list: list[dict[str, Any]] | None = None,
    filters: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """All managed nodes matching both filter forms, sorted by id."""
    conditions: list[Callable[[_Node], bool]] = []
    for f in filter_list or []:
        conditions.append(_dii_condition(str(f.get("key")), list(f.get("valueSet") or []), False))
    for f in filters or []:
        conditions.append(_dii_condition(str(f.get("Key")), list(f.get("Values") or []), True))
    nodes = _managed_nodes(account_id, region)
    return [dict(nodes[node_id].info) for node_id in sorted(nodes) if all(cond(nodes[node_id]) for cond in conditions)]


# ---------------------------------------------------------------------------
# service settings

SERVICE_SETTING_DEFAULTS: dict[str, str] = {
    "/ssm/managed-instance/activation-tier": "standard",
    "/ssm/managed-instance/default-ec2-instance-management-role": "$None",
    "/ssm/parameter-store/default-parameter-tier": "Standard",
    "/ssm/parameter-store/high-throughput-enabled": "false",
    "/ssm/automation/customer-script-log-destination": "None",
    "/ssm/automation/customer-script-log-group-name": "/aws/ssm/automation/executeScript",
    "/ssm/documents/console/public-sharing-permission": "Enable",
    "/ssm/opsinsights/opscenter": "Disabled",
}
_SETTING_VALUES: dict[str, set[str]] = {
    "/ssm/managed-instance/activation-tier": {"standard", "advanced"},
    "/ssm/parameter-store/default-parameter-tier": {"Standard", "Advanced", "Intelligent-Tiering"},
    "/ssm/parameter-store/high-throughput-enabled": {"true", "false"},
    "/ssm/documents/console/public-sharing-permission": {"Enable", "Disable"},
    "/ssm/opsinsights/opscenter": {"Enabled", "Disabled"},
}
_SETTING_ARN = re.compile(r"^arn:aws[\w-]*:ssm:[^:]*:\d*:servicesetting(/.+)$")


def _setting_path(setting_id: str) -> str:
    match = _SETTING_ARN.match(setting_id)
    path = match.group(1) if match else setting_id
    if path not in SERVICE_SETTING_DEFAULTS:
        raise _error(
            "ServiceSettingNotFound",
            f"The service setting {setting_id} is not found.",
        )
    return path


def _setting_arn(path: str, region: str, account: str) -> str:
    return f"arn:aws:ssm:{region}:{account}:servicesetting{path}"


def service_setting(account_id: str, region: str, setting_id: str) -> dict[str, Any]:
    """The ServiceSetting structure for a setting id (path or ARN)."""
    path = _setting_path(setting_id)
    stored = _state(_backend(account_id, region)).settings.get(path)
    if stored is None:
        stored = {
            "SettingValue": SERVICE_SETTING_DEFAULTS[path],
            "LastModifiedDate": dt.datetime(2019, 1, 1, tzinfo=UTC),
            "LastModifiedUser": "System",
            "Status": "Default",
        }
    return {
        "SettingId": path,
        **stored,
        "ARN": _setting_arn(path, region, account_id),
    }


def set_service_setting(account_id: str, region: str, setting_id: str, value: str | None, user: str = "System") -> None:
    """Customise a setting, or reset it to its default with ``value=None``."""
    path = _setting_path(setting_id)
    backend = _backend(account_id, region)
    state = _state(backend)
    if value is not None:
        allowed = _SETTING_VALUES.get(path)
        if allowed is not None and value not in allowed:
            raise _validation(
                f"The value {value} is not valid for the service setting {path}. "
                f"Valid values: {', '.join(sorted(allowed))}."
            )
    with _LOCK:
        if value is None:
            state.settings.pop(path, None)
        else:
            state.settings[path] = {
                "SettingValue": value,
                "LastModifiedDate": _now(),
                "LastModifiedUser": user,
                "Status": "Customized",
            }
        if path == "/ssm/parameter-store/default-parameter-tier":
            backend.default_parameter_tier = value or SERVICE_SETTING_DEFAULTS[path]


# ---------------------------------------------------------------------------
# sessions

ACTIVE_SESSION_STATES = {"Connecting", "Connected", "Disconnected", "Terminating"}
HISTORY_SESSION_STATES = {"Terminated", "Failed"}


def _caller_name(arn: str) -> str:
    name = arn.rsplit("/", 1)[-1] if "/" in arn else arn.rsplit(":", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.@-]", "-", name) or "user"


def _session_credentials(session_id: str, region: str) -> dict[str, str]:
    token = base64.b64encode(secrets.token_bytes(180)).decode()
    cell = base64.b64encode(secrets.token_bytes(48)).decode()
    return {
        "SessionId": session_id,
        "TokenValue": token,
        "StreamUrl": f"wss://ssmmessages.{region}.amazonaws.com/v1/data-channel/"
        f"{session_id}?role=publish_subscribe&cell-number={cell}",
    }


def add_session(account_id: str, region: str, session: Mapping[str, Any]) -> str:
    """Seed a session record (e.g. a Failed one in history); returns its id.

    Defaults: Status ``Terminated``, Owner the default caller, StartDate now, EndDate for
    history states, DocumentName ``SSM-SessionManagerRunShell``.
    """
    data = dict(session)
    owner = str(data.get("Owner") or f"arn:aws:sts::{account_id}:user/moto")
    data["Owner"] = owner
    data.setdefault("SessionId", f"{_caller_name(owner)}-{_random_hex(17)}")
    data.setdefault("Status", "Terminated")
    data.setdefault("DocumentName", DEFAULT_SHELL_DOCUMENT)
    data["StartDate"] = _to_datetime(data.get("StartDate") or _now())
    if data.get("EndDate") is not None:
        data["EndDate"] = _to_datetime(data["EndDate"])
    elif data["Status"] in HISTORY_SESSION_STATES:
        data["EndDate"] = data["StartDate"] + dt.timedelta(seconds=12)
    if not data.get("Target"):
        raise ValueError("a session needs a Target")
    backend = _backend(account_id, region)
    with _LOCK:
        _state(backend).sessions[str(data["SessionId"])] = data
    return str(data["SessionId"])


def sessions(account_id: str, region: str) -> list[dict[str, Any]]:
    """Copies of all session records, newest first (``Parameters`` included)."""
    state = _state(_backend(account_id, region))
    with _LOCK:
        records = [dict(s) for s in state.sessions.values()]
    return sorted(records, key=lambda s: s["StartDate"], reverse=True)


_SESSION_FIELDS = (
    "SessionId",
    "Target",
    "Status",
    "StartDate",
    "EndDate",
    "DocumentName",
    "Owner",
    "Reason",
    "Details",
    "OutputUrl",
    "MaxSessionDuration",
    "AccessType",
)


def _session_view(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in _SESSION_FIELDS if record.get(k) is not None}


def _session_condition(key: str, value: str) -> Callable[[Mapping[str, Any]], bool]:
    if key == "InvokedAfter":
        after = _to_datetime(value)
        return lambda s: bool(s["StartDate"] >= after)
    if key == "InvokedBefore":
        before = _to_datetime(value)
        return lambda s: bool(s["StartDate"] <= before)
    simple = {"Target": "Target", "Owner": "Owner", "Status": "Status", "SessionId": "SessionId"}
    if key in simple:
        attr = simple[key]
        return lambda s: str(s.get(attr, "")) == value
    if key == "AccessType":
        return lambda s: str(s.get("AccessType", "Standard")) == value
    raise _error("InvalidFilterKey", f"The filter key {key} is not valid.")


# ---------------------------------------------------------------------------
# command invocations

_PLUGIN_BY_DOCUMENT = {
    "AWS-RunShellScript": "aws:runShellScript",
    "AWS-RunPowerShellScript": "aws:runPowerShellScript",
    "AWS-UpdateSSMAgent": "aws:updateSsmAgent",
}


def set_command_result(
    account_id: str,
    region: str,
    status: str = "Success",
    output: str | None = None,
    instance_id: str | None = None,
) -> None:
    """The status (and plugin output) ListCommandInvocations reports, for one node or all."""
    state = _state(_backend(account_id, region))
    with _LOCK:
        if instance_id is None:
            state.command_status = status
            state.command_output = output
        else:
            state.command_overrides[instance_id] = (status, output)


def _plugin_name(backend: Any, document_name: str) -> str:
    if document_name in _PLUGIN_BY_DOCUMENT:
        return _PLUGIN_BY_DOCUMENT[document_name]
    docs = backend._documents.get(document_name)
    if docs is not None:
        steps = getattr(docs.get_default_version(), "mainSteps", None) or []
        if steps and isinstance(steps[0], dict) and steps[0].get("action"):
            return str(steps[0]["action"])
    return "aws:runShellScript"


def _default_output(document_name: str, status: str) -> str:
    if status != "Success":
        return ""
    if document_name == "AWS-UpdateSSMAgent":
        return (
            "Updating amazon-ssm-agent to the latest version\n"
            f"Successfully downloaded updater version {LATEST_AGENT_VERSION}\n"
            f"amazon-ssm-agent updated successfully to {LATEST_AGENT_VERSION}"
        )
    return ""


def _command_invocations(
    account_id: str, region: str, command_id: str | None, instance_id: str | None, details: bool
) -> list[dict[str, Any]]:
    backend = _backend(account_id, region)
    state = _state(backend)
    if command_id:
        commands = [c for c in backend._commands if c.command_id == command_id]
        if not commands:
            raise _error("InvalidCommandId", "Invalid command id.")
    else:
        commands = list(backend._commands)
    nodes = _managed_nodes(account_id, region)
    result: list[dict[str, Any]] = []
    for command in sorted(commands, key=lambda c: c.requested_date_time, reverse=True):
        requested = _to_datetime(command.requested_date_time)
        for node_id in command.instance_ids:
            if instance_id and node_id != instance_id:
                continue
            status, output = state.command_overrides.get(node_id, (state.command_status, state.command_output))
            document = str(command.document_name or "")
            if output is None:
                output = _default_output(document, status)
            node = nodes.get(node_id)
            invocation: dict[str, Any] = {
                "CommandId": command.command_id,
                "InstanceId": node_id,
                "InstanceName": (node.info.get("ComputerName", "") if node else ""),
                "Comment": command.comment,
                "DocumentName": document,
                "DocumentVersion": "$DEFAULT",
                "RequestedDateTime": requested,
                "Status": status,
                "StatusDetails": status,
                "TraceOutput": "",
                "StandardOutputUrl": "",
                "StandardErrorUrl": "",
                "ServiceRole": command.service_role_arn,
                "NotificationConfig": command.notification_config,
                "CloudWatchOutputConfig": {
                    "CloudWatchLogGroupName": "",
                    "CloudWatchOutputEnabled": False,
                },
            }
            if details:
                finished = requested + dt.timedelta(seconds=2)
                invocation["CommandPlugins"] = [
                    {
                        "Name": _plugin_name(backend, document),
                        "Status": status,
                        "StatusDetails": status,
                        "ResponseCode": 0 if status == "Success" else 1,
                        "ResponseStartDateTime": requested,
                        "ResponseFinishDateTime": finished,
                        "Output": output,
                        "StandardOutputUrl": "",
                        "StandardErrorUrl": "",
                        "OutputS3Region": command.output_s3_region or region,
                        "OutputS3BucketName": command.output_s3_bucket_name,
                        "OutputS3KeyPrefix": command.output_s3_key_prefix,
                    }
                ]
            else:
                invocation["CommandPlugins"] = []
            result.append(invocation)
    return result


# ---------------------------------------------------------------------------
# the operations attached to moto's SSM response class
#
# Each takes the moto response object (``self``) and returns a moto ActionResult, which
# moto serialises through the botocore model (datetimes become epoch seconds).


def _result(payload: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(payload)


def _params(self: Any) -> dict[str, Any]:
    return _request_params(self)


def _caller(self: Any) -> str:
    try:
        return caller_arn(self.current_account, self.region, self.access_key)
    except Exception:
        return f"arn:aws:sts::{self.current_account}:user/moto"


def _op_describe_instance_information(self: Any) -> Any:
    p = _params(self)
    items = describe_instance_information(
        self.current_account,
        self.region,
        p.get("InstanceInformationFilterList"),
        p.get("Filters"),
    )
    page, token = _page(items, p.get("MaxResults"), p.get("NextToken"), 10, 5, 50)
    payload: dict[str, Any] = {"InstanceInformationList": page}
    if token:
        payload["NextToken"] = token
    return _result(payload)


def _op_get_connection_status(self: Any) -> Any:
    target = str(_params(self).get("Target", ""))
    status = connection_status(self.current_account, self.region, target)
    return _result({"Target": target, "Status": status})


def _op_get_service_setting(self: Any) -> Any:
    setting_id = str(_params(self).get("SettingId", ""))
    return _result({"ServiceSetting": service_setting(self.current_account, self.region, setting_id)})


def _op_update_service_setting(self: Any) -> Any:
    p = _params(self)
    set_service_setting(
        self.current_account,
        self.region,
        str(p.get("SettingId", "")),
        str(p.get("SettingValue", "")),
        user=_caller(self),
    )
    return _result({})


def _op_reset_service_setting(self: Any) -> Any:
    setting_id = str(_params(self).get("SettingId", ""))
    set_service_setting(self.current_account, self.region, setting_id, None)
    return _result({"ServiceSetting": service_setting(self.current_account, self.region, setting_id)})


def _op_start_session(self: Any) -> Any:
    p = _params(self)
    account, region = self.current_account, self.region
    target = str(p.get("Target", ""))
    document_name = p.get("DocumentName")
    backend = _backend(account, region)
    if document_name:
        docs = backend._documents.get(document_name)
        if docs is None:
            raise _error("InvalidDocument", f"Document with name {document_name} does not exist.")
        if docs.get_default_version().document_type != "Session":
            raise _error("InvalidDocument", f"Document {document_name} is not a Session document.")
    if connection_status(account, region, target) != "connected":
        raise _error("TargetNotConnected", f"{target} is not connected.")
    if target.startswith("mi-"):
        tier = service_setting(account, region, "/ssm/managed-instance/activation-tier")
        if tier["SettingValue"] != "advanced":
            raise _error(
                "BadRequest",
                "Enable advanced-instances tier to use Session Manager with your on-premises instances",
            )
    owner = _caller(self)
    session_id = f"{_caller_name(owner)}-{_random_hex(17)}"
    record: dict[str, Any] = {
        "SessionId": session_id,
        "Target": target,
        "Status": "Connected",
        "StartDate": _now(),
        "DocumentName": document_name or DEFAULT_SHELL_DOCUMENT,
        "Owner": owner,
        "Parameters": p.get("Parameters") or {},
    }
    if p.get("Reason"):
        record["Reason"] = p["Reason"]
    with _LOCK:
        _state(backend).sessions[session_id] = record
    return _result(_session_credentials(session_id, region))


def _op_resume_session(self: Any) -> Any:
    session_id = str(_params(self).get("SessionId", ""))
    state = _state(_backend(self.current_account, self.region))
    record = state.sessions.get(session_id)
    if record is None or record.get("Status") not in ACTIVE_SESSION_STATES:
        raise _error("DoesNotExistException", f"Session {session_id} does not exist.")
    with _LOCK:
        record["Status"] = "Connected"
    return _result(_session_credentials(session_id, self.region))


def _op_terminate_session(self: Any) -> Any:
    session_id = str(_params(self).get("SessionId", ""))
    state = _state(_backend(self.current_account, self.region))
    with _LOCK:
        record = state.sessions.get(session_id)
        if record is not None and record.get("Status") in ACTIVE_SESSION_STATES:
            record["Status"] = "Terminated"
            record["EndDate"] = _now()
    return _result({"SessionId": session_id})


def _op_describe_sessions(self: Any) -> Any:
    p = _params(self)
    state_name = str(p.get("State", ""))
    if state_name not in ("Active", "History"):
        raise _validation(
            f"1 validation error detected: Value '{state_name}' at 'state' failed to satisfy "
            "constraint: Member must satisfy enum value set: [Active, History]"
        )
    wanted = ACTIVE_SESSION_STATES if state_name == "Active" else HISTORY_SESSION_STATES
    conditions = [_session_condition(str(f.get("key")), str(f.get("value"))) for f in p.get("Filters") or []]
    records = [
        s
        for s in sessions(self.current_account, self.region)
        if s.get("Status") in wanted and all(c(s) for c in conditions)
    ]
    page, token = _page(records, p.get("MaxResults"), p.get("NextToken"), 20, 1, 200)
    payload: dict[str, Any] = {"Sessions": [_session_view(s) for s in page]}
    if token:
        payload["NextToken"] = token
    return _result(payload)


def _op_list_command_invocations(self: Any) -> Any:
    p = _params(self)
    details = bool(p.get("Details", False))
    items = _command_invocations(self.current_account, self.region, p.get("CommandId"), p.get("InstanceId"), details)
    for f in p.get("Filters") or []:
        key, value = str(f.get("key")), str(f.get("value"))
        if key == "Status":
            items = [i for i in items if i["Status"] == value]
        elif key == "DocumentName":
            items = [i for i in items if i["DocumentName"] == value]
        elif key == "InvokedAfter":
            items = [i for i in items if i["RequestedDateTime"] >= _to_datetime(value)]
        elif key == "InvokedBefore":
            items = [i for i in items if i["RequestedDateTime"] <= _to_datetime(value)]
        elif key != "ExecutionStage":
            raise _error("InvalidFilterKey", f"The filter key {key} is not valid.")
    page, token = _page(items, p.get("MaxResults"), p.get("NextToken"), 50, 1, 50)
    payload: dict[str, Any] = {"CommandInvocations": page}
    if token:
        payload["NextToken"] = token
    return _result(payload)


def _activation_view(account_id: str, region: str, record: Mapping[str, Any]) -> dict[str, Any]:
    nodes = _managed_nodes(account_id, region)
    count = sum(1 for n in nodes.values() if n.info.get("ActivationId") == record["ActivationId"])
    view = {k: v for k, v in record.items() if k != "ActivationCode"}
    view["RegistrationsCount"] = count
    view["Expired"] = bool(record["ExpirationDate"] <= _now())
    return view


def _op_create_activation(self: Any) -> Any:
    p = _params(self)
    role = p.get("IamRole")
    if not role:
        raise _validation("IamRole is required.")
    now = _now()
    expiration = _to_datetime(p["ExpirationDate"]) if p.get("ExpirationDate") else now + dt.timedelta(hours=24)
    record: dict[str, Any] = {
        "ActivationId": str(uuid.uuid4()),
        "ActivationCode": secrets.token_urlsafe(15)[:20],
        "Description": p.get("Description", ""),
        "DefaultInstanceName": p.get("DefaultInstanceName", ""),
        "IamRole": role,
        "RegistrationLimit": int(p.get("RegistrationLimit", 1)),
        "ExpirationDate": expiration,
        "CreatedDate": now,
        "Tags": p.get("Tags") or [],
    }
    with _LOCK:
        _state(_backend(self.current_account, self.region)).activations[record["ActivationId"]] = record
    return _result({"ActivationId": record["ActivationId"], "ActivationCode": record["ActivationCode"]})


def _op_describe_activations(self: Any) -> Any:
    p = _params(self)
    state = _state(_backend(self.current_account, self.region))
    records = sorted(state.activations.values(), key=lambda a: a["CreatedDate"])
    keys = {"ActivationIds": "ActivationId", "DefaultInstanceName": "DefaultInstanceName", "IamRole": "IamRole"}
    for f in p.get("Filters") or []:
        key = str(f.get("FilterKey"))
        if key not in keys:
            raise _error("InvalidFilter", f"The filter key {key} is not valid.")
        values = list(f.get("FilterValues") or [])
        records = [r for r in records if str(r.get(keys[key])) in values]
    views = [_activation_view(self.current_account, self.region, r) for r in records]
    page, token = _page(views, p.get("MaxResults"), p.get("NextToken"), 50, 1, 50)
    payload: dict[str, Any] = {"ActivationList": page}
    if token:
        payload["NextToken"] = token
    return _result(payload)


def _op_delete_activation(self: Any) -> Any:
    activation_id = str(_params(self).get("ActivationId", ""))
    state = _state(_backend(self.current_account, self.region))
    with _LOCK:
        if state.activations.pop(activation_id, None) is None:
            raise _error("InvalidActivationId", f"Activation ID {activation_id} is not valid.")
    return _result({})


#: moto method name -> implementation; install() refuses if moto has any of them natively.
ADDED_OPERATIONS: dict[str, Callable[[Any], Any]] = {
    "describe_instance_information": _op_describe_instance_information,
    "get_connection_status": _op_get_connection_status,
    "get_service_setting": _op_get_service_setting,
    "update_service_setting": _op_update_service_setting,
    "reset_service_setting": _op_reset_service_setting,
    "start_session": _op_start_session,
    "resume_session": _op_resume_session,
    "terminate_session": _op_terminate_session,
    "describe_sessions": _op_describe_sessions,
    "list_command_invocations": _op_list_command_invocations,
    "create_activation": _op_create_activation,
    "describe_activations": _op_describe_activations,
    "delete_activation": _op_delete_activation,
}

_MARK = "_ssm_sandbox_added"


def _operation_title(method_name: str) -> str:
    return "".join(part.capitalize() for part in method_name.split("_"))


def check_not_native(response_class: type, names: Iterable[str] = ADDED_OPERATIONS, service: str = "ssm") -> None:
    """Raise RuntimeError if ``response_class`` already has one of ``names`` (not ours)."""
    for name in names:
        existing = getattr(response_class, name, None)
        if existing is not None and not getattr(existing, _MARK, False):
            import moto

            raise RuntimeError(
                f"moto {moto.__version__} now implements {service}:{_operation_title(name)} "
                f"natively ({response_class.__name__}.{name}); the sandbox was built for "
                f"moto {TESTED_MOTO} and would replace it. Review doctor/sandbox/moto_ext.py."
            )


# ---------------------------------------------------------------------------
# wrappers around native moto methods

_STATE_TYPES = ("String", "StringList", "SecureString")


def _put_control_parameter(self: Any) -> Any:
    """PutParameter for ``/ssm-sandbox/`` names, which Parameter Store itself reserves."""
    from moto.ssm.models import Parameter

    p = _params(self)
    name = str(p["Name"])
    value = p.get("Value")
    if not value:
        raise _validation(
            "1 validation error detected: Value '' at 'value' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1."
        )
    if name == FAULTS_PARAMETER:
        try:
            FAULTS.configure_from_json(str(value))
        except (ValueError, TypeError) as exc:
            raise _validation(f"Invalid {FAULTS_PARAMETER} value: {exc}") from None
    elif name.startswith(MANAGED_NODES_PREFIX):
        try:
            raw = json.loads(str(value))
            if not isinstance(raw, dict):
                raise ValueError("expected a JSON object of InstanceInformation fields")
            _normalise_node(raw, name[len(MANAGED_NODES_PREFIX) :].strip("/"))
        except (ValueError, TypeError) as exc:
            raise _validation(f"Invalid managed node registration {name}: {exc}") from None
    backend = self.ssm_backend
    with _LOCK:
        versions = backend._parameters[name]
        overwrite = bool(p.get("Overwrite", False))
        if versions and not overwrite:
            raise _error(
                "ParameterAlreadyExists",
                "The parameter already exists. To overwrite this "
                "value, set the overwrite option in the request to true.",
            )
        param_type = p.get("Type") or (versions[-1].parameter_type if versions else "String")
        if param_type not in _STATE_TYPES:
            param_type = "String"
        param = Parameter(  # type: ignore[abstract]
            account_id=self.current_account,
            name=name,
            value=str(value),
            parameter_type=param_type,
            description=p.get("Description"),
            allowed_pattern=None,
            keyid=p.get("KeyId"),
            last_modified_date=_now().replace(tzinfo=None),
            version=(versions[-1].version + 1) if versions else 1,
            data_type="text",
            tier="Standard",
        )
        versions.append(param)
    return _result({"Version": param.version, "Tier": param.tier})


def _wrap_put_parameter(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def put_parameter(self: Any) -> Any:
        name = _params(self).get("Name")
        if isinstance(name, str) and name.startswith(SANDBOX_PREFIX):
            return _put_control_parameter(self)
        return original(self)

    put_parameter.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(put_parameter, _MARK, True)
    return put_parameter


def _wrap_delete_parameter(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def delete_parameter(self: Any) -> Any:
        result = original(self)
        if _params(self).get("Name") == FAULTS_PARAMETER:
            FAULTS.clear()
        return result

    delete_parameter.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(delete_parameter, _MARK, True)
    return delete_parameter


def _record_agent_update(backend: Any, command: Any, params: Mapping[str, Any]) -> None:
    """Sandbox behaviour: AWS-UpdateSSMAgent updates the agent at once on every node whose
    invocation reports Success (see `set_command_result`), to the requested ``version`` or
    the latest; DescribeInstanceInformation shows the new version from then on."""
    if command.document_name != "AWS-UpdateSSMAgent":
        return
    requested = (params.get("Parameters") or {}).get("version") or [""]
    version = str(requested[0] if isinstance(requested, list) else requested) or LATEST_AGENT_VERSION
    state = _state(backend)
    with _LOCK:
        for node_id in command.instance_ids:
            status, _ = state.command_overrides.get(node_id, (state.command_status, None))
            if status == "Success":
                state.agent_updates[node_id] = version


def _wrap_send_command(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """moto 5.2 adds every instance in the region to a command sent with InstanceIds only."""

    def send_command(self: Any) -> Any:
        p = _params(self)
        requested = list(p.get("InstanceIds") or [])
        result = original(self)
        if requested and not p.get("Targets"):
            command = self.ssm_backend._commands[-1]
            wanted = list(dict.fromkeys(requested))
            command.instance_ids = wanted
            command.target_count = command.completed_count = len(wanted)
            command.invocations = [
                command.invocation_response(i, _plugin_name(self.ssm_backend, command.document_name or ""))
                for i in wanted
            ]
            _record_agent_update(self.ssm_backend, command, p)
            return _result({"Command": command.response_object()})
        _record_agent_update(self.ssm_backend, self.ssm_backend._commands[-1], p)
        return result

    send_command.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(send_command, _MARK, True)
    return send_command


def _wrap_setup_class(original: Callable[..., None]) -> Callable[..., None]:
    def setup_class(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        _after_setup(self)

    setup_class.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(setup_class, _MARK, True)
    return setup_class


# ---------------------------------------------------------------------------
# ListTagsForResource for hybrid nodes


def _wrap_list_tags_for_resource(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """moto does not know the tags of managed nodes registered in the sandbox."""

    def list_tags_for_resource(self: Any) -> Any:
        p = _params(self)
        if p.get("ResourceType") == "ManagedInstance":
            node = _managed_nodes(self.current_account, self.region).get(str(p.get("ResourceId", "")))
            if node is not None:
                return _result({"TagList": [{"Key": k, "Value": v} for k, v in sorted(node.tags.items())]})
        return original(self)

    list_tags_for_resource.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(list_tags_for_resource, _MARK, True)
    return list_tags_for_resource


# ---------------------------------------------------------------------------
# IAM: SimulatePrincipalPolicy, and authorisation of principals that own access keys
#
# The simulation reads the principal's policies from moto's IAM backend (inline, attached, its groups',
# its permissions boundary) and decides with ssm-doctor's own evaluator (doctor.iam), so it agrees with
# the local evaluation by construction; what it checks is the plumbing around it (context entries,
# policy reading, response shape). It answers in the shape IAM does: one EvaluationResult per action,
# with ResourceSpecificResults per resource and MatchedStatements naming the source policy and the
# statement's position in its text. A statement the evaluator cannot decide counts as not matching.


@dataclass
class _SourcePolicy:
    name: str
    kind: str  # SourcePolicyType: user, group, role, aws-managed, user-managed
    text: str

    @functools.cached_property
    def document(self) -> Any:
        for candidate in (self.text, _unquote(self.text)):
            try:
                return json.loads(candidate)
            except ValueError:
                continue
        return self.text

    @functools.cached_property
    def spans(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        return _statement_spans(self.text)


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _statement_spans(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Start and end (line, column) of each statement in a policy's JSON text."""
    decoder = json.JSONDecoder()
    match = re.search(r'"Statement"\s*:\s*', text)
    if not match:
        return []
    i = match.end()
    starts_ends: list[tuple[int, int]] = []
    try:
        if text[i] == "{":
            _, end = decoder.raw_decode(text, i)
            starts_ends.append((i, end))
        elif text[i] == "[":
            i += 1
            while True:
                while text[i] in " \t\r\n,":
                    i += 1
                if text[i] == "]":
                    break
                _, end = decoder.raw_decode(text, i)
                starts_ends.append((i, end))
                i = end
    except (ValueError, IndexError):
        return []
    return [(_line_column(text, a), _line_column(text, b)) for a, b in starts_ends]


def _iam_backend(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["aws"]


def _managed_source(policy: Any) -> _SourcePolicy:
    default = next((v for v in policy.versions if v.is_default), policy.versions[-1])
    kind = "aws-managed" if ":aws:policy/" in str(policy.arn) else "user-managed"
    return _SourcePolicy(str(policy.name), kind, str(default.document))


def _entity_policies(iam: Any, entity: Any, kind: str) -> tuple[list[_SourcePolicy], list[_SourcePolicy]]:
    """An IAM user's or role's identity policies (with its groups') and its permissions boundary."""
    identity = [_SourcePolicy(name, kind, str(text)) for name, text in entity.policies.items()]
    identity += [_managed_source(p) for p in entity.managed_policies.values()]
    if kind == "user":
        for group in iam.get_groups_for_user(entity.name):
            identity += [_SourcePolicy(name, "group", str(text)) for name, text in group.policies.items()]
            identity += [_managed_source(p) for p in group.managed_policies.values()]
    boundary: list[_SourcePolicy] = []
    boundary_arn = getattr(entity, "permissions_boundary_arn", None)
    if boundary_arn:
        with contextlib.suppress(Exception):
            boundary.append(_managed_source(iam.get_policy(boundary_arn)))
    return identity, boundary


def _iam_entity(iam: Any, arn: str) -> tuple[Any, str]:
    """The user or role an ARN names, and its kind; raises IAM's NoSuchEntity."""
    from moto.iam.exceptions import NotFoundException

    kind = arn.split(":", 5)[-1].split("/", 1)[0] if arn.count(":") >= 5 else ""
    name = arn.rsplit("/", 1)[-1]
    try:
        if kind == "user":
            user = iam.get_user(name)
            if user.arn == arn:
                return user, "user"
        elif kind == "role":
            return iam.get_role_by_arn(arn), "role"
    except Exception:
        pass
    raise NotFoundException(f"The {kind or 'principal'} with ARN {arn} cannot be found.")


def _relevant(document: Any, action: str) -> list[Mapping[str, Any]]:
    """Statements of a document whose Action (or NotAction) covers ``action``."""
    if not isinstance(document, Mapping):
        return []
    raw = document.get("Statement")
    statements = [raw] if isinstance(raw, Mapping) else [s for s in raw or [] if isinstance(s, Mapping)]
    out = []
    for st in statements:
        key = "Action" if "Action" in st else "NotAction"
        patterns = st.get(key)
        patterns = [patterns] if isinstance(patterns, str) else [str(x) for x in patterns or []]
        hit = any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)
        if hit == (key == "Action"):
            out.append(st)
    return out


def _simulate_one(
    identity: list[_SourcePolicy],
    boundary: list[_SourcePolicy],
    source_arn: str,
    action: str,
    resource: str,
    context: dict[str, str | list[str]],
) -> dict[str, Any]:
    from doctor.iam import Policy, Request, evaluate
    from doctor.permissions import condition_keys

    request = Request(action, resource, context, principal_arn=source_arn)
    ident = [Policy(f"#{i}", p.document) for i, p in enumerate(identity)]
    bound = [Policy(f"#b{i}", p.document) for i, p in enumerate(boundary)]
    decision = evaluate(request, ident, bound)
    verdict = decision.decision if decision.decision in ("allowed", "explicitDeny") else "implicitDeny"
    matched = []
    for ref in decision.deciding:
        if not ref.policy.startswith("#") or ref.policy.startswith("#b"):
            continue
        source = identity[int(ref.policy[1:])]
        item: dict[str, Any] = {"SourcePolicyId": source.name, "SourcePolicyType": source.kind}
        if ref.index < len(source.spans):
            (l1, c1), (l2, c2) = source.spans[ref.index]
            item["StartPosition"] = {"Line": l1, "Column": c1}
            item["EndPosition"] = {"Line": l2, "Column": c2}
        matched.append(item)
    provided = {k.lower() for k in context}
    derived = {"aws:principalaccount", "aws:principalarn", "aws:principaltype"}
    if ":user/" in source_arn:
        derived.add("aws:username")
    docs = [{"Statement": _relevant(p.document, action)} for p in identity + boundary]
    missing = sorted(k for k in condition_keys(docs) if k.lower() not in provided | derived)
    result: dict[str, Any] = {"EvalResourceName": resource, "EvalResourceDecision": verdict,
                              "MatchedStatements": matched, "MissingContextValues": missing}
    if boundary:
        allowed = evaluate(Request(action, resource, context, principal_arn=source_arn), bound).allowed
        result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": allowed}
    return result


_RESTRICTIVE = {"explicitDeny": 2, "implicitDeny": 1, "allowed": 0}


def _op_simulate_principal_policy(self: Any) -> Any:
    p = self._get_params()
    source_arn = str(p.get("PolicySourceArn", ""))
    actions = [str(a) for a in p.get("ActionNames") or []]
    if not actions:
        raise _validation("ActionNames is required.")
    resources = [str(r) for r in p.get("ResourceArns") or []] or ["*"]
    context: dict[str, str | list[str]] = {}
    for entry in p.get("ContextEntries") or []:
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        context[str(entry.get("ContextKeyName"))] = values[0] if len(values) == 1 else values
    iam = _iam_backend(self.current_account)
    entity, kind = _iam_entity(iam, source_arn)
    identity, boundary = _entity_policies(iam, entity, kind)
    results = []
    for action in actions:
        per_resource = [_simulate_one(identity, boundary, source_arn, action, r, context) for r in resources]
        worst = max(per_resource, key=lambda r: _RESTRICTIVE[r["EvalResourceDecision"]])
        result: dict[str, Any] = {
            "EvalActionName": action,
            "EvalResourceName": resources[0] if len(resources) == 1 else "*",
            "EvalDecision": worst["EvalResourceDecision"],
            "MatchedStatements": worst["MatchedStatements"],
            "MissingContextValues": sorted({k for r in per_resource for k in r["MissingContextValues"]}),
            "ResourceSpecificResults": [
                {k: v for k, v in r.items() if k != "PermissionsBoundaryDecisionDetail"} for r in per_resource
            ],
        }
        if "PermissionsBoundaryDecisionDetail" in worst:
            result["PermissionsBoundaryDecisionDetail"] = worst["PermissionsBoundaryDecisionDetail"]
        results.append(result)
    return _result({"EvaluationResults": results, "IsTruncated": False})


#: IAM operations moto lacks; install() refuses if moto has any of them natively.
ADDED_IAM_OPERATIONS: dict[str, Callable[[Any], Any]] = {
    "simulate_principal_policy": _op_simulate_principal_policy,
}


def _key_principal(account_id: str, access_key: str) -> tuple[str, list[_SourcePolicy], list[_SourcePolicy]] | None:
    """The IAM user or assumed role that owns an access key, with its policies; None for other keys."""
    iam = _iam_backend(account_id)
    user = iam.get_user_from_access_key_id(access_key)
    if user is not None:
        identity, boundary = _entity_policies(iam, user, "user")
        return str(user.arn), identity, boundary
    from moto.sts.models import sts_backends

    assumed = sts_backends[account_id]["aws"].get_assumed_role_from_access_key(access_key)
    if assumed is None:
        return None
    try:
        role = iam.get_role_by_arn(assumed.role_arn)
    except Exception:
        return str(assumed.arn), [], []
    identity, boundary = _entity_policies(iam, role, "role")
    return str(assumed.arn), identity, boundary


def _authorise(resp: Any, service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Requests signed with an IAM user's (or an assumed role's) access key must be allowed by its policies.

    The sandbox's default credentials belong to no IAM user and are never checked. Resources are the ones
    `_resource_arn` derives, and only ``aws:RequestedRegion`` is in the request context, so this is coarser
    than AWS (an undecidable request is let through); sts:GetCallerIdentity is always allowed, as in AWS.
    """
    if not operation or (service == "sts" and operation == "GetCallerIdentity"):
        return
    access_key = getattr(resp, "access_key", None)
    if not access_key:
        return
    try:
        found = _key_principal(resp.current_account, str(access_key))
    except Exception:
        return
    if found is None:
        return
    from doctor.iam import Policy, Request, evaluate
    from doctor.policies import ACTION_OF_OPERATION

    arn, identity, boundary = found
    action = ACTION_OF_OPERATION.get(f"{service}:{operation}", f"{service}:{operation}")
    resource = _resource_arn(service, params, resp.region, resp.current_account)
    request = Request(action, resource, {"aws:RequestedRegion": resp.region}, principal_arn=arn)
    decision = evaluate(request, [Policy(p.name, p.document) for p in identity],
                        [Policy(p.name, p.document) for p in boundary])
    if decision.decision in ("explicitDeny", "implicitDeny"):
        raise _deny_error(_protocol(resp), arn, action, resource)


_INSTALLED = False


def install() -> None:
    """Add the missing operations and the fault hook to moto (idempotent).

    Also applies ``SSM_SANDBOX_THROTTLE_RATE`` / ``SSM_SANDBOX_DENY`` from the environment.
    """
    global _INSTALLED
    with _LOCK:
        if not _INSTALLED:
            from moto.core.responses import BaseResponse
            from moto.ssm.responses import SimpleSystemManagerResponse as ssm_response

            check_not_native(ssm_response)
            for name, func in ADDED_OPERATIONS.items():
                setattr(func, _MARK, True)
                setattr(ssm_response, name, func)
            if not getattr(ssm_response.put_parameter, _MARK, False):
                ssm_response.put_parameter = _wrap_put_parameter(ssm_response.put_parameter)  # type: ignore[method-assign, assignment]
            if not getattr(ssm_response.delete_parameter, _MARK, False):
                ssm_response.delete_parameter = _wrap_delete_parameter(  # type: ignore[method-assign, assignment]
                    ssm_response.delete_parameter
                )
            if not getattr(ssm_response.send_command, _MARK, False):
                ssm_response.send_command = _wrap_send_command(ssm_response.send_command)  # type: ignore[method-assign, assignment]
            if not getattr(ssm_response.list_tags_for_resource, _MARK, False):
                ssm_response.list_tags_for_resource = _wrap_list_tags_for_resource(  # type: ignore[method-assign, assignment]
                    ssm_response.list_tags_for_resource
                )
            from moto.iam.responses import IamResponse as iam_response

            check_not_native(iam_response, ADDED_IAM_OPERATIONS, service="iam")
            for name, func in ADDED_IAM_OPERATIONS.items():
                setattr(func, _MARK, True)
                setattr(iam_response, name, func)
            from moto.ec2.models import instances as ec2_instances

            if not getattr(getattr(ec2_instances, "random_instance_id"), _MARK, False):  # noqa: B009
                setattr(ec2_instances, "random_instance_id",  # noqa: B010
                        _wrap_random_instance_id(getattr(ec2_instances, "random_instance_id")))  # noqa: B009
            if not getattr(BaseResponse.setup_class, _MARK, False):
                BaseResponse.setup_class = _wrap_setup_class(BaseResponse.setup_class)  # type: ignore[method-assign, assignment]
            _INSTALLED = True
    FAULTS.configure_from_env()
