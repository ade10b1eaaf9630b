"""The reset's hand-off to session-manager-plugin, checked the way an outside user sees it.

The AWS CLI (``awscli/customizations/sessionmanager.py``, ``StartSessionCaller.invoke``) runs::

    session-manager-plugin <json.dumps(response) | AWS_SSM_START_SESSION_RESPONSE> <region> StartSession
                           <--profile or ""> <json.dumps(parameters)> <client.meta.endpoint_url>

where ``parameters`` is the StartSession request in the order of the operation's input shape
(Target, DocumentName, Reason, Parameters) and the response holds SessionId, TokenValue and
StreamUrl only, both with ``json.dumps``'s default separators. These tests compare strings, not
parsed JSON, so a different key order or separator fails them.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import stat
import subprocess
import sys
import termios
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest

import doctor.reset as reset_module
from doctor.aws import Aws
from doctor.facts import Target
from doctor.model import Report, TargetReport
from doctor.reset import ENV_VAR, run_reset, start_session_request
from tests import clikit

ROOT = Path(__file__).resolve().parent.parent
USER = "Administrator"

# A plugin that says something on stdout (as the real one does: "Starting session with SessionId: …"),
# records how it was called, and can wait for a Ctrl-C typed on the terminal.
TALKING_PLUGIN = textwrap.dedent(
    """\
    #!{python}
    import json, os, signal, sys, time
    if sys.argv[1:] == ["--version"]:
        print(os.environ.get("FAKE_PLUGIN_VERSION", "1.2.650.0"))
        sys.exit(0)
    got = []
    signal.signal(signal.SIGINT, lambda signum, frame: got.append("SIGINT"))
    print("Starting session with SessionId: from-the-plugin", flush=True)
    if os.environ.get("FAKE_PLUGIN_WAIT_FOR_CTRL_C"):
        print("PLUGIN-WAITS-FOR-CTRL-C", flush=True)
        deadline = time.monotonic() + 60
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
    with open(os.environ["FAKE_PLUGIN_RECORD"], "a") as fh:
        fh.write(json.dumps({{"argv": sys.argv, "env": dict(os.environ), "signals": got}}) + "\\n")
    sys.exit(int(os.environ.get("FAKE_PLUGIN_EXIT", "0")))
    """
)


@pytest.fixture(scope="module")
def talking_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("talking-plugin")
    path = directory / "session-manager-plugin"
    path.write_text(TALKING_PLUGIN.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return directory


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / "plugin-calls.jsonl"


def recorded(record: Path) -> list[dict[str, Any]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines() if line.strip()]


def outside_env(sandbox: Any, plugin_dir: Path | None, record: Path, **extra: str) -> dict[str, str]:
    """What a user's shell would have: no SSM_DOCTOR_QUIET, so progress lines are printed too."""
    env = clikit.base_env(sandbox.endpoint_url, plugin_dir)
    env.pop("SSM_DOCTOR_QUIET", None)
    env["FAKE_PLUGIN_RECORD"] = str(record)
    env.update(extra)
    return env


def start_session_members() -> list[str]:
    model = botocore.session.get_session().get_service_model("ssm").operation_model("StartSession")
    assert model.input_shape is not None
    return list(model.input_shape.members)


def cli_request(target: str) -> str:
    """``json.dumps(parameters)`` as the AWS CLI builds it for ``aws ssm start-session --target T
    --document-name AWS-PasswordReset --reason R --parameters username=U``: members in shape order."""
    members = start_session_members()
    given = {"Target": target, "DocumentName": "AWS-PasswordReset",
             "Reason": f"ssm-doctor password reset for {USER}", "Parameters": {"username": [USER]}}
    return json.dumps({name: given[name] for name in members if name in given})


def cli_response(session: dict[str, Any]) -> str:
    return json.dumps({"SessionId": session["SessionId"], "TokenValue": session["TokenValue"],
                       "StreamUrl": session["StreamUrl"]})


