"""Run the catalogue over targets and assemble the report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from doctor import __version__
from doctor.engine import Plan, evaluate, plan
from doctor.facts import FactStore, Target, Unavailable
from doctor.model import Caller, Report, TargetReport

Progress = Callable[[str], None]


def make_plan(only: Sequence[str] = (), skip: Sequence[str] = ()) -> Plan:
    import doctor.collectors  # noqa: F401  (registers every collector)
    from checks import specs

    return plan(specs(), only, skip)


def _peek(store: FactStore, name: str, target: Target) -> Any:
    value = store.peek(name, target, target.region)
    return None if isinstance(value, Unavailable) else value


def display_name(store: FactStore, target: Target) -> str:
    """A human name for the target from facts already collected (no extra calls)."""
    if target.name:
        return target.name
    instance = _peek(store, "ec2_instance", target)
    for tag in (instance or {}).get("Tags", []) or []:
        if tag.get("Key") == "Name" and tag.get("Value"):
            return str(tag["Value"])
    info = _peek(store, "instance_info", target)
    return str((info or {}).get("ComputerName") or (info or {}).get("Name") or "")


def diagnose_target(plan_: Plan, store: FactStore, target: Target) -> TargetReport:
    findings = evaluate(plan_, store, target)
    return TargetReport(
        target=target.id,
        findings=findings,
        name=display_name(store, target),
        kind=target.kind,
        region=target.region,
    )


def diagnose(
    plan_: Plan,
    store: FactStore,
    targets: Sequence[Target],
    invalid: Sequence[tuple[str, str]] = (),
    max_workers: int = 4,
    progress: Progress | None = None,
    redact: bool = False,
    aws_calls: Mapping[str, int] | None = None,
) -> Report:
    """Diagnose every target (in parallel for fleets); a bad target never stops the others.

    ``redact`` keeps names out of the progress lines; ``aws_calls`` replaces the run's own call counts
    (a replay reports the calls that gathered its facts).
    """
    from reports.printable import printable

    def one(target: Target) -> TargetReport:
        if progress:
            name = f" ({printable(target.name)})" if target.name and not redact else ""
            progress(f"checking {target.id}{name}"
                     + (f" in {target.region}" if target.region else " (no region set)"))
        return diagnose_target(plan_, store, target)

    if len(targets) > 1 and max_workers > 1:
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            reports = list(pool.map(one, targets))
    else:
        reports = [one(t) for t in targets]
    reports.extend(TargetReport(target=text, findings=(), error=message) for text, message in invalid)
    return Report(
        targets=tuple(reports),
        caller=caller_of(store, targets[0].region if targets else ""),
        generated_at=_now(store),
        tool_version=__version__,
        aws_calls=dict(aws_calls) if aws_calls is not None else dict(store.aws.calls) if store.aws is not None else {},
    )


def caller_of(store: FactStore, region: str) -> Caller:
    value = store.peek("credentials", None, region)
    if isinstance(value, dict):
        return Caller(str(value.get("arn") or ""), str(value.get("account") or ""),
                      region or str(value.get("region") or ""))
    return Caller(region=region)


def _now(store: FactStore) -> str:
    value = store.peek("now", None, "")
    if isinstance(value, str):
        return value
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
