"""The one place that holds a boto3 session: clients, retries, call counting, error mapping.

Collectors go through :class:`Aws` so that every AWS error becomes a typed
:class:`~doctor.facts.Unavailable` naming the call and the permission it needs, and so that
every call is counted (the counts are stable, unlike timings).
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from doctor.facts import Unavailable, UnavailableError, jsonable

# Standard retry mode with enough attempts that throttling is absorbed rather than reported.
RETRY_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 10},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="ssm-doctor",
)

_SIGNING_PREFIX = {"logs": "logs", "sts": "sts"}
_THROTTLE_CODES = frozenset(
    {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException"}
)


def iam_action(service: str, operation: str) -> str:
    """The IAM action for an API call: ``ssm`` + ``describe_instance_information`` → ssm:DescribeInstanceInformation."""
    name = "".join(part.capitalize() for part in operation.split("_"))
    return f"{_SIGNING_PREFIX.get(service, service)}:{name}"


class Aws:
    """A boto3 session plus per-region clients, shared by every collector in a run."""

    def __init__(self, profile: str | None = None, region: str | None = None) -> None:
        # boto3 reads AWS_DEFAULT_REGION; the other AWS SDKs and the CLI v2 also honour AWS_REGION.
        region = region or os.environ.get("AWS_REGION") or None
        self.session = boto3.Session(profile_name=profile, region_name=region)
        self.profile = profile
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    @property
    def region(self) -> str | None:
        region = self.session.region_name
        return str(region) if region else None

    def client(self, service: str, region: str) -> Any:
        if not region:
            raise botocore.exceptions.NoRegionError()
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                client = self.session.client(service, region_name=region, config=RETRY_CONFIG)  # type: ignore[call-overload]
                client.meta.events.register("before-call.*.*", self._count)
                self._clients[key] = client
            return self._clients[key]

    def _count(self, model: Any, **_: Any) -> None:
        prefix = model.service_model.signing_name or model.service_model.endpoint_prefix
        with self._lock:
            self.calls[f"{prefix}:{model.name}"] += 1

    def call(
        self, service: str, operation: str, region: str, expect: Mapping[str, Any] | None = None, **params: Any
    ) -> Any:
        action = iam_action(service, operation)
        try:
            client = self.client(service, region)
            response = getattr(client, operation)(**params)
        except Exception as exc:  # every failure becomes a typed value, never a silent pass
            code = error_code(exc)
            if expect is not None and code in expect:
                return expect[code]
            raise UnavailableError(unavailable_from(action, exc)) from exc
        return jsonable(response)

    def paginate(self, service: str, operation: str, region: str, result_key: str, **params: Any) -> list[Any]:
        action = iam_action(service, operation)
        items: list[Any] = []
        try:
            paginator = self.client(service, region).get_paginator(operation)
            for page in paginator.paginate(**params):
                items.extend(page.get(result_key, []))
        except Exception as exc:
            raise UnavailableError(unavailable_from(action, exc)) from exc
        return jsonable(items)  # type: ignore[no-any-return]


def error_code(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return "NoCredentials"
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return "NoRegion"
    if isinstance(exc, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionError)):
        return "EndpointUnreachable"
    if isinstance(exc, botocore.exceptions.ReadTimeoutError):
        return "Timeout"
    if isinstance(exc, botocore.exceptions.ProfileNotFound):
        return "ProfileNotFound"
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return type(exc).__name__
    return type(exc).__name__


def unavailable_from(action: str, exc: BaseException) -> Unavailable:
    code = error_code(exc)
    message = str(exc)
    if isinstance(exc, botocore.exceptions.ClientError):
        message = str(exc.response.get("Error", {}).get("Message", "")) or message
    message = re.sub(r"\s+", " ", message).strip()[:500]
    if code in _THROTTLE_CODES:
        message = f"still throttled after retries: {message}"
    return Unavailable(action, code, message, action)