def run_piped(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """stdin on a pseudo-terminal, stdout and stderr captured apart (a script that reads the JSON report)."""
    master, slave = os.openpty()
    try:
        return subprocess.run([sys.executable, "-m", "doctor.cli", *args], stdin=slave, capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=120)
    finally:
        os.close(slave)
        os.close(master)


def sessions_of(sandbox: Any, target: str) -> list[dict[str, Any]]:
    ssm = boto3.client("ssm", region_name="us-east-1", endpoint_url=sandbox.endpoint_url)
    found: list[dict[str, Any]] = []
    for state in ("Active", "History"):
        found += ssm.describe_sessions(State=state, Filters=[{"key": "Target", "value": target}])["Sessions"]
    return found


# --- the request JSON, as the CLI writes it ---------------------------------------------------------


def test_request_keys_follow_the_start_session_input_shape() -> None:
    members = start_session_members()
    request = start_session_request("i-0123456789abcdef0", USER)
    assert list(request) == [m for m in members if m in request]
    assert request["Parameters"] == {"username": [USER]} and request["DocumentName"] == "AWS-PasswordReset"
    assert 1 <= len(request["Reason"]) <= 256


@pytest.mark.parametrize("version, in_env", [("1.2.497.0", False), ("1.2.497.1", True)])
def test_argv_is_byte_for_byte_the_clis(sandbox_http: Any, talking_plugin: Path, record: Path, version: str,
                                        in_env: bool) -> None:
    node = str(sandbox_http.targets["healthy-linux"])
    res = run_piped(["pwreset", node, "--reset", "--user", USER, "--yes"],
                    outside_env(sandbox_http, talking_plugin, record, FAKE_PLUGIN_VERSION=version))
    assert res.returncode == 0, res.stderr
    [call] = recorded(record)
    argv, env = call["argv"], call["env"]
    session = json.loads(env[ENV_VAR] if in_env else argv[1])
    expected_first = ENV_VAR if in_env else cli_response(session)
    assert argv[1:] == [expected_first, "us-east-1", "StartSession", "", cli_request(node), sandbox_http.endpoint_url]
    if in_env:
        assert env[ENV_VAR] == cli_response(session)
    else:
        assert ENV_VAR not in env
    assert session["TokenValue"] not in res.stdout + res.stderr


# --- without a terminal: a usage error, said before anything else -----------------------------------


def test_no_terminal_is_one_line_and_no_aws_call(sandbox_http: Any, talking_plugin: Path, record: Path) -> None:
    node = str(sandbox_http.targets["healthy-linux"])
    before = len(sessions_of(sandbox_http, node))
    proc = subprocess.run([sys.executable, "-m", "doctor.cli", "pwreset", node, "--reset", "--user", USER],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env=outside_env(sandbox_http, talking_plugin, record))
    assert proc.returncode == 2
    assert proc.stdout == ""  # no diagnosis was run or printed
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("ssm-doctor: ") and "terminal" in line
    assert len(sessions_of(sandbox_http, node)) == before
    assert recorded(record) == []


@pytest.mark.parametrize("extra", [["second-node"], ["--filter", "tag:Env=prod"]], ids=["two-targets", "filter"])
def test_reset_of_a_fleet_is_refused_before_any_diagnosis(sandbox_http: Any, talking_plugin: Path, record: Path,
                                                          extra: list[str]) -> None:
    node = str(sandbox_http.targets["healthy-linux"])
    proc = subprocess.run([sys.executable, "-m", "doctor.cli", "pwreset", node, *extra, "--reset", "--user", USER],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env=outside_env(sandbox_http, talking_plugin, record))
    assert proc.returncode == 2 and proc.stdout == ""
    [line] = proc.stderr.strip().splitlines()
    assert "exactly one target" in line
    assert recorded(record) == []


# --- the plugin's own output does not land in a report on stdout -------------------------------------


def test_plugin_output_goes_to_stderr_when_stdout_holds_the_json_report(sandbox_http: Any, talking_plugin: Path,
                                                                        record: Path) -> None:
    node = str(sandbox_http.targets["healthy-linux"])
    res = run_piped(["pwreset", node, "--reset", "--user", USER, "--yes", "--format", "json"],
                    outside_env(sandbox_http, talking_plugin, record))
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)  # nothing but the report
    assert report["targets"][0]["verdict"] == "ready"
    assert "Starting session with SessionId: from-the-plugin" in res.stderr
    [call] = recorded(record)
    assert json.loads(call["env"][ENV_VAR])["TokenValue"] not in res.stdout + res.stderr


