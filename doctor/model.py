"""The result model: statuses, what a check returns, findings and reports.

Everything here is a small frozen dataclass with no AWS knowledge. Renderers see only these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

SCHEMA = "ssm-doctor/report/v1"


class Status(str, Enum):
    """The outcome of one check for one target (SPEC §4)."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    UNKNOWN = "unknown"
    ERROR = "error"

    @property
    def holds(self) -> bool:
        """True when the condition holds, so checks that require this one may run."""
        return self in (Status.PASS, Status.WARN)

    @property
    def blocks(self) -> bool:
        """True when this status keeps the target from being ready."""
        return self in (Status.FAIL, Status.UNKNOWN, Status.ERROR)


class Verdict(str, Enum):
    """Per-target verdict (SPEC §4)."""

    READY = "ready"
    BLOCKED = "blocked"
    INCOMPLETE = "incomplete"
    INVALID = "invalid"  # the target itself could not be resolved (fleet mode only)


# Exit codes (SPEC §4).
EXIT_READY = 0
EXIT_BLOCKED = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130

_EXIT_FOR_VERDICT = {
    Verdict.READY: EXIT_READY,
    Verdict.BLOCKED: EXIT_BLOCKED,
    Verdict.INCOMPLETE: EXIT_INCOMPLETE,
    Verdict.INVALID: EXIT_USAGE,
}
# Which exit code wins when targets disagree: the worst one.
_EXIT_SEVERITY = [EXIT_READY, EXIT_INCOMPLETE, EXIT_BLOCKED, EXIT_USAGE, EXIT_INTERNAL]


@dataclass(frozen=True)
class Fix:
    """Remediation: ordered steps in prose and paste-ready commands."""

    steps: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.steps or self.commands)

    def to_json(self) -> dict[str, list[str]]:
        return {"steps": list(self.steps), "commands": list(self.commands)}


def fix(*steps: str, commands: Sequence[str] = ()) -> Fix:
    """Build a :class:`Fix` from steps and commands."""
    return Fix(tuple(steps), tuple(commands))


@dataclass(frozen=True)
class Outcome:
    """What a check function returns; the engine turns it into a :class:`Finding`."""

    status: Status
    summary: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    fix: Fix = Fix()
    missing: tuple[str, ...] = ()
    not_applicable: bool = False


def passed(summary: str, evidence: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome(Status.PASS, summary, dict(evidence or {}))


def warned(summary: str, evidence: Mapping[str, Any] | None = None, fix: Fix = Fix()) -> Outcome:
    return Outcome(Status.WARN, summary, dict(evidence or {}), fix)


def failed(summary: str, evidence: Mapping[str, Any] | None = None, fix: Fix = Fix()) -> Outcome:
    return Outcome(Status.FAIL, summary, dict(evidence or {}), fix)


def unknown(
    summary: str, missing: Sequence[str] = (), evidence: Mapping[str, Any] | None = None, fix: Fix = Fix()
) -> Outcome:
    """The condition could not be decided from the data at hand; names what was missing."""
    return Outcome(Status.UNKNOWN, summary, dict(evidence or {}), fix, tuple(missing))


def not_applicable(reason: str) -> Outcome:
    """The check does not apply to this target; it is skipped without blocking its dependents."""
    return Outcome(Status.SKIP, reason, not_applicable=True)


@dataclass(frozen=True)
class Finding:
    """One check's result for one target, as it appears in reports."""

    id: str
    title: str
    status: Status
    summary: str
    problem: str
    doc_url: str
    area: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remediation: Fix = Fix()
    requires: tuple[str, ...] = ()
    blocked_by: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "summary": self.summary,
            "problem": self.problem,
            "doc_url": self.doc_url,
            "area": self.area,
            "evidence": dict(self.evidence),
            "remediation": self.remediation.to_json(),
            "requires": list(self.requires),
            "blocked_by": list(self.blocked_by),
            "missing": list(self.missing),
        }
        if self.reason:
            data["reason"] = self.reason
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        rem = data.get("remediation") or {}
        return cls(
            id=data["id"],
            title=data.get("title", ""),
            status=Status(data["status"]),
            summary=data.get("summary", ""),
            problem=data.get("problem", ""),
            doc_url=data.get("doc_url", ""),
            area=data.get("area", data["id"].split(".")[0]),
            evidence=dict(data.get("evidence") or {}),
            remediation=Fix(tuple(rem.get("steps", ())), tuple(rem.get("commands", ()))),
            requires=tuple(data.get("requires", ())),
            blocked_by=tuple(data.get("blocked_by", ())),
            missing=tuple(data.get("missing", ())),
            reason=data.get("reason", ""),
        )


def verdict_of(findings: Sequence[Finding]) -> Verdict:
    """blocked if anything failed; incomplete if nothing failed but something is unknown or crashed."""
    statuses = {f.status for f in findings}
    if Status.FAIL in statuses:
        return Verdict.BLOCKED
    if statuses & {Status.UNKNOWN, Status.ERROR}:
        return Verdict.INCOMPLETE
    return Verdict.READY


