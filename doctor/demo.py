"""`ssm-doctor demo`: the real pipeline against the built-in sandbox fleet, in-process.

Nothing here is canned: the sandbox is moto plus the Systems Manager operations it lacks,
seeded with a fleet of nodes in different states; boto3, the collectors, the check graph and the
renderers are the ones a real run uses. The caller's machine is simulated too: a stand-in
``session-manager-plugin`` (which only answers ``--version``) is put first on PATH, so the
local check reflects the sandbox rather than this machine.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STANDIN_PLUGIN_VERSION = "1.2.650.0"

_STANDIN = """#!{python}
# Stand-in session-manager-plugin for the ssm-doctor sandbox: it has no real node to talk to.
import sys
if sys.argv[1:] == ["--version"]:
    print("{version}")
    sys.exit(0)
if len(sys.argv) == 1:
    print("\\nThe Session Manager plugin was installed successfully. Use the AWS CLI to start a session.\\n")
    sys.exit(0)
print("ssm-doctor sandbox: this stand-in plugin cannot open a real session.", file=sys.stderr)
sys.exit(0)
"""


@contextmanager
def standin_plugin() -> Iterator[str]:
    """Put a stand-in session-manager-plugin first on PATH for the duration."""
    with tempfile.TemporaryDirectory(prefix="ssm-doctor-sandbox-") as tmp:
        path = os.path.join(tmp, "session-manager-plugin")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(_STANDIN.format(python=sys.executable, version=STANDIN_PLUGIN_VERSION))
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        old = os.environ.get("PATH", "")
        os.environ["PATH"] = tmp + os.pathsep + old
        try:
            yield path
        finally:
            os.environ["PATH"] = old


def _redacted_progress(progress: Callable[[str], None], account: str, names: list[str]) -> Callable[[str], None]:
    """Progress lines without the account id or node names, for a redacted run (the report masks them)."""
    names = sorted((n for n in names if n), key=len, reverse=True)

    def say(message: str) -> None:
        for name in names:
            message = message.replace(f" ({name})", "")
        progress(message.replace(account, "ACCOUNT-1"))

    return say


def run_demo(
    output: str | None,
    fmt: str | None,
    verbose: bool,
    progress: Callable[[str], None] | None = None,
    user: str = "Administrator",
    redact: bool = False,
) -> int:
    """Diagnose every sandbox scenario and print (and optionally write) the fleet report."""
    try:
        from doctor.sandbox.fleet import ACCOUNT_ID, SCENARIOS
        from doctor.sandbox.server import in_process
    except ImportError as exc:
        print(f"ssm-doctor: the sandbox needs moto: pip install 'ssm-doctor[sandbox]' ({exc})", file=sys.stderr)
        return 2

    from doctor.aws import Aws
    from doctor.facts import FactStore, Options, Target
    from doctor.runner import diagnose, make_plan
    from reports import render
    from reports.text import render_fleet_summary

    if progress and redact:
        progress = _redacted_progress(progress, ACCOUNT_ID, [s.name for s in SCENARIOS])
    with in_process(seed_fleet=True) as sandbox, standin_plugin():
        if progress:
            progress(f"sandbox fleet seeded: {len(sandbox.targets)} nodes in account {ACCOUNT_ID}")
        aws = Aws(region=sandbox.region)
        targets = [Target(sandbox.targets[s.key], s.region, s.name) for s in SCENARIOS if s.key in sandbox.targets]
        store = FactStore(aws, Options(user=user))
        report = diagnose(make_plan(), store, targets, max_workers=1, progress=progress)

    if redact:
        from reports.redact import redact_report

        report = redact_report(report)
    # With --format and no --output the report is the data on stdout, and the summary goes to stderr.
    report_to_stdout = bool(fmt) and not output
    summary_stream = sys.stderr if report_to_stdout else sys.stdout
    color = summary_stream.isatty() and "NO_COLOR" not in os.environ
    titles = {sandbox.targets[s.key]: s.title for s in SCENARIOS if s.key in sandbox.targets}
    summary_stream.write(render_fleet_summary(report, titles=titles, color=color))
    if verbose:
        summary_stream.write(render(report, "text", verbose=True, color=color))
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(render(report, fmt or "json"))
        if progress:
            progress(f"wrote {output}")
    elif fmt:
        sys.stdout.write(render(report, fmt, color=color and fmt == "text"))
        sys.stdout.flush()
    calls = sum(report.aws_calls.values())
    if progress:
        progress(f"{calls} AWS read calls for {len(targets)} nodes; nothing was changed")
    return 0
