"""Performing the reset: StartSession with AWS-PasswordReset, handed to session-manager-plugin
exactly as the AWS CLI hands it over (``awscli/customizations/sessionmanager.py``).

The new password is typed into the plugin, which encrypts it for the node; ssm-doctor never
sees it. The session token goes to the plugin only (environment variable or argv, by plugin
version) and is never printed, logged or stored.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from doctor.model import EXIT_BLOCKED, EXIT_INTERNAL, EXIT_USAGE, Report, Verdict
from doctor.versions import PLUGIN_NAME, plugin_uses_env_var

if TYPE_CHECKING:
    from doctor.aws import Aws
    from doctor.facts import Target

DOCUMENT = "AWS-PasswordReset"
ENV_VAR = "AWS_SSM_START_SESSION_RESPONSE"
PLUGIN_VERSION_TIMEOUT = 15.0
PLUGIN_INSTALL_URL = (
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"
)


NO_TERMINAL = ("--reset needs a terminal: session-manager-plugin asks for the new password interactively. "
               "Run it from an interactive shell (not a pipe or CI job).")


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def _say(message: str, stream: TextIO | None = None) -> None:
    print(message, file=stream or sys.stderr, flush=True)


@contextmanager
def ignore_user_entered_signals() -> Iterator[None]:
    """Let the plugin handle Ctrl-C (and Ctrl-\\, Ctrl-Z) while it runs, as the AWS CLI does."""
    names = ("SIGINT", "SIGQUIT", "SIGTSTP")
    saved: list[tuple[int, Any]] = []
    for name in names:
        sig = getattr(signal, name, None)
        if sig is not None:
            saved.append((sig, signal.signal(sig, signal.SIG_IGN)))
    try:
        yield
    finally:
        for sig, handler in saved:
            signal.signal(sig, handler)


def plugin_command() -> str | None:
    """How to invoke the plugin: its bare name when it is on PATH (as the CLI does), else its full path."""
    from doctor.collectors.local import find_plugin

    path, on_path, _ = find_plugin()
    if path is None:
        return None
    return PLUGIN_NAME if on_path else path


def build_plugin_call(
    plugin: str,
    plugin_version: str,
    response: dict[str, Any],
    region: str,
    profile: str | None,
    request: dict[str, Any],
    endpoint_url: str,
) -> tuple[list[str], dict[str, str]]:
    """The plugin's argv and environment, as the AWS CLI builds them."""
    session_json = json.dumps(
        {"SessionId": response["SessionId"], "TokenValue": response["TokenValue"], "StreamUrl": response["StreamUrl"]}
    )
    env = dict(os.environ)
    first = session_json
    if plugin_uses_env_var(plugin_version):
        env[ENV_VAR] = session_json
        first = ENV_VAR
    argv = [plugin, first, region, "StartSession", profile or "", json.dumps(request), endpoint_url]
    return argv, env


def start_session_request(target_id: str, user: str) -> dict[str, Any]:
    """The StartSession parameters, keys in the order of the API's input shape (Target, DocumentName,
    Reason, Parameters): the AWS CLI builds its request in that order, and the plugin gets it as JSON."""
    return {
        "Target": target_id,
        "DocumentName": DOCUMENT,
        "Reason": f"ssm-doctor password reset for {user}"[:256],
        "Parameters": {"username": [user]},
    }


def confirm(question: str) -> bool:
    _say(question + " [y/N] ")
    try:
        answer = sys.stdin.readline()
    except (OSError, KeyboardInterrupt):
        return False
    return answer.strip().lower() in ("y", "yes")


