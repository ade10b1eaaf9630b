"""Rendering the check catalogue and its graph: text, JSON, Graphviz dot and Mermaid."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from checks.problems import problem_url

if TYPE_CHECKING:
    from doctor.engine import CheckSpec


def render_catalogue(fmt: str) -> str:
    from checks import specs
    from doctor.engine import build_graph

    all_specs = specs()
    graph = build_graph(all_specs)
    if fmt == "json":
        data = {
            "checks": [s.to_json() for s in all_specs],
            "edges": [{"from": a, "to": b} for a, b in graph.edges],
        }
        return json.dumps(data, indent=2) + "\n"
    if fmt == "dot":
        lines = ["digraph checks {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
        for s in all_specs:
            lines.append(f'  "{s.id}" [label="{s.id}\\n{s.title}"];')
        for a, b in graph.edges:
            lines.append(f'  "{a}" -> "{b}";')
        lines.append("}")
        return "\n".join(lines) + "\n"
    if fmt == "mermaid":
        lines = ["graph LR"]
        ids = {s.id: f"c{i}" for i, s in enumerate(all_specs)}
        for s in all_specs:
            lines.append(f'  {ids[s.id]}["{s.id}"]')
        for a, b in graph.edges:
            lines.append(f"  {ids[a]} --> {ids[b]}")
        return "\n".join(lines) + "\n"
    if fmt == "markdown":
        return catalogue_markdown(all_specs)
    out = []
    width = max(len(s.id) for s in all_specs)
    for s in all_specs:
        req = f"  requires {', '.join(s.requires)}" if s.requires else ""
        scope = "" if s.applies_to == frozenset({"ec2", "hybrid"}) else f"  [{'/'.join(sorted(s.applies_to))} only]"
        out.append(f"{s.id:<{width}}  {s.title}{scope}{req}")
        out.append(f"{'':<{width}}  problem: {s.problem} · {problem_url(s.problem)}")
    return "\n".join(out) + "\n"


def catalogue_markdown(all_specs: Sequence[CheckSpec]) -> str:
    """The catalogue as a Markdown table (the README's copy is kept in step with it by a test)."""
    rows = ["| id | holds when healthy | requires | applies to | problem |", "|---|---|---|---|---|"]
    for s in all_specs:
        everywhere = s.applies_to == frozenset({"ec2", "hybrid"})
        scope = "all nodes" if everywhere else "/".join(sorted(s.applies_to)) + " only"
        requires = ", ".join(f"`{r}`" for r in s.requires) or "—"
        rows.append(f"| [`{s.id}`]({s.doc}) | {s.title} | {requires} | {scope} | "
                    f"[{s.problem}]({problem_url(s.problem)}) |")
    return "\n".join(rows) + "\n"
