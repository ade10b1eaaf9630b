"""The reset: `pwreset --reset` as a subprocess against the HTTP sandbox, with a fake plugin on PATH.

The fake plugin records its argv and environment; the tests compare them with what the AWS CLI
passes (``awscli/customizations/sessionmanager.py``) on both sides of plugin 1.2.497.0, and check
that the session token never reaches ssm-doctor's own output or reports.
"""

from __future__ import annotations

import json
import os
import re
import select
import stat
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from doctor.reset import ENV_VAR, build_plugin_call
from tests import clikit

ROOT = Path(__file__).resolve().parent.parent
SESSION_KEYS = {"SessionId", "TokenValue", "StreamUrl"}
RESPONSE = {
    "SessionId": "moto-0123456789abcdef0",
    "TokenValue": "secret-token-value",
    "StreamUrl": "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/moto-0123456789abcdef0",
    "ResponseMetadata": {"RequestId": "r-1"},
}
REQUEST = {"Target": "i-0123456789abcdef0", "DocumentName": "AWS-PasswordReset",
           "Parameters": {"username": ["ec2-user"]}}

SIGINT_PLUGIN = textwrap.dedent(
    """\
    #!{python}
    import os, signal, sys, time
    if sys.argv[1:] == ["--version"]:
        print("1.2.650.0")
        sys.exit(0)
    os.kill(os.getppid(), signal.SIGINT)
    time.sleep(0.5)
    sys.exit(0)
    """
)


# --- unit: build_plugin_call -------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")


@pytest.mark.parametrize("plugin_version", ["1.2.497.0", "1.2.497.0\n", " 1.2.0.0 ", "1.1.17.0", "garbage", ""])
def test_build_plugin_call_argv_for_old_plugins(clean_env: None, plugin_version: str) -> None:
    argv, env = build_plugin_call("session-manager-plugin", plugin_version, RESPONSE, "us-east-1", None, REQUEST,
                                  "https://ssm.us-east-1.amazonaws.com")
    assert json.loads(argv[1]) == {k: RESPONSE[k] for k in SESSION_KEYS}
    assert argv[2:5] == ["us-east-1", "StartSession", ""]
    assert json.loads(argv[5]) == REQUEST
    assert argv[6] == "https://ssm.us-east-1.amazonaws.com"
    assert len(argv) == 7
    assert ENV_VAR not in env
    assert env["AWS_ACCESS_KEY_ID"] == "AKIDEXAMPLE"  # the environment is passed through


@pytest.mark.parametrize("plugin_version", ["1.2.497.1", "1.2.536.0", "1.2.650.0\n", "1.3"])
def test_build_plugin_call_env_var_for_new_plugins(clean_env: None, plugin_version: str) -> None:
    argv, env = build_plugin_call("/opt/smp", plugin_version, RESPONSE, "eu-west-1", "ops", REQUEST,
                                  "http://127.0.0.1:5000")
    assert argv == ["/opt/smp", ENV_VAR, "eu-west-1", "StartSession", "ops", json.dumps(REQUEST),
                    "http://127.0.0.1:5000"]
    assert json.loads(env[ENV_VAR]) == {k: RESPONSE[k] for k in SESSION_KEYS}
    assert all(RESPONSE["TokenValue"] not in a for a in argv)


# --- helpers for the subprocess tests ---------------------------------------------------------------


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    calls: list[dict[str, Any]]

    @property
    def session_id(self) -> str:
        found = re.search(r"Started session (\S+)", self.stderr)
        assert found, self.stderr
        return found.group(1)


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("plugins")
    dirs = {version: base / version for version in ("1.2.497.0", "1.2.536.0")}
    for version, directory in dirs.items():
        clikit.make_fake_plugin(directory, version)
    sigint = base / "sigint"
    sigint.mkdir()
    script = sigint / "session-manager-plugin"
    script.write_text(SIGINT_PLUGIN.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    dirs["sigint"] = sigint
    return dirs


def env_for(sandbox: Any, plugin_dir: Path | None, record: Path, **extra: str) -> dict[str, str]:
    env = clikit.base_env(sandbox.endpoint_url, plugin_dir)
    env["FAKE_PLUGIN_RECORD"] = str(record)
    env.update(extra)
    return env


def recorded(record: Path) -> list[dict[str, Any]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines() if line.strip()]


def run_with_tty(args: list[str], env: dict[str, str], record: Path) -> Run:
    """stdin on a pseudo-terminal (as from an interactive shell), stdout and stderr captured apart."""
    master, slave = os.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "doctor.cli", *args], stdin=slave, capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=120)
    finally:
        os.close(slave)
        os.close(master)
    return Run(proc.returncode, proc.stdout, proc.stderr, recorded(record))


