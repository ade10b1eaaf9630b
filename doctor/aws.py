"""The one place that holds a boto3 session: clients, retries, call counting, error mapping.

Collectors go through :class:`Aws` so that every AWS error becomes a typed
:class:`~doctor.facts.Unavailable` naming the call and the permission it needs, and so that
every call is counted (the counts are stable, unlike timings).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import boto3
import botocore.exceptions
import botocore.parsers
from botocore.config import Config

from doctor.facts import Unavailable, UnavailableError, jsonable

T = TypeVar("T")

# botocore's standard retry mode retries throttling and transient failures (HTTP 5xx, dropped connections) with
# exponential backoff, BOTOCORE_ATTEMPTS tries in all. Throttling is the one failure that patience cures, so a
# call that is still throttled after those tries is made again (THROTTLE_ROUNDS rounds in all, 16 tries); any
# other failure ends after botocore's tries, so an endpoint that is down, or that does not implement an
# operation, costs seconds instead of minutes.
BOTOCORE_ATTEMPTS = 4
THROTTLE_ROUNDS = 4
RETRY_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": BOTOCORE_ATTEMPTS},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="ssm-doctor",
)

_SIGNING_PREFIX = {"logs": "logs", "sts": "sts"}
# The throttling error codes of the AWS services ssm-doctor reads (as botocore's standard mode knows them).
THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "EC2ThrottledException",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "PriorRequestNotComplete",
    }
)


def iam_action(service: str, operation: str) -> str:
    """The IAM action for an API call: ``ssm`` + ``describe_instance_information`` → ssm:DescribeInstanceInformation."""
    name = "".join(part.capitalize() for part in operation.split("_"))
    return f"{_SIGNING_PREFIX.get(service, service)}:{name}"


class Aws:
    """A boto3 session plus per-region clients, shared by every collector in a run."""

    #: How the pause between throttled rounds is taken (tests replace it).
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self, profile: str | None = None, region: str | None = None) -> None:
        # boto3 reads AWS_DEFAULT_REGION; the other AWS SDKs and the CLI v2 also honour AWS_REGION.
        region = region or os.environ.get("AWS_REGION") or None
        self.session = boto3.Session(profile_name=profile, region_name=region)
        self.profile = profile
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        # Operations the endpoint answered with something that is not an AWS response (a fake AWS that lacks
        # them, say): asked once per run, then answered from here.
        self._not_served: dict[str, Unavailable] = {}

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

    def retrying(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` (one or more AWS requests); when it ends throttled, pause and run it again."""
        for round_ in range(THROTTLE_ROUNDS):
            try:
                return attempt()
            except botocore.exceptions.ClientError as exc:
                if error_code(exc) not in THROTTLE_CODES or round_ + 1 == THROTTLE_ROUNDS:
                    raise
            # Carry on botocore's backoff: it paused up to 1, 2 and 4 seconds between its own tries.
            self.sleep(random.random() * min(2.0 ** (round_ + 3), 20.0))
        raise AssertionError("unreachable")  # pragma: no cover

    def _unavailable(self, action: str, exc: BaseException) -> UnavailableError:
        gone = unavailable_from(action, exc)
        if gone.code.startswith("HTTP5") or gone.code == "ResponseParserError":  # a server error page, no AWS error
            with self._lock:
                self._not_served.setdefault(action, gone)
        return UnavailableError(gone)

    def _check_served(self, action: str) -> None:
        with self._lock:
            gone = self._not_served.get(action)
        if gone is not None:
            raise UnavailableError(gone)

    def call(
        self, service: str, operation: str, region: str, expect: Mapping[str, Any] | None = None, **params: Any
    ) -> Any:
        action = iam_action(service, operation)
        self._check_served(action)
        try:
            client = self.client(service, region)
            response = self.retrying(lambda: getattr(client, operation)(**params))
        except Exception as exc:  # every failure becomes a typed value, never a silent pass
            code = error_code(exc)
            if expect is not None and code in expect:
                return expect[code]
            raise self._unavailable(action, exc) from exc
        return jsonable(response)

    def paginate(self, service: str, operation: str, region: str, result_key: str, **params: Any) -> list[Any]:
        action = iam_action(service, operation)
        self._check_served(action)

        def every_page() -> list[Any]:
            items: list[Any] = []
            paginator = self.client(service, region).get_paginator(operation)
            for page in paginator.paginate(**params):
                items.extend(page.get(result_key, []))
            return items

        try:
            items = self.retrying(every_page)
        except Exception as exc:
            raise self._unavailable(action, exc) from exc
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


_TAG = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _not_aws(body: str) -> str:
    """A short text for an answer that is not an AWS error document (an HTML error page, say)."""
    title = _TITLE.search(body)
    text = title.group(1) if title else _TAG.sub(" ", body)
    return re.sub(r"\s+", " ", text).strip()[:120]


def unavailable_from(action: str, exc: BaseException) -> Unavailable:
    code = error_code(exc)
    message = str(exc)
    if isinstance(exc, botocore.exceptions.ClientError):
        raw = str(exc.response.get("Error", {}).get("Message", ""))
        message = raw or message
        if code.isdigit():  # no AWS error in the body: botocore names the error after the HTTP status
            detail = _not_aws(raw)
            message = f"the endpoint answered HTTP {code} without an AWS error" + (f" ({detail})" if detail else "")
            code = f"HTTP{code}"
    elif isinstance(exc, botocore.parsers.ResponseParserError):
        body = message.split("\n", 1)[1].strip() if "\n" in message else ""
        if body[:2] in ("b'", 'b"'):
            body = body[2:-1].replace("\\n", " ")
        detail = _not_aws(body)
        message = "the endpoint's answer is not an AWS response" + (f" ({detail})" if detail else "")
    message = re.sub(r"\s+", " ", message).strip()[:500]
    if code in THROTTLE_CODES:
        message = f"still throttled after retries: {message}"
    return Unavailable(action, code, message, action)
