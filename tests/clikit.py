"""Run the CLI as a subprocess against a sandbox served over HTTP, the way a user runs it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FAKE_PLUGIN = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys
    record = os.environ.get("FAKE_PLUGIN_RECORD")
    if sys.argv[1:] == ["--version"]:
        print("{version}")
        sys.exit(0)
    if record:
        with open(record, "a") as fh:
            fh.write(json.dumps({{"argv": sys.argv, "env": dict(os.environ)}}) + "\\n")
    sys.exit(int(os.environ.get("FAKE_PLUGIN_EXIT", "0")))
    """
)


def make_fake_plugin(directory: Path, version: str = "1.2.650.0") -> Path:
    """A session-manager-plugin that answers --version and records how it was called."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "session-manager-plugin"
    path.write_text(FAKE_PLUGIN.format(python=sys.executable, version=version))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)  # type: ignore[no-any-return]

    def target(self, index: int = 0) -> dict[str, Any]:
        return self.json()["targets"][index]  # type: ignore[no-any-return]

    def status(self, check_id: str, index: int = 0) -> str:
        for c in self.target(index)["checks"]:
            if c["id"] == check_id:
                return str(c["status"])
        raise KeyError(check_id)

    def check(self, check_id: str, index: int = 0) -> dict[str, Any]:
        for c in self.target(index)["checks"]:
            if c["id"] == check_id:
                return c  # type: ignore[no-any-return]
        raise KeyError(check_id)


def base_env(endpoint_url: str, plugin_dir: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SSM_SANDBOX"))}
    env.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        SSM_DOCTOR_QUIET="1",
        NO_COLOR="1",
    )
    path = "/usr/bin:/bin"
    env["PATH"] = f"{plugin_dir}:{path}" if plugin_dir else path
    return env


def run(args: list[str], env: dict[str, str], stdin: str | None = None, timeout: int = 120) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "doctor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