def run_in_pty(args: list[str], env: dict[str, str], record: Path, answer: str | None) -> Run:
    """Everything on a pseudo-terminal; type ``answer`` when the confirmation prompt appears."""
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "doctor.cli", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=env, cwd=ROOT)
    os.close(slave)
    transcript = b""
    answered = False
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: every process holding the terminal has gone
                    chunk = b""
                if not chunk:
                    break
                transcript += chunk
                if answer is not None and not answered and b"[y/N]" in transcript:
                    os.write(master, answer.encode() + b"\n")
                    answered = True
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    text = transcript.decode("utf-8", "replace")
    return Run(code, text, text, recorded(record))


def ssm(sandbox: Any) -> Any:
    return boto3.client("ssm", region_name="us-east-1", endpoint_url=sandbox.endpoint_url)


def sessions_on(sandbox: Any, target: str) -> list[dict[str, Any]]:
    client = ssm(sandbox)
    found: list[dict[str, Any]] = []
    for state in ("Active", "History"):
        found += client.describe_sessions(State=state, Filters=[{"key": "Target", "value": target}])["Sessions"]
    return found


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / "plugin-calls.jsonl"


@pytest.fixture
def healthy(sandbox_http: Any) -> str:
    return str(sandbox_http.targets["healthy-linux"])


def reset_args(node: str, *extra: str) -> list[str]:
    return ["pwreset", node, "--reset", "--user", "ec2-user", *extra]


# --- the hand-off ---------------------------------------------------------------------------------