def run_reset(
    aws: Aws,
    report: Report,
    targets: Sequence[Target],
    user: str,
    *,
    yes: bool,
    force: bool,
    profile: str | None,
) -> int:
    """Diagnosis has run; refuse, confirm, start the session and hand it to the plugin."""
    if len(report.targets) != 1 or len(targets) != 1:
        _say("ssm-doctor: --reset takes exactly one target")
        return EXIT_USAGE
    target, result = targets[0], report.targets[0]
    if result.verdict is not Verdict.READY:
        causes = ", ".join(result.root_causes) or result.verdict.value
        if not force:
            _say(f"ssm-doctor: not resetting: {target.id} is {result.verdict.value} ({causes}). "
                 "Fix the root causes above, or pass --force to try anyway.")
            return EXIT_BLOCKED
        _say(f"ssm-doctor: warning: {target.id} is {result.verdict.value} ({causes}); continuing because of --force")
    if not stdin_is_terminal():
        _say(f"ssm-doctor: {NO_TERMINAL}")
        return EXIT_USAGE

    account = report.caller.account or "?"
    name = f" ({result.name})" if result.name else ""
    _say(f"About to reset the password of user {user!r} on {target.id}{name}\n"
         f"  region {target.region} · account {account} · document {DOCUMENT}\n"
         f"  ssm:StartSession, then session-manager-plugin asks you for the new password twice.")
    if not yes and not confirm("Start the password reset session?"):
        _say("ssm-doctor: cancelled; nothing was changed")
        return EXIT_BLOCKED

    client = aws.client("ssm", target.region)
    request = start_session_request(target.id, user)
    try:
        response = aws.retrying(lambda: client.start_session(**request))
    except Exception as exc:
        from doctor.aws import unavailable_from

        gone = unavailable_from("ssm:StartSession", exc)
        _say(f"ssm-doctor: StartSession failed ({gone.code}): {gone.message}")
        _say(f"ssm-doctor: for what this means, run: ssm-doctor explain {json.dumps(gone.code + ' ' + gone.message)}")
        return EXIT_BLOCKED
    session_id = response["SessionId"]
    _say(f"Started session {session_id}")

    def terminate(reason: str) -> None:
        try:
            aws.retrying(lambda: client.terminate_session(SessionId=session_id))
            _say(f"ssm-doctor: {reason}; terminated session {session_id}")
        except Exception as exc:
            from doctor.aws import unavailable_from

            _say(f"ssm-doctor: {reason}; could not terminate session {session_id}: "
                 f"{unavailable_from('ssm:TerminateSession', exc).describe()}")

    try:
        return _hand_off(client, response, request, profile, session_id, terminate)
    except KeyboardInterrupt:  # Ctrl-C before the plugin took over: leave no session behind
        terminate("interrupted before session-manager-plugin took over")
        raise
    except Exception:
        terminate("the session could not be handed to session-manager-plugin")
        raise


def _plugin_stdout() -> int | None:
    """Where the plugin writes: the terminal it inherits, unless stdout is a pipe or a file (it may hold a
    JSON report); then stderr, so the session's prompts are seen and the report stays clean."""
    try:
        if sys.stdout.isatty():
            return None
        sys.stdout.flush()
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _hand_off(
    client: Any,
    response: dict[str, Any],
    request: dict[str, Any],
    profile: str | None,
    session_id: str,
    terminate: Callable[[str], None],
) -> int:
    """Probe the plugin's version and run it with the CLI's argv; its exit code."""
    plugin = plugin_command() or PLUGIN_NAME
    try:
        version_out = subprocess.check_output([plugin, "--version"], text=True, stdin=subprocess.DEVNULL,
                                              timeout=PLUGIN_VERSION_TIMEOUT)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            terminate(f"session-manager-plugin was not found (install it: {PLUGIN_INSTALL_URL})")
            return EXIT_BLOCKED
        terminate(f"session-manager-plugin could not be started ({exc.strerror})")
        return EXIT_BLOCKED
    except subprocess.CalledProcessError as exc:
        terminate(f"session-manager-plugin --version failed with exit code {exc.returncode}")
        return EXIT_BLOCKED
    except subprocess.TimeoutExpired:
        terminate(f"session-manager-plugin --version gave no answer in {PLUGIN_VERSION_TIMEOUT:g} s")
        return EXIT_BLOCKED

    argv, env = build_plugin_call(
        plugin, version_out, response, client.meta.region_name, profile, request, client.meta.endpoint_url
    )
    try:
        with ignore_user_entered_signals():
            code = subprocess.call(argv, env=env, stdout=_plugin_stdout())
    except OSError as exc:
        terminate(f"session-manager-plugin could not be started ({exc.strerror})")
        return EXIT_INTERNAL
    if code < 0:  # killed by a signal: report it the way a shell does
        _say(f"Session {session_id} ended; session-manager-plugin was killed by signal {-code}")
        return 128 - code
    _say(f"Session {session_id} ended; session-manager-plugin exited with code {code}")
    return code
