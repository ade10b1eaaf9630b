"""What an endpoint other than AWS (or the project's sandbox) may answer, and how ssm-doctor takes it: retries,
error summaries, odd registrations, collector crashes, ids typed in the wrong case. No AWS, no server."""

from __future__ import annotations

from typing import Any

import botocore.parsers
import pytest
from botocore.exceptions import ClientError

from doctor.aws import THROTTLE_ROUNDS, Aws, unavailable_from
from doctor.engine import check, evaluate, plan, spec_of
from doctor.facts import COLLECTOR_ERROR, FactStore, Options, Target, UnavailableError, fact
from doctor.model import Outcome, Status, passed
from doctor.targets import TargetError, resolve
from tests import factkit as fk
from tests.test_checks_foundation import diagnose, info, with_


def client_error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "DescribeInstanceInformation")


class Flaky:
    """An attempt that raises the given errors in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "answer"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Aws:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    a = Aws(region="us-east-1")
    a.sleep = lambda seconds: None  # type: ignore[method-assign]
    return a


def test_a_call_still_throttled_after_botocore_retries_is_made_again(aws: Aws) -> None:
    attempt = Flaky(*(client_error("ThrottlingException", "Rate exceeded") for _ in range(THROTTLE_ROUNDS - 1)))
    assert aws.retrying(attempt) == "answer"
    assert attempt.calls == THROTTLE_ROUNDS


def test_throttling_gives_up_in_the_end(aws: Aws) -> None:
    attempt = Flaky(*(client_error("Throttling") for _ in range(THROTTLE_ROUNDS + 5)))
    with pytest.raises(ClientError):
        aws.retrying(attempt)
    assert attempt.calls == THROTTLE_ROUNDS


@pytest.mark.parametrize("error", [client_error("AccessDeniedException"), client_error("500", "<html>"),
                                   botocore.parsers.ResponseParserError("Unable to parse response")])
def test_other_failures_are_not_retried_again(aws: Aws, error: Exception) -> None:
    attempt = Flaky(error)
    with pytest.raises(type(error)):
        aws.retrying(attempt)
    assert attempt.calls == 1


class FakeClient:
    """A client whose every operation runs ``attempt``."""

    def __init__(self, attempt: Flaky) -> None:
        self.attempt = attempt

    def get_connection_status(self, **_: Any) -> str:
        return self.attempt()


@pytest.mark.parametrize(("error", "asked"), [
    (client_error("500", "<html>"), 1),  # a server error page: the endpoint does not serve the operation
    (botocore.parsers.ResponseParserError("Unable to parse response"), 1),
    (client_error("AccessDeniedException"), 3),  # about this request: the next one may differ
    (client_error("404", ""), 3),
])
def test_an_operation_the_endpoint_does_not_serve_is_asked_once(aws: Aws, monkeypatch: pytest.MonkeyPatch,
                                                                 error: Exception, asked: int) -> None:
    attempt = Flaky(*(error for _ in range(3)))
    monkeypatch.setattr(aws, "client", lambda service, region: FakeClient(attempt))
    codes = set()
    for _ in range(3):
        with pytest.raises(UnavailableError) as raised:
            aws.call("ssm", "get_connection_status", "us-east-1", Target="i-0123456789abcdef0")
        codes.add(raised.value.unavailable.code)
    assert attempt.calls == asked and len(codes) == 1


def test_an_html_error_page_is_summarised() -> None:
    page = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>"
    gone = unavailable_from("ssm:GetConnectionStatus", client_error("500", page))
    assert gone.code == "HTTP500"
    assert gone.message == "the endpoint answered HTTP 500 without an AWS error (500 Internal Server Error)"


def test_an_unparseable_answer_is_summarised() -> None:
    exc = botocore.parsers.ResponseParserError(
        "Unable to parse response (syntax error: line 1, column 0), invalid XML received. Further retries may "
        "succeed:\nb'<!doctype html>\\n<title>502 Bad Gateway</title>'")
    gone = unavailable_from("iam:SimulatePrincipalPolicy", exc)
    assert gone.code == "ResponseParserError"
    assert gone.message == "the endpoint's answer is not an AWS response (502 Bad Gateway)"


@pytest.mark.parametrize(("code", "status"), [
    ("InvalidClientTokenId", Status.FAIL),
    ("SignatureDoesNotMatch", Status.FAIL),
    ("NoCredentials", Status.FAIL),
    ("ResponseParserError", Status.UNKNOWN),  # something that is not AWS answered
    ("HTTP500", Status.UNKNOWN),
    ("ServiceUnavailable", Status.UNKNOWN),
    ("RequestLimitExceeded", Status.UNKNOWN),
])
def test_only_credential_errors_fail_local_credentials(code: str, status: Status) -> None:
    report = diagnose(with_(credentials=fk.credentials(ok=False, error_code=code, message="m")))
    finding = report.finding("local.credentials")
    assert finding.status is status
    if status is Status.UNKNOWN:
        assert finding.missing == ("sts:GetCallerIdentity",)


def test_connection_status_is_read_case_insensitively() -> None:
    assert diagnose(with_(connection_status="Connected")).finding("node.connectable").status is Status.PASS
    assert diagnose(with_(connection_status="notconnected")).finding("node.connectable").status is Status.FAIL


def test_a_registration_without_platform_uses_what_ec2_says() -> None:
    facts = with_(instance_info=info(PlatformType=None), ec2_instance=fk.ec2_instance(PlatformDetails="Windows"))
    finding = diagnose(facts).finding("node.platform")
    assert finding.status is Status.PASS
    assert finding.evidence["platform_from_ec2"] == "Windows"


def test_a_registration_without_platform_or_ec2_details_is_unknown() -> None:
    finding = diagnose(with_(instance_info=info(PlatformType=""))).finding("node.platform")
    assert finding.status is Status.UNKNOWN
    assert finding.missing == ("ssm:DescribeInstanceInformation",)


@fact("test_crashing_fact", scope="target")
def _crashing_collector(ctx: Any) -> Any:
    return {}["InstanceId"]  # an answer of an unexpected shape


def test_a_collector_crash_is_an_error_and_the_run_goes_on() -> None:
    @check("test.crashy", title="crashy", problem="session-manager-error", doc="https://docs.aws.amazon.com/x")
    def crashy(test_crashing_fact: Any) -> Outcome:
        return passed("never")

    @check("test.fine", title="fine", problem="session-manager-error", doc="https://docs.aws.amazon.com/x")
    def fine() -> Outcome:
        return passed("fine")

    store = FactStore(object(), Options())  # type: ignore[arg-type]  (no AWS call is made)
    target = Target(fk.EC2_ID, fk.REGION)
    findings = {f.id: f for f in evaluate(plan([spec_of(crashy), spec_of(fine)]), store, target)}
    assert findings["test.crashy"].status is Status.ERROR
    assert "KeyError" in findings["test.crashy"].summary
    assert findings["test.crashy"].evidence["unavailable"][0]["code"] == COLLECTOR_ERROR
    assert findings["test.fine"].status is Status.PASS


@pytest.mark.parametrize("text", ["I-0123456789ABCDEF0", "MI-0123456789abcdef0", "i-0123456789ABCDEF0"])
def test_ids_in_the_wrong_case_are_malformed_ids_not_names(text: str) -> None:
    with pytest.raises(TargetError, match="malformed"):
        resolve(None, "us-east-1", text)