def test_plugin_1_2_497_gets_the_response_in_argv(sandbox_http: Any, plugins: dict[str, Path], record: Path,
                                                  healthy: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    res = run_with_tty(reset_args(healthy, "--yes", "--output", str(report)),
                       env_for(sandbox_http, plugins["1.2.497.0"], record), record)
    assert res.code == 0, res.stderr
    [call] = res.calls
    argv, env = call["argv"], call["env"]
    response = json.loads(argv[1])
    assert set(response) == SESSION_KEYS
    assert response["SessionId"] == res.session_id
    assert argv[2:5] == ["us-east-1", "StartSession", ""]
    request = json.loads(argv[5])
    assert request["Target"] == healthy
    assert request["DocumentName"] == "AWS-PasswordReset"
    assert request["Parameters"] == {"username": ["ec2-user"]}
    assert argv[6] == sandbox_http.endpoint_url
    assert len(argv) == 7
    assert ENV_VAR not in env
    token = response["TokenValue"]
    assert token and token not in res.stdout and token not in res.stderr
    assert token not in report.read_text()
    [session] = [s for s in sessions_on(sandbox_http, healthy) if s["SessionId"] == res.session_id]
    assert session["DocumentName"] == "AWS-PasswordReset"


def test_plugin_1_2_536_gets_the_response_in_the_environment(sandbox_http: Any, plugins: dict[str, Path],
                                                             record: Path, healthy: str) -> None:
    res = run_with_tty(reset_args(healthy, "--yes", "--format", "json"),
                       env_for(sandbox_http, plugins["1.2.536.0"], record), record)
    assert res.code == 0, res.stderr
    [call] = res.calls
    argv, env = call["argv"], call["env"]
    assert argv[1] == "AWS_SSM_START_SESSION_RESPONSE"
    response = json.loads(env[ENV_VAR])
    assert set(response) == SESSION_KEYS
    assert response["SessionId"] == res.session_id
    assert argv[2:5] == ["us-east-1", "StartSession", ""]
    assert json.loads(argv[5])["Parameters"] == {"username": ["ec2-user"]}
    assert argv[6] == sandbox_http.endpoint_url
    token = response["TokenValue"]
    assert all(token not in a for a in argv)  # kept out of the process list
    assert token not in res.stdout and token not in res.stderr
    assert json.loads(res.stdout)["targets"][0]["verdict"] == "ready"


def test_profile_is_passed_to_the_plugin(sandbox_http: Any, plugins: dict[str, Path], record: Path, healthy: str,
                                         tmp_path: Path) -> None:
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[profile sandbox]\nregion = us-east-1\n")
    credentials.write_text("[sandbox]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = env_for(sandbox_http, plugins["1.2.536.0"], record, AWS_CONFIG_FILE=str(config),
                  AWS_SHARED_CREDENTIALS_FILE=str(credentials))
    res = run_with_tty(reset_args(healthy, "--yes", "--profile", "sandbox"), env, record)
    assert res.code == 0, res.stderr
    assert res.calls[0]["argv"][4] == "sandbox"


def test_plugin_exit_code_is_returned(sandbox_http: Any, plugins: dict[str, Path], record: Path,
                                      healthy: str) -> None:
    res = run_with_tty(reset_args(healthy, "--yes"),
                       env_for(sandbox_http, plugins["1.2.536.0"], record, FAKE_PLUGIN_EXIT="7"), record)
    assert res.code == 7
    assert len(res.calls) == 1
    assert "exited with code 7" in res.stderr


def test_sigint_is_left_to_the_plugin(sandbox_http: Any, plugins: dict[str, Path], record: Path,
                                      healthy: str) -> None:
    res = run_with_tty(reset_args(healthy, "--yes"), env_for(sandbox_http, plugins["sigint"], record), record)
    assert res.code == 0, res.stderr
    assert "interrupted" not in res.stderr


def test_missing_plugin_with_force_terminates_the_session(sandbox_http: Any, record: Path, healthy: str) -> None:
    res = run_with_tty(reset_args(healthy, "--yes", "--force"), env_for(sandbox_http, None, record), record)
    assert res.code == 1
    assert "not found" in res.stderr and f"terminated session {res.session_id}" in res.stderr
    history = ssm(sandbox_http).describe_sessions(
        State="History", Filters=[{"key": "SessionId", "value": res.session_id}])["Sessions"]
    assert [s["Status"] for s in history] == ["Terminated"]
    assert "Traceback" not in res.stderr


# --- refusals ---------------------------------------------------------------------------------------


def test_non_ready_verdict_refuses_without_starting_a_session(sandbox_http: Any, plugins: dict[str, Path],
                                                              record: Path) -> None:
    node = str(sandbox_http.targets["old-agent"])
    before = sessions_on(sandbox_http, node)
    res = run_with_tty(reset_args(node, "--yes"), env_for(sandbox_http, plugins["1.2.536.0"], record), record)
    assert res.code == 1
    assert "not resetting" in res.stderr and "agent.version" in res.stderr
    assert sessions_on(sandbox_http, node) == before
    assert res.calls == []


def test_no_terminal_exits_2_with_one_line(sandbox_http: Any, plugins: dict[str, Path], record: Path,
                                           healthy: str) -> None:
    before = len(sessions_on(sandbox_http, healthy))
    res = clikit.run(reset_args(healthy, "--yes"), env_for(sandbox_http, plugins["1.2.536.0"], record), stdin="")
    assert res.code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "terminal" in lines[0]
    assert len(sessions_on(sandbox_http, healthy)) == before
    assert recorded(record) == []


@pytest.mark.parametrize("narrowing", [["--skip", "agent.version"], ["--only", "input.username"]])
def test_reset_needs_the_whole_diagnosis(sandbox_http: Any, plugins: dict[str, Path], record: Path, healthy: str,
                                         narrowing: list[str]) -> None:
    res = clikit.run(["pwreset", healthy, "--reset", "--user", "ec2-user", "--yes", *narrowing],
                     env_for(sandbox_http, plugins["1.2.536.0"], record), stdin="")
    assert res.code == 2 and "--only/--skip" in res.stderr and "Traceback" not in res.stderr
    assert not record.exists() or record.read_text() == ""


def test_reset_needs_user(sandbox_http: Any, plugins: dict[str, Path], record: Path, healthy: str) -> None:
    res = clikit.run(["pwreset", healthy, "--reset"], env_for(sandbox_http, plugins["1.2.536.0"], record), stdin="")
    assert res.code == 2 and "--user" in res.stderr and "Traceback" not in res.stderr


# --- the confirmation prompt, on a pseudo-terminal ------------------------------------------------


def test_answer_no_cancels(sandbox_http: Any, plugins: dict[str, Path], record: Path, healthy: str) -> None:
    before = len(sessions_on(sandbox_http, healthy))
    res = run_in_pty(reset_args(healthy), env_for(sandbox_http, plugins["1.2.536.0"], record), record, "n")
    assert "Start the password reset session? [y/N]" in res.stdout
    assert "cancelled" in res.stdout
    assert res.code != 0
    assert res.calls == []
    assert len(sessions_on(sandbox_http, healthy)) == before


def test_answer_yes_starts_the_plugin(sandbox_http: Any, plugins: dict[str, Path], record: Path,
                                      healthy: str) -> None:
    res = run_in_pty(reset_args(healthy), env_for(sandbox_http, plugins["1.2.536.0"], record), record, "y")
    assert res.code == 0, res.stdout
    assert "About to reset the password of user 'ec2-user'" in res.stdout
    assert len(res.calls) == 1
    token = json.loads(res.calls[0]["env"][ENV_VAR])["TokenValue"]
    assert token not in res.stdout


def test_yes_flag_skips_the_prompt(sandbox_http: Any, plugins: dict[str, Path], record: Path, healthy: str) -> None:
    res = run_in_pty(reset_args(healthy, "--yes"), env_for(sandbox_http, plugins["1.2.536.0"], record), record, None)
    assert res.code == 0, res.stdout
    assert "[y/N]" not in res.stdout
    assert len(res.calls) == 1

