"""A plain moto server with the Systems Manager operations it lacks added minimally, the way a user of
ssm-doctor with a moto setup of their own would add them: no ``doctor.sandbox`` code at all, and in its own
process, so that it cannot share patches with the sandbox that other tests load.

Run as ``python -m tests.outside_moto STATE_FILE``: it prints its endpoint URL on the first line and serves until
killed. ``STATE_FILE`` (JSON) is read on every request and holds

- ``registrations``: node id → its DescribeInstanceInformation record;
- ``connection``: node id → GetConnectionStatus answer (``connected`` when absent and the node is Online);
- ``settings``: service setting path → value;
- ``deny``: actions (``ssm:DescribeInstanceInformation``) answered with AccessDenied, and ``deny_in``: region →
  actions denied in that region only;
- ``throttle``: the share of requests answered with the service's throttling error;
- ``absent``: operations (``get_connection_status``) left unimplemented, as moto answers them (HTTP 500);
- ``simulate``: ``allow`` answers iam SimulatePrincipalPolicy with every action allowed (else it is unimplemented).

Every request's action is appended to ``STATE_FILE.log``, one ``service:Action`` a line.
"""

from __future__ import annotations

import json
import logging
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

ADDED = (
    "describe_instance_information",
    "get_connection_status",
    "get_service_setting",
    "describe_sessions",
    "start_session",
    "terminate_session",
    "list_command_invocations",
)
_LOCK = threading.Lock()
_RANDOM = random.Random(20261203)


class _State:
    path: Path

    def read(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text())  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return {}

    def log(self, action: str) -> None:
        with _LOCK, open(f"{self.path}.log", "a") as handle:
            handle.write(action + "\n")


STATE = _State()


def _body(self: Any) -> dict[str, Any]:
    return json.loads(self.body or "{}")  # type: ignore[no-any-return]


def _absent(name: str) -> None:
    if name in STATE.read().get("absent", []):
        raise NotImplementedError(f"The {name} action has not been implemented")


def describe_instance_information(self: Any) -> str:
    _absent("describe_instance_information")
    wanted: list[str] | None = None
    for item in _body(self).get("Filters") or []:
        if item.get("Key") == "InstanceIds":
            wanted = item.get("Values")
    nodes = STATE.read().get("registrations", {})
    return json.dumps({"InstanceInformationList": [n for k, n in nodes.items() if wanted is None or k in wanted]})


def get_connection_status(self: Any) -> str:
    _absent("get_connection_status")
    state = STATE.read()
    target = _body(self)["Target"]
    node = state.get("registrations", {}).get(target, {})
    default = "connected" if node.get("PingStatus") == "Online" else "notconnected"
    return json.dumps({"Target": target, "Status": state.get("connection", {}).get(target, default)})


def get_service_setting(self: Any) -> Any:
    _absent("get_service_setting")
    setting_id = _body(self)["SettingId"]
    path = setting_id.split(":servicesetting", 1)[-1]
    value = STATE.read().get("settings", {}).get(path, "standard")
    return json.dumps({"ServiceSetting": {"SettingId": path, "SettingValue": value, "Status": "Default",
                                          "ARN": f"arn:aws:ssm:us-east-1:123456789012:servicesetting{path}"}})


def describe_sessions(self: Any) -> str:
    _absent("describe_sessions")
    return json.dumps({"Sessions": []})


def start_session(self: Any) -> str:
    return json.dumps({"SessionId": "outside-0123456789abcdef0", "TokenValue": "token", "StreamUrl": "wss://x/s"})


def terminate_session(self: Any) -> str:
    return json.dumps({"SessionId": _body(self).get("SessionId")})


def list_command_invocations(self: Any) -> str:
    return json.dumps({"CommandInvocations": []})


def simulate_principal_policy(self: Any) -> str:
    """Only with ``"simulate": "allow"`` in the state: every action allowed, as a tester's simplest stand-in."""
    if STATE.read().get("simulate") != "allow":
        raise NotImplementedError("The simulate_principal_policy action has not been implemented")
    actions = self._get_param("ActionNames", [])
    resources = self._get_param("ResourceArns", []) or ["*"]
    members = "".join(
        f"<member><EvalActionName>{a}</EvalActionName><EvalResourceName>{r}</EvalResourceName>"
        "<EvalDecision>allowed</EvalDecision><MatchedStatements/><MissingContextValues/></member>"
        for a in actions for r in resources)
    return ('<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            f"<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>{members}"
            "</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>x</RequestId>"
            "</ResponseMetadata></SimulatePrincipalPolicyResponse>")


def _error(self: Any, service: str, code: str, message: str) -> tuple[int, dict[str, str], str]:
    if "x-amz-json" in (self.headers.get("Content-Type") or ""):
        return 400, {"status": "400"}, json.dumps({"__type": code, "message": message})
    if service == "ec2":
        return 400, {"status": "400"}, (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
                                        "</Error></Errors><RequestID>x</RequestID></Response>")
    return 400, {"status": "400"}, (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}"
                                    "</Message></Error><RequestId>x</RequestId></ErrorResponse>")


def install() -> None:
    from moto.core.responses import BaseResponse
    from moto.iam.responses import IamResponse
    from moto.ssm.responses import SimpleSystemManagerResponse

    module = sys.modules[__name__]
    for name in ADDED:
        if hasattr(SimpleSystemManagerResponse, name):
            raise RuntimeError(f"moto now implements ssm {name}; this outside server would replace it")
        setattr(SimpleSystemManagerResponse, name, getattr(module, name))
    if hasattr(IamResponse, "simulate_principal_policy"):
        raise RuntimeError("moto now implements iam simulate_principal_policy; this outside server would replace it")
    IamResponse.simulate_principal_policy = simulate_principal_policy  # type: ignore[attr-defined]
    original = BaseResponse.call_action

    def call_action(self: Any) -> Any:
        service = str(self.service_name or "")
        action = str(self._get_action())
        if not action[:1].isupper():
            action = "".join(part.capitalize() for part in action.split("_"))
        key = f"{service}:{action}"
        STATE.log(key)
        state = STATE.read()
        denied = [*state.get("deny", []), *state.get("deny_in", {}).get(str(self.region), [])]
        if key in denied:
            code = {"ec2": "UnauthorizedOperation"}.get(service, "AccessDeniedException"
                                                        if service in ("ssm", "kms") else "AccessDenied")
            return _error(self, service, code, f"User: outside is not authorized to perform: {key}")
        if _RANDOM.random() < float(state.get("throttle", 0.0)):
            code = {"ec2": "RequestLimitExceeded", "ssm": "ThrottlingException", "kms": "ThrottlingException"}
            return _error(self, service, code.get(service, "Throttling"), "Rate exceeded")
        return original(self)

    BaseResponse.call_action = call_action  # type: ignore[method-assign]


def main() -> None:
    STATE.path = Path(sys.argv[1])
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    install()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
