"""The HTML report: one self-contained page to read in a browser, print, or attach to a ticket.

Everything the page needs is inline: the stylesheet, the check graph as SVG, and one small script
that adds copy buttons to commands. A Content-Security-Policy forbids every other source and
admits the script only by its hash, so the page fetches nothing and nothing in the report's data
can run. The page is complete without JavaScript. Every value from the report goes through
Jinja's autoescaping; links are kept only when they are http(s).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.problems import problem_title, problem_url
from doctor.model import Finding, Report, Status, TargetReport, Verdict
from reports.printable import printable_report

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).parent / "templates"

# The order areas appear in the list of checks; areas not named here follow in order of appearance.
AREAS = ("local", "input", "ec2", "node", "agent", "hybrid", "network", "caller", "prefs", "kms", "sessions")
AREA_TITLES = {
    "local": "This machine",
    "input": "Input",
    "ec2": "EC2 instance",
    "node": "Managed node",
    "agent": "SSM Agent",
    "hybrid": "Hybrid activation",
    "network": "Network",
    "caller": "Your permissions",
    "prefs": "Session Manager preferences",
    "kms": "KMS encryption",
    "sessions": "Session history",
}
STATUS_ICON = {
    Status.PASS: "✓",
    Status.WARN: "!",
    Status.FAIL: "✗",
    Status.UNKNOWN: "?",
    Status.ERROR: "‼",
    Status.SKIP: "–",
}
VERDICT_ICON = {Verdict.READY: "✓", Verdict.BLOCKED: "✗", Verdict.INCOMPLETE: "?", Verdict.INVALID: "✗"}

# Graph geometry, in SVG user units (CSS pixels at full size).
NODE_HEIGHT = 30
WAYPOINT_HEIGHT = 6
ROW_GAP = 12
COLUMN_GAP = 56
CHAR_WIDTH = 7.3  # 12px monospace
NODE_PADDING = 34  # icon and margins
MARGIN = 8


@dataclass(frozen=True)
class GraphNode:
    id: str
    status: str
    icon: str
    x: float
    y: float
    width: float
    height: float
    tooltip: str
    anchor: str
    applicable: bool = True


@dataclass(frozen=True)
class GraphEdge:
    path: str
    source: str
    target: str
    blocked: bool


@dataclass(frozen=True)
class Graph:
    width: float
    height: float
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    marker: str
    blocked_marker: str


@dataclass(frozen=True)
class Area:
    key: str
    title: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class RootCause:
    finding: Finding
    blocks: tuple[str, ...]
    consequence_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetView:
    """One target, arranged for the page."""

    report: TargetReport
    anchor: str
    prefix: str
    root_causes: tuple[RootCause, ...]
    warnings: tuple[Finding, ...]
    areas: tuple[Area, ...]
    graph: Graph | None
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class CauseCount:
    check_id: str
    problem: str
    targets: tuple[tuple[str, str], ...]  # (anchor, target id)


def render_html(report: Report) -> str:
    """Render the whole report as one self-contained HTML document."""
    import markupsafe

    report = printable_report(report)
    env = _environment()
    script = (TEMPLATES / "copy.js").read_text(encoding="utf-8")
    targets = tuple(_target_view(t, i) for i, t in enumerate(report.targets, start=1))
    return env.get_template("report.html.j2").render(
        report=report,
        targets=targets,
        fleet=len(targets) > 1,
        causes=_cause_counts(targets),
        regions=sorted({t.region for t in report.targets if t.region}),
        script=markupsafe.Markup(script),
        script_hash=script_hash(script),
        Status=Status,
        Verdict=Verdict,
    )


def script_hash(script: str) -> str:
    """The CSP source expression that admits exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        icon=_icon,
        pretty_json=_pretty_json,
        http_url=_http_url,
        when=_when,
        num=_num,
    )
    env.globals.update(
        problem_title=problem_title,
        problem_url=problem_url,
        area_title=lambda key: AREA_TITLES.get(key, key),
        verdict_icon=lambda v: VERDICT_ICON[v],
        verdict_text=_verdict_text,
    )
    return env


def _icon(status: Status) -> str:
    return STATUS_ICON[status]