# --- Ctrl-C typed on the controlling terminal while the plugin runs ---------------------------------------


def _spawn_on_terminal(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """Start ssm-doctor as a session leader whose controlling terminal is a new pseudo-terminal."""
    master, slave = os.openpty()

    def own_terminal() -> None:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-m", "doctor.cli", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=env, cwd=ROOT, preexec_fn=own_terminal)
    os.close(slave)
    return proc, master


def _converse(proc: subprocess.Popen[bytes], master: int, replies: dict[bytes, bytes]) -> str:
    """Read the terminal until the process ends; type each reply once when its cue appears."""
    transcript = b""
    pending = dict(replies)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the terminal has no process left
                    break
                if not chunk:
                    break
                transcript += chunk
                for cue in [c for c in pending if c in transcript]:
                    os.write(master, pending.pop(cue))
            elif proc.poll() is not None:
                break
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return transcript.decode("utf-8", "replace")


def test_ctrl_c_reaches_the_plugin_and_not_ssm_doctor(sandbox_http: Any, talking_plugin: Path,
                                                      record: Path) -> None:
    node = str(sandbox_http.targets["healthy-linux"])
    proc, master = _spawn_on_terminal(["pwreset", node, "--reset", "--user", USER],
                                      outside_env(sandbox_http, talking_plugin, record,
                                                  FAKE_PLUGIN_WAIT_FOR_CTRL_C="1", FAKE_PLUGIN_EXIT="0"))
    transcript = _converse(proc, master, {b"[y/N]": b"y\n", b"PLUGIN-WAITS-FOR-CTRL-C": b"\x03"})
    assert proc.returncode == 0, transcript
    [call] = recorded(record)
    assert call["signals"] == ["SIGINT"]  # the terminal's Ctrl-C went to the plugin ...
    assert "interrupted" not in transcript  # ... and ssm-doctor carried on to report the plugin's exit
    assert "session-manager-plugin exited with code 0" in transcript
    assert json.loads(call["env"][ENV_VAR])["TokenValue"] not in transcript


# --- interrupted after StartSession, before the plugin took over -----------------------------------------


@pytest.fixture
def sandbox_env(sandbox_http: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox_http.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    yield


@pytest.mark.parametrize("raised", [KeyboardInterrupt, RuntimeError])
def test_failure_before_the_plugin_runs_terminates_the_session(sandbox_http: Any, sandbox_env: None,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str],
                                                               raised: type[BaseException]) -> None:
    """Ctrl-C (or a crash) between StartSession and the plugin leaves no open session behind."""
    node = str(sandbox_http.targets["healthy-windows"])
    before = {s["SessionId"] for s in sessions_of(sandbox_http, node)}

    def interrupted(*args: Any, **kwargs: Any) -> str:
        raise raised

    monkeypatch.setattr(reset_module, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(subprocess, "check_output", interrupted)  # Ctrl-C during the version probe
    report = Report(targets=(TargetReport(target=node, findings=()),))
    with pytest.raises(raised):
        run_reset(Aws(region="us-east-1"), report, [Target(node, "us-east-1")], USER, yes=True, force=False,
                  profile=None)
    [new] = [s for s in sessions_of(sandbox_http, node) if s["SessionId"] not in before]
    assert new["Status"] == "Terminated"
    assert f"terminated session {new['SessionId']}" in capsys.readouterr().err
