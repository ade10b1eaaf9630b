"""Run the sandbox AWS: in-process (``mock_aws``) or as an HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from doctor.sandbox import moto_ext

REGION = "us-east-1"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
#: Variables that would make boto3 look past the dummy credentials.
_HIDDEN_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")


@dataclass(frozen=True)
class Sandbox:
    """A running sandbox: where to reach it and the seeded targets (scenario key -> id)."""

    endpoint_url: str | None
    targets: dict[str, str]
    region: str


@contextmanager
def _dummy_credentials() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in (*DUMMY_CREDENTIALS, *_HIDDEN_VARIABLES)}
    try:
        for key in _HIDDEN_VARIABLES:
            os.environ.pop(key, None)
        os.environ.update(DUMMY_CREDENTIALS)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _managed_policies_loaded() -> Iterator[None]:
    """Make moto load AWS-managed IAM policies (AmazonSSMManagedInstanceCore and co)."""
    from moto.core.config import default_user_config

    iam_config = {**default_user_config.get("iam", {}), "load_aws_managed_policies": True}
    with mock.patch.dict(default_user_config, {"iam": iam_config}):
        yield


@contextmanager
def _quiet_request_log() -> Iterator[None]:
    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def _own_moto_state() -> Iterator[None]:
    """Give this sandbox a clean moto, and put back whatever was there before on exit.

    moto keeps its state process-wide, so a sandbox opened while another one (or a
    ``mock_aws``) is active would otherwise wipe or mix with it.
    """
    from moto.core.base_backend import BackendDict as _BackendDict
    from moto.core.base_backend import backend_lock

    BackendDict: Any = _BackendDict
    with backend_lock:
        parked: dict[int, tuple[Any, dict[str, Any]]] = {}
        for service in BackendDict._instances:
            parked.setdefault(id(service), (service, {k: dict.__getitem__(service, k) for k in dict.keys(service)}))
        for service, _ in parked.values():
            dict.clear(service)
        BackendDict._instances.clear()
    try:
        yield
    finally:
        BackendDict.reset()
        with backend_lock:
            for service, accounts in parked.values():
                dict.update(service, accounts)
                if service not in BackendDict._instances:
                    BackendDict._instances.append(service)


def _seed(endpoint_url: str | None) -> dict[str, str]:
    import boto3

    from doctor.sandbox.fleet import seed

    return seed(boto3.Session(region_name=REGION), endpoint_url=endpoint_url)


#: What the default credentials may do in an unseeded sandbox: everything, as moto itself allows them.
DEFAULT_CALLER_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Sid": "SandboxDefaultCaller", "Effect": "Allow", "Action": "*",
                                              "Resource": "*"}]}
)


def _default_caller(endpoint_url: str | None) -> dict[str, str]:
    """An empty sandbox still knows the default caller (``user/moto``, which moto's dummy keys resolve to) as an
    IAM user who may do everything, so permission checks can read its policies instead of finding no such user."""
    import boto3

    iam = boto3.Session(region_name=REGION).client("iam", endpoint_url=endpoint_url)
    name = "moto"
    try:
        iam.create_user(UserName=name)
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    iam.put_user_policy(UserName=name, PolicyName="SandboxDefaultCaller", PolicyDocument=DEFAULT_CALLER_POLICY)
    return {}


@contextmanager
def in_process(seed_fleet: bool = True) -> Iterator[Sandbox]:
    """moto's ``mock_aws`` with the sandbox extensions and (optionally) the demo fleet.

    Dummy credentials and ``AWS_DEFAULT_REGION`` are set while it is active and restored
    afterwards; the faults are cleared on exit.
    """
    from moto import mock_aws

    moto_ext.install()
    with ExitStack() as stack:
        stack.enter_context(_own_moto_state())
        stack.enter_context(mock_aws(config={"iam": {"load_aws_managed_policies": True}}))
        stack.enter_context(_dummy_credentials())
        stack.callback(moto_ext.FAULTS.clear)
        targets = _seed(None) if seed_fleet else _default_caller(None)
        yield Sandbox(endpoint_url=None, targets=targets, region=REGION)


def _check_port_free(port: int) -> None:
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise OSError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc


@contextmanager
def http_server(seed_fleet: bool = True, port: int = 0) -> Iterator[Sandbox]:
    """moto's HTTP server on 127.0.0.1 (``port=0``: a free port) with the extensions.

    Point clients at ``Sandbox.endpoint_url`` (or ``AWS_ENDPOINT_URL``). Dummy credentials
    are set in this process while it runs. moto's state is its own while it runs.
    """
    from moto.server import ThreadedMotoServer

    moto_ext.install()
    _check_port_free(port)
    with ExitStack() as stack:
        stack.enter_context(_dummy_credentials())
        stack.enter_context(_quiet_request_log())
        stack.enter_context(_own_moto_state())  # exits after policy loading is off again
        stack.enter_context(_managed_policies_loaded())
        stack.callback(moto_ext.FAULTS.clear)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        stack.callback(server.stop)
        _, bound = server.get_host_and_port()
        endpoint_url = f"http://127.0.0.1:{bound}"
        targets = _seed(endpoint_url) if seed_fleet else _default_caller(endpoint_url)
        yield Sandbox(endpoint_url=endpoint_url, targets=targets, region=REGION)


def serve_forever(port: int, seed_fleet: bool) -> None:
    """Serve the sandbox until SIGINT/SIGTERM; first prints one JSON line describing it."""
    stop = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with http_server(seed_fleet=seed_fleet, port=port) as sandbox:
            from doctor.sandbox.fleet import SCENARIOS

            line = {
                "endpoint_url": sandbox.endpoint_url,
                "region": sandbox.region,
                "targets": sandbox.targets,
                # the region of each target (preferences and tiers are regional, so scenarios spread out)
                "regions": {s.key: s.region for s in SCENARIOS if s.key in sandbox.targets},
            }
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