#: Failures that usually follow from another check's: when both are root causes, the other is the one to fix
#: first (an agent with no usable role or no route to the endpoints never registers, goes offline, or cannot open
#: Session Manager channels).
LIKELY_CONSEQUENCE_OF: dict[str, tuple[str, ...]] = {
    "node.registered": ("node.identity", "node.role-permissions", "network.path"),
    "node.online": ("node.identity", "node.role-permissions", "network.path"),
    "node.connectable": ("node.role-permissions", "network.path", "node.identity"),
}


def root_causes_of(findings: Sequence[Finding]) -> tuple[str, ...]:
    """Checks that did not hold although every prerequisite did: the failures, then the unknowns."""
    order = {Status.FAIL: 0, Status.ERROR: 1, Status.UNKNOWN: 2}
    causes = [(order[f.status], i, f.id) for i, f in enumerate(findings) if f.status in order]
    return tuple(cid for _, _, cid in sorted(causes))


@dataclass(frozen=True)
class TargetReport:
    """Everything found for one target."""

    target: str
    findings: tuple[Finding, ...]
    name: str = ""
    kind: str = ""
    region: str = ""
    error: str = ""

    @property
    def verdict(self) -> Verdict:
        if self.error:
            return Verdict.INVALID
        return verdict_of(self.findings)

    @property
    def root_causes(self) -> tuple[str, ...]:
        return root_causes_of(self.findings)

    def consequence_of(self, check_id: str) -> tuple[str, ...]:
        """The other root causes that probably explain this one (see ``LIKELY_CONSEQUENCE_OF``)."""
        causes = set(self.root_causes)
        if check_id not in causes:
            return ()
        return tuple(c for c in LIKELY_CONSEQUENCE_OF.get(check_id, ()) if c in causes)

    def causes_in_fix_order(self) -> tuple[str, ...]:
        """Root causes as a reader should fix them: those that explain others before those they explain."""
        causes = self.root_causes
        return tuple(sorted(causes, key=lambda c: (bool(self.consequence_of(c)), causes.index(c))))

    def finding(self, check_id: str) -> Finding:
        for f in self.findings:
            if f.id == check_id:
                return f
        raise KeyError(check_id)

    def reset_command(self) -> str:
        """The command that performs the reset, with the user name checked in this run (else NAME)."""
        import shlex

        user = "NAME"
        for f in self.findings:
            if f.id == "input.username" and f.status.holds and isinstance(f.evidence.get("username"), str):
                user = shlex.quote(f.evidence["username"])
        region = f" --region {self.region}" if self.region else ""
        return f"ssm-doctor pwreset {self.target}{region} --reset --user {user}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "target": self.target,
            "name": self.name,
            "kind": self.kind,
            "region": self.region,
            "verdict": self.verdict.value,
            "root_causes": list(self.root_causes),
            "checks": [f.to_json() for f in self.findings],
        }
        if self.error:
            data["error"] = self.error
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TargetReport:
        return cls(
            target=data["target"],
            findings=tuple(Finding.from_json(c) for c in data.get("checks", ())),
            name=data.get("name", ""),
            kind=data.get("kind", ""),
            region=data.get("region", ""),
            error=data.get("error", ""),
        )


@dataclass(frozen=True)
class Caller:
    arn: str = ""
    account: str = ""
    region: str = ""


@dataclass(frozen=True)
class Report:
    """The whole run: one or more targets, the caller, and when it was made."""

    targets: tuple[TargetReport, ...]
    caller: Caller = Caller()
    generated_at: str = ""
    tool_version: str = ""
    aws_calls: Mapping[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, int]:
        counts = {"targets": len(self.targets), "ready": 0, "blocked": 0, "incomplete": 0}
        for t in self.targets:
            key = t.verdict.value
            counts[key] = counts.get(key, 0) + 1
        return counts

    @property
    def exit_code(self) -> int:
        codes = [_EXIT_FOR_VERDICT[t.verdict] for t in self.targets] or [EXIT_READY]
        return max(codes, key=_EXIT_SEVERITY.index)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": SCHEMA,
            "tool": {"name": "ssm-doctor", "version": self.tool_version},
            "generated_at": self.generated_at,
            "caller": {"arn": self.caller.arn, "account": self.caller.account, "region": self.caller.region},
            "summary": self.summary,
            "targets": [t.to_json() for t in self.targets],
        }
        if self.aws_calls:
            data["aws_calls"] = dict(sorted(self.aws_calls.items()))
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not an ssm-doctor report (schema {data.get('schema')!r}, expected {SCHEMA!r})")
        caller = data.get("caller") or {}
        return cls(
            targets=tuple(TargetReport.from_json(t) for t in data.get("targets", ())),
            caller=Caller(caller.get("arn", ""), caller.get("account", ""), caller.get("region", "")),
            generated_at=data.get("generated_at", ""),
            tool_version=(data.get("tool") or {}).get("version", ""),
            aws_calls=dict(data.get("aws_calls") or {}),
        )
