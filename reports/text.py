"""The terminal report: verdict first, root causes with their fixes, skipped checks under their cause."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from checks.problems import problem_title, problem_url
from doctor.model import Finding, Report, Status, TargetReport, Verdict
from reports.printable import printable_report, printable_value

if TYPE_CHECKING:
    from doctor.explain import Match

_MARK = {
    Status.PASS: ("✓", "green"),
    Status.WARN: ("!", "yellow"),
    Status.FAIL: ("✗", "red"),
    Status.UNKNOWN: ("?", "magenta"),
    Status.ERROR: ("‼", "red"),
    Status.SKIP: ("–", "dim"),
}
_VERDICT_STYLE = {
    Verdict.READY: "bold green",
    Verdict.BLOCKED: "bold red",
    Verdict.INCOMPLETE: "bold magenta",
    Verdict.INVALID: "bold red",
}


def render_text(report: Report, *, verbose: bool = False, color: bool = False, width: int = 100) -> str:
    report = printable_report(report)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color or "NO_COLOR" in os.environ,
        width=width,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )
    caller = report.caller
    head = f"ssm-doctor {report.tool_version}"
    if caller.arn:
        head += f" · {caller.arn}"
    if caller.region:
        head += f" · {caller.region}"
    console.print(f"[dim]{escape(head)}[/dim]")
    for target in report.targets:
        console.print()
        _target(console, target, verbose)
    console.print()
    s = report.summary
    console.print(
        f"[bold]{s['targets']} target(s):[/bold] {s['ready']} ready, {s['blocked']} blocked, "
        f"{s['incomplete']} incomplete" + (f", {s['invalid']} invalid" if s.get("invalid") else "")
    )
    return buffer.getvalue()


def _target(console: Console, t: TargetReport, verbose: bool) -> None:
    label = t.target + (f" ({t.name})" if t.name else "")
    where = f" · {t.region}" if t.region else ""
    console.print(
        f"[bold]{escape(label)}[/bold]{escape(where)} · [{_VERDICT_STYLE[t.verdict]}]{t.verdict.value.upper()}[/]"
    )
    if t.error:
        console.print(f"  [red]{escape(t.error)}[/red]")
        return
    by_id = {f.id: f for f in t.findings}
    causes = [by_id[c] for c in t.causes_in_fix_order()]
    if causes:
        console.print("  [bold]Root causes[/bold]")
        for f in causes:
            _finding_detail(console, f)
            explained = t.consequence_of(f.id)
            if explained:
                console.print(f"      [dim]Probably a consequence of {escape(', '.join(explained))}: "
                              "fix that first.[/dim]")
            blocked = [g.id for g in t.findings if f.id in g.blocked_by]
            if blocked:
                console.print(f"      [dim]Not checked because of this: {escape(', '.join(blocked))}[/dim]")
    warns = [f for f in t.findings if f.status is Status.WARN]
    if warns:
        console.print("  [bold]Warnings[/bold]")
        for f in warns:
            _finding_detail(console, f)
    other_skips = [f for f in t.findings if f.status is Status.SKIP and not f.blocked_by]
    if other_skips:
        names = ", ".join(f"{f.id} ({f.reason or f.summary})" for f in other_skips)
        console.print(f"  [dim]Skipped: {escape(names)}[/dim]")
    passes = [f for f in t.findings if f.status is Status.PASS]
    if verbose:
        if passes:
            console.print("  [bold]Passed[/bold]")
        for f in passes:
            console.print(f"    [green]✓[/green] {escape(f.id)}  {escape(f.summary)}")
    elif passes:
        console.print(f"  [dim]{len(passes)} check(s) passed (-v lists them)[/dim]")
    if t.verdict is Verdict.READY:
        console.print(f"  [green]Ready: {escape(t.reset_command())}[/green]")


def _finding_detail(console: Console, f: Finding) -> None:
    mark, style = _MARK[f.status]
    console.print(f"    [{style}]{mark}[/] [bold]{escape(f.id)}[/bold]  {escape(f.summary)}")
    if f.status is not Status.PASS and f.problem:
        url = problem_url(f.problem) if f.status is not Status.WARN else f.doc_url
        console.print(f"      [dim]Problem: {escape(problem_title(f.problem))} — {escape(url or f.doc_url)}[/dim]")
    if f.missing:
        console.print(f"      Missing: {escape(', '.join(f.missing))}")
    for step in f.remediation.steps:
        console.print(f"      • {escape(step)}")
    for command in f.remediation.commands:
        console.print(f"        [cyan]$ {escape(command)}[/cyan]")


def render_fleet_summary(
    report: Report, *, titles: dict[str, str] | None = None, color: bool = False, width: int = 120
) -> str:
    """One block per target: verdict, root causes and the first fix command."""
    report = printable_report(report)
    titles = printable_value(titles) if titles else titles
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color or "NO_COLOR" in os.environ,
                      width=width, highlight=False, emoji=False, soft_wrap=True)
    for t in report.targets:
        label = (titles or {}).get(t.target, "")
        head = f"{t.target}" + (f" ({t.name})" if t.name else "") + (f" · {t.region}" if t.region else "")
        line = f"[{_VERDICT_STYLE[t.verdict]}]{t.verdict.value.upper():<10}[/] {escape(head)}"
        if label:
            line += f"  [dim]{escape(label)}[/dim]"
        console.print(line)
        if t.error:
            console.print(f"           [red]{escape(t.error)}[/red]")
        by_id = {f.id: f for f in t.findings}
        for cid in t.causes_in_fix_order():
            f = by_id[cid]
            mark, style = _MARK[f.status]
            console.print(f"           [{style}]{mark}[/] {escape(cid)}: {escape(f.summary)}")
            explained = t.consequence_of(cid)
            if explained:
                console.print(f"             [dim](probably a consequence of {escape(', '.join(explained))})[/dim]")
            elif f.remediation.commands:
                console.print(f"             [cyan]$ {escape(f.remediation.commands[0])}[/cyan]")
        for f in t.findings:
            if f.status is Status.WARN:
                console.print(f"           [yellow]![/] {escape(f.id)}: {escape(f.summary)}")
    s = report.summary
    console.print(f"\n[bold]{s['targets']} node(s):[/bold] {s['ready']} ready, {s['blocked']} blocked, "
                  f"{s['incomplete']} incomplete")
    return buffer.getvalue()


def render_explanation(matches: Sequence[Match], *, color: bool = False, width: int = 100) -> str:
    """What a pasted error message most likely means, best match first."""
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color or "NO_COLOR" in os.environ,
                      width=width, highlight=False, emoji=False, soft_wrap=True)
    for rank, m in enumerate(matches):
        err = m.error
        lead = "Most likely" if rank == 0 else "Also matches"
        console.print(f"[bold]{lead}: {escape(err.title)}[/bold]  [dim]({escape(err.id)})[/dim]")
        console.print(f"  [dim]Problem: {escape(problem_title(err.problem))} — {escape(err.doc_url)}[/dim]")
        for i, cause in enumerate(err.causes, 1):
            console.print(f"  {i}. {escape(cause.text)}")
            if cause.checks:
                console.print(f"     [dim]confirmed by: {escape(', '.join(cause.checks))}[/dim]")
            console.print(f"     Fix: {escape(cause.fix)}")
        console.print()
    return buffer.getvalue()
