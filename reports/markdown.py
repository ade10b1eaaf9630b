"""The Markdown report, for tickets and chat: verdicts, root causes with fixes, and a table of checks.

Text that comes from the report is escaped so that names, summaries and evidence show as written
and cannot add links, images, HTML or table columns. Commands go in fenced blocks whose fence is
longer than any run of backticks inside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from checks.problems import problem_title, problem_url
from doctor.model import Finding, Report, Status, TargetReport, Verdict
from reports.printable import printable_report

ICON = {
    Status.PASS: "✅",
    Status.WARN: "⚠️",
    Status.FAIL: "❌",
    Status.UNKNOWN: "❔",
    Status.ERROR: "💥",
    Status.SKIP: "⏭️",
}
VERDICT_ICON = {Verdict.READY: "✅", Verdict.BLOCKED: "❌", Verdict.INCOMPLETE: "❔", Verdict.INVALID: "🚫"}

# Characters with a meaning in CommonMark/GFM inline text; a backslash before each makes it literal.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
# What would turn the start of a paragraph into a heading, list item or quote.
_BLOCK_START = re.compile(r"^(#|[-+=]|\d+[.)])")


def text(value: str) -> str:
    """Inline text from the report, escaped and on one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def para(value: str) -> str:
    """A paragraph of report text: escaped, and unable to start a heading or a list."""
    escaped = text(value)
    match = _BLOCK_START.match(escaped)
    if match:
        lead = match.group(0)
        escaped = (lead[:-1] + "\\" + lead[-1] if lead[-1] in ".)" else "\\" + lead) + escaped[len(lead):]
    return escaped


def cell(value: str) -> str:
    """A table cell: escaped, with line breaks kept as <br>."""
    lines = [text(line) for line in value.replace("\r\n", "\n").split("\n")]
    return "<br>".join(line for line in lines if line) or " "


def code(value: str) -> str:
    """An inline code span that holds ``value`` whatever backticks it contains."""
    value = " ".join(value.split())
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def link(label: str, url: str) -> str:
    if not url.lower().startswith(("https://", "http://")):
        return text(label)
    return f"[{text(label)}](<{url.replace('<', '%3C').replace('>', '%3E').replace(' ', '%20')}>)"


def fenced(body: str, lang: str = "sh") -> list[str]:
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", body, fence]


def render_markdown(report: Report) -> str:
    report = printable_report(report)
    out: list[str] = ["# ssm-doctor: password reset diagnosis", ""]
    caller = report.caller
    facts = []
    if report.generated_at:
        facts.append(f"Generated {text(report.generated_at)}")
    if report.tool_version:
        facts.append(f"ssm-doctor {text(report.tool_version)}")
    if caller.arn:
        facts.append(f"caller {code(caller.arn)}")
    if caller.account:
        facts.append(f"account {text(caller.account)}")
    if caller.region:
        facts.append(f"region {text(caller.region)}")
    if facts:
        out += [" · ".join(facts), ""]

    for t in report.targets:
        out.append(f"- {_verdict_line(t)}")
    s = report.summary
    tally = [f"{s.get(v.value, 0)} {v.value}" for v in Verdict if s.get(v.value, 0)]
    out += ["", f"**{s['targets']} target{'s' if s['targets'] != 1 else ''}:** {', '.join(tally) or 'none'}", ""]
    out += _cause_counts(report)

    for t in report.targets:
        out += _target(t)
    return "\n".join(out).rstrip() + "\n"


def _label(t: TargetReport) -> str:
    return code(t.target) + (f" ({text(t.name)})" if t.name else "")


def _verdict_line(t: TargetReport) -> str:
    line = f"{VERDICT_ICON[t.verdict]} **{t.verdict.value.upper()}** {_label(t)}"
    if t.region:
        line += f" · {text(t.region)}"
    if t.error:
        line += f" — {text(t.error)}"
    elif t.root_causes:
        line += " — root cause" + ("s" if len(t.root_causes) > 1 else "") + ": "
        line += ", ".join(code(c) for c in t.causes_in_fix_order())
    return line