def _pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def _http_url(url: str) -> str:
    """The URL if it is http(s), else empty: a report from elsewhere must not inject other schemes."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def _when(stamp: str) -> str:
    """An ISO 8601 UTC timestamp, written for people."""
    if stamp.endswith("Z") and "T" in stamp:
        return stamp[:-1].replace("T", " ") + " UTC"
    return stamp.replace("T", " ")


def _num(value: float) -> str:
    """Coordinates without trailing zeros, so the SVG stays small and stable."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _verdict_text(t: TargetReport) -> str:
    causes = len(t.root_causes)
    if t.verdict is Verdict.READY:
        return "Nothing stands in the way of a password reset."
    if t.verdict is Verdict.BLOCKED:
        return (f"{causes} root cause{'s' if causes != 1 else ''} must be fixed before the password can be reset."
                if causes else "Something must be fixed before the password can be reset.")
    if t.verdict is Verdict.INCOMPLETE:
        return ("Nothing failed, but some checks could not be decided; give ssm-doctor the access it names "
                "and run it again.")
    return "The target could not be resolved to a managed node."


def _target_view(t: TargetReport, index: int) -> TargetView:
    prefix = f"t{index}-"
    by_id = {f.id: f for f in t.findings}
    causes = tuple(
        RootCause(by_id[cid], tuple(g.id for g in t.findings if cid in g.blocked_by), t.consequence_of(cid))
        for cid in t.causes_in_fix_order()
        if cid in by_id
    )
    counts = tuple(
        (status.value, n) for status in Status if (n := sum(1 for f in t.findings if f.status is status))
    )
    return TargetView(
        report=t,
        anchor=f"target-{index}",
        prefix=prefix,
        root_causes=causes,
        warnings=tuple(f for f in t.findings if f.status is Status.WARN),
        areas=_areas(t.findings),
        graph=layout_graph(t.findings, prefix) if t.findings else None,
        counts=counts,
    )


def _areas(findings: Sequence[Finding]) -> tuple[Area, ...]:
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.area or f.id.split(".", 1)[0], []).append(f)
    order = [a for a in AREAS if a in groups] + [a for a in groups if a not in AREAS]
    return tuple(Area(a, AREA_TITLES.get(a, a), tuple(groups[a])) for a in order)


def _cause_counts(targets: Sequence[TargetView]) -> tuple[CauseCount, ...]:
    found: dict[str, list[tuple[str, str]]] = {}
    problems: dict[str, str] = {}
    for view in targets:
        for cause in view.root_causes:
            found.setdefault(cause.finding.id, []).append((view.anchor, view.report.target))
            problems.setdefault(cause.finding.id, cause.finding.problem)
    ranked = sorted(found.items(), key=lambda item: (-len(item[1]), item[0]))
    return tuple(CauseCount(cid, problems[cid], tuple(where)) for cid, where in ranked)


def _tooltip(f: Finding) -> str:
    text = f"{f.id}: {f.status.value.upper()} — {f.summary}"
    if f.blocked_by:
        text += f"\nBlocked by {', '.join(f.blocked_by)}"
    elif f.status is Status.SKIP and f.reason:
        text += f"\nSkipped: {f.reason}"
    return text


def layout_graph(findings: Sequence[Finding], prefix: str = "") -> Graph:
    """Lay the checks out left to right in columns.

    A check's column is the length of the longest path to it from a check with no prerequisites.
    An edge that skips columns passes through a waypoint in each column it crosses, so it runs in
    the gaps between boxes rather than through them. Within a column, boxes and waypoints are
    ordered to sit level with what they connect to (barycentre sweeps).
    """
    import networkx as nx

    index = {f.id: i for i, f in enumerate(findings)}
    by_id = {f.id: f for f in findings}
    graph = nx.DiGraph()
    graph.add_nodes_from(index)
    for f in findings:
        for req in f.requires:
            if req in index and req != f.id:
                graph.add_edge(req, f.id)
    if not nx.is_directed_acyclic_graph(graph):
        # A report from elsewhere with a dependency cycle: keep only edges that go forward in report order.
        graph.remove_edges_from([(a, b) for a, b in list(graph.edges) if index[a] >= index[b]])

    layer: dict[str, int] = {}
    for node in nx.lexicographical_topological_sort(graph, key=lambda n: f"{index[n]:05d}"):
        layer[node] = max((layer[p] + 1 for p in graph.predecessors(node)), default=0)
    columns: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for f in findings:
        columns[layer[f.id]].append(f.id)

    # Split long edges into chains through waypoints ("a>b#k" sits in column layer[a] + k).
    edges = sorted(graph.edges, key=lambda e: (index[e[1]], index[e[0]]))
    chains: dict[tuple[str, str], list[str]] = {}
    order_key: dict[str, float] = {n: float(index[n]) for n in index}
    prev: dict[str, list[str]] = {n: [] for n in index}
    succ: dict[str, list[str]] = {n: [] for n in index}
    for a, b in edges:
        chain = [a] + [f"{a}>{b}#{k}" for k in range(1, layer[b] - layer[a])] + [b]
        chains[(a, b)] = chain
        for k, way in enumerate(chain[1:-1], start=1):
            columns[layer[a] + k].append(way)
            order_key[way] = index[a] + 0.5
            prev[way], succ[way] = [], []
        for u, v in pairwise(chain):
            succ[u].append(v)
            prev[v].append(u)

    def size(node: str) -> float:
        return NODE_HEIGHT if node in index else WAYPOINT_HEIGHT

    position: dict[str, float] = {}

    def place(column: list[str]) -> None:
        total = sum(size(n) for n in column) + ROW_GAP * (len(column) - 1)
        y = -total / 2
        for node in column:
            position[node] = y + size(node) / 2
            y += size(node) + ROW_GAP

    for column in columns:
        column.sort(key=lambda n: order_key[n])
        place(column)

    def reorder(column: list[str], neighbours: dict[str, list[str]]) -> None:
        def key(node: str) -> tuple[float, float]:
            near = [position[n] for n in neighbours[node]]
            return (sum(near) / len(near) if near else position[node], order_key[node])

        column.sort(key=key)
        place(column)

    for _ in range(2):
        for column in columns[1:]:
            reorder(column, prev)
        for column in reversed(columns[:-1]):
            reorder(column, succ)
    for column in columns[1:]:
        reorder(column, prev)

    width = max((len(i) for i in index), default=8) * CHAR_WIDTH + NODE_PADDING
    top = min((position[n] - size(n) / 2 for c in columns for n in c), default=0.0)
    bottom = max((position[n] + size(n) / 2 for c in columns for n in c), default=0.0)
    height = bottom - top + 2 * MARGIN

    def x_of(column: int) -> float:
        return MARGIN + column * (width + COLUMN_GAP)

    def y_of(node: str) -> float:
        return position[node] - top + MARGIN

    nodes: list[GraphNode] = []
    for c, column in enumerate(columns):
        for node in column:
            if node in by_id:
                f = by_id[node]
                nodes.append(GraphNode(node, f.status.value, STATUS_ICON[f.status], x_of(c),
                                       y_of(node) - NODE_HEIGHT / 2, width, NODE_HEIGHT, _tooltip(f), prefix + node,
                                       applicable=not (f.status is Status.SKIP and not f.blocked_by)))
    nodes.sort(key=lambda n: index[n.id])

    def curve(sx: float, sy: float, tx: float, ty: float) -> str:
        bend = max((tx - sx) / 2, 12)
        return f"C{_num(sx + bend)} {_num(sy)} {_num(tx - bend)} {_num(ty)} {_num(tx)} {_num(ty)}"

    out: list[GraphEdge] = []
    for a, b in edges:
        chain = chains[(a, b)]
        sx, sy = x_of(layer[a]) + width, y_of(a)
        parts = [f"M{_num(sx)} {_num(sy)}"]
        for k, way in enumerate(chain[1:-1], start=1):
            left, right, wy = x_of(layer[a] + k), x_of(layer[a] + k) + width, y_of(way)
            parts.append(curve(sx, sy, left, wy))
            parts.append(f"L{_num(right)} {_num(wy)}")
            sx, sy = right, wy
        parts.append(curve(sx, sy, x_of(layer[b]) - 2, y_of(b)))
        source, target = by_id[a], by_id[b]
        cut = bool(target.blocked_by) and not source.status.holds and not (
            source.status is Status.SKIP and not source.blocked_by
        )
        out.append(GraphEdge("".join(parts), a, b, cut))
    total_width = 2 * MARGIN + len(columns) * width + max(len(columns) - 1, 0) * COLUMN_GAP
    return Graph(total_width, height, tuple(nodes), tuple(out), prefix + "arrow", prefix + "arrow-blocked")