def _cause_counts(report: Report) -> list[str]:
    """For a fleet: how many targets each root cause blocks, most common first."""
    counts: dict[str, int] = {}
    problems: dict[str, str] = {}
    for t in report.targets:
        for f in t.findings:
            if f.id in t.root_causes:
                counts[f.id] = counts.get(f.id, 0) + 1
                problems.setdefault(f.id, f.problem)
    if len(report.targets) < 2 or not counts:
        return []
    out = ["| Root cause | Documented problem | Targets |", "| --- | --- | ---: |"]
    for cid, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        problem = link(problem_title(problems[cid]), problem_url(problems[cid])) if problems[cid] else " "
        out.append(f"| {code(cid).replace('|', chr(92) + '|')} | {problem} | {n} |")
    return [*out, ""]


def _target(t: TargetReport) -> list[str]:
    h = "###"
    out = [f"## {VERDICT_ICON[t.verdict]} {_label(t)}: {t.verdict.value}", ""]
    if t.region or t.kind:
        where = [text(t.region)] if t.region else []
        if t.kind:
            where.append("hybrid node" if t.kind == "hybrid" else "EC2 instance")
        out += [" · ".join(where), ""]
    if t.error:
        return [*out, f"> {text(t.error)}", ""]

    by_id = {f.id: f for f in t.findings}
    causes = [by_id[c] for c in t.causes_in_fix_order() if c in by_id]
    if causes:
        out += [f"{h} Root causes", ""]
        for f in causes:
            blocked = [g.id for g in t.findings if f.id in g.blocked_by]
            out += _finding(f, blocked, h + "#", t.consequence_of(f.id))
    warnings = [f for f in t.findings if f.status is Status.WARN]
    if warnings:
        out += [f"{h} Warnings", ""]
        for f in warnings:
            out += _finding(f, [], h + "#")
    if t.verdict is Verdict.READY:
        out += ["Ready. Reset a local user's password with:", "",
                *fenced(t.reset_command()), ""]
    if t.findings:
        out += [f"{h} All checks", "", "| Check | Status | Summary |", "| --- | --- | --- |"]
        out += [f"| {code(f.id).replace('|', chr(92) + '|')} | {ICON[f.status]} {f.status.value} | {_summary_cell(f)} |"
                for f in t.findings]
        out.append("")
    return out


def _summary_cell(f: Finding) -> str:
    summary = cell(f.summary)
    if f.blocked_by:
        return summary
    if f.missing:
        summary += "<br>Missing: " + ", ".join(text(m) for m in f.missing)
    return summary


def _finding(f: Finding, blocked: Iterable[str], h: str, consequence_of: Sequence[str] = ()) -> list[str]:
    out = [f"{h} {ICON[f.status]} {code(f.id)}: {text(f.title)}", ""]
    if f.problem:
        out += [f"Documented problem: {link(problem_title(f.problem), problem_url(f.problem))}", ""]
    out += [para(f.summary), ""]
    if consequence_of:
        out += ["**Probably a consequence of " + ", ".join(code(c) for c in consequence_of) + ": fix that first.**",
                ""]
    if f.missing:
        out += ["Missing permission" + ("s" if len(f.missing) > 1 else "") + ": "
                + ", ".join(code(m) for m in f.missing), ""]
    if f.remediation.steps:
        out += ["**How to fix**", ""]
        out += [f"{i}. {text(step)}" for i, step in enumerate(f.remediation.steps, start=1)]
        out.append("")
    if f.remediation.commands:
        out += [*fenced("\n".join(f.remediation.commands)), ""]
    blocked = list(blocked)
    if blocked:
        out += ["Not checked because of this: " + ", ".join(code(b) for b in blocked), ""]
    return out
