"""The check engine: declarations, the dependency graph, and evaluation in topological order.

A check is a pure function of facts. It declares its metadata with :func:`check`; its
parameters name the facts it needs (``target`` and ``options`` are supplied by the engine).
A parameter with a default is an optional fact: the check gets it if another check already
collected it, and the default otherwise; it is never fetched for that check alone, unless the
check names it in ``collect=`` (then it is fetched, and an unavailable fact gives the default).
The engine resolves those facts, records ``unknown`` when one is unavailable, turns a crash
into ``error``, and skips descendants of anything that did not hold, pointing at the original
cause.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from doctor.facts import COLLECTOR_ERROR, FactStore, Target, Unavailable
from doctor.model import Finding, Fix, Outcome, Status

if TYPE_CHECKING:
    import networkx as nx

CheckFunc = Callable[..., Outcome]
_ENGINE_PARAMS = frozenset({"target", "options"})


@dataclass(frozen=True)
class CheckSpec:
    """A check's metadata: the catalogue entry."""

    id: str
    title: str
    func: CheckFunc
    requires: tuple[str, ...]
    problem: str
    doc: str
    applies_to: frozenset[str] = frozenset({"ec2", "hybrid"})
    facts: tuple[str, ...] = ()
    remediation: str = ""
    collect: tuple[str, ...] = ()  # optional facts fetched for this check when nobody else has

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "area": self.area,
            "requires": list(self.requires),
            "problem": self.problem,
            "doc_url": self.doc,
            "applies_to": sorted(self.applies_to),
            "facts": list(self.facts),
        }


def check(
    id: str,
    *,
    title: str,
    problem: str,
    doc: str,
    requires: Sequence[str] = (),
    applies_to: Iterable[str] = ("ec2", "hybrid"),
    collect: Sequence[str] = (),
) -> Callable[[CheckFunc], CheckFunc]:
    """Attach catalogue metadata to a check function (no registration side effects)."""

    def attach(func: CheckFunc) -> CheckFunc:
        params = [p for p in inspect.signature(func).parameters if p not in _ENGINE_PARAMS]
        unknown_collect = set(collect) - set(params)
        if unknown_collect:
            raise TypeError(f"{id}: collect= names facts that are not parameters: {sorted(unknown_collect)}")
        func.__check__ = CheckSpec(  # type: ignore[attr-defined]
            id=id,
            title=title,
            func=func,
            requires=tuple(requires),
            problem=problem,
            doc=doc,
            applies_to=frozenset(applies_to),
            facts=tuple(params),
            collect=tuple(collect),
        )
        return func

    return attach


def spec_of(func: CheckFunc) -> CheckSpec:
    spec = getattr(func, "__check__", None)
    if not isinstance(spec, CheckSpec):
        raise TypeError(f"{func!r} is not declared with @check")
    return spec


class CatalogueError(ValueError):
    """The catalogue is inconsistent: duplicate ids, unknown prerequisites or a cycle."""


def build_graph(specs: Sequence[CheckSpec]) -> nx.DiGraph:
    """Build and validate the dependency graph (edge prerequisite → dependent)."""
    import networkx as nx

    graph = nx.DiGraph()
    for spec in specs:
        if spec.id in graph:
            raise CatalogueError(f"duplicate check id {spec.id!r}")
        graph.add_node(spec.id, spec=spec)
    for spec in specs:
        for req in spec.requires:
            if req not in graph:
                raise CatalogueError(f"check {spec.id!r} requires unknown check {req!r}")
            graph.add_edge(req, spec.id)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        raise CatalogueError("dependency cycle: " + " -> ".join(a for a, _ in cycle) + f" -> {cycle[0][0]}")
    return graph


@dataclass
class Plan:
    """A validated catalogue in evaluation order, with the selection for this run."""

    specs: tuple[CheckSpec, ...]
    order: tuple[str, ...]
    selected: frozenset[str]
    user_skipped: frozenset[str] = frozenset()
    by_id: Mapping[str, CheckSpec] = field(default_factory=dict)


def _has_optional_facts(spec: CheckSpec) -> bool:
    params = inspect.signature(spec.func).parameters
    return any(params[name].default is not inspect.Parameter.empty for name in spec.facts)


def plan(specs: Sequence[CheckSpec], only: Sequence[str] = (), skip: Sequence[str] = ()) -> Plan:
    import networkx as nx

    graph = build_graph(specs)
    unknown_ids = [i for i in list(only) + list(skip) if i not in graph]
    if unknown_ids:
        raise CatalogueError(f"unknown check id(s): {', '.join(sorted(set(unknown_ids)))}")
    # Catalogue order, except that checks with optional facts go after the others, so that those
    # facts have been collected by then if anything needed them.
    priority = {s.id: f"{int(_has_optional_facts(s))}{i:04d}" for i, s in enumerate(specs)}
    order = tuple(nx.lexicographical_topological_sort(graph, key=priority.__getitem__))
    if only:
        selected = set(only)
        for cid in only:
            selected |= nx.ancestors(graph, cid)
    else:
        selected = set(graph.nodes)
    return Plan(
        specs=tuple(specs),
        order=order,
        selected=frozenset(selected),
        user_skipped=frozenset(skip),
        by_id={s.id: s for s in specs},
    )


def evaluate(plan_: Plan, store: FactStore, target: Target) -> tuple[Finding, ...]:
    """Run every check for one target; returns findings in catalogue order."""
    results: dict[str, Finding] = {}
    not_applicable: set[str] = set()
    for cid in plan_.order:
        spec = plan_.by_id[cid]
        results[cid] = _evaluate_one(spec, plan_, results, not_applicable, store, target)
    return tuple(results[s.id] for s in plan_.specs)


def _finding(spec: CheckSpec, status: Status, summary: str, **kw: Any) -> Finding:
    return Finding(
        id=spec.id,
        title=spec.title,
        status=status,
        summary=summary,
        problem=spec.problem,
        doc_url=spec.doc,
        area=spec.area,
        requires=spec.requires,
        **kw,
    )


def _evaluate_one(
    spec: CheckSpec,
    plan_: Plan,
    done: Mapping[str, Finding],
    not_applicable: set[str],
    store: FactStore,
    target: Target,
) -> Finding:
    if spec.id in plan_.user_skipped:
        return _finding(spec, Status.SKIP, "Left out with --skip", reason="skipped with --skip")
    if spec.id not in plan_.selected:
        return _finding(spec, Status.SKIP, "Not selected with --only", reason="not selected with --only")
    if target.kind not in spec.applies_to:
        reason = f"does not apply to {'hybrid (mi-)' if target.kind == 'hybrid' else 'EC2 (i-)'} nodes"
        not_applicable.add(spec.id)
        return _finding(spec, Status.SKIP, f"Not applicable: {reason}", reason=reason)

    blocked_by: list[str] = []
    skipped_prereqs: list[str] = []
    for req in spec.requires:
        pre = done[req]
        if pre.status.holds:
            continue
        if pre.status is Status.SKIP:
            if pre.blocked_by:
                blocked_by.extend(pre.blocked_by)
            elif req in not_applicable:
                continue  # a prerequisite that does not apply to this target does not block
            else:
                skipped_prereqs.append(req)
        else:
            blocked_by.append(req)
    if blocked_by:
        causes = tuple(dict.fromkeys(blocked_by))
        return _finding(
            spec,
            Status.SKIP,
            f"Not checked: blocked by {', '.join(causes)}",
            blocked_by=causes,
            reason="a prerequisite did not pass",
        )
    if skipped_prereqs:
        names = ", ".join(skipped_prereqs)
        return _finding(spec, Status.SKIP, f"Not checked: requires {names}, which was not run",
                        reason=f"requires {names}, which was not run")

    kwargs: dict[str, Any] = {}
    missing: list[Unavailable] = []
    params = inspect.signature(spec.func).parameters
    if "target" in params:
        kwargs["target"] = target
    if "options" in params:
        kwargs["options"] = store.options
    for name in spec.facts:
        optional = params[name].default is not inspect.Parameter.empty
        if optional:
            # An optional fact is used when some other check already collected it; fetched for this one only
            # when the check asks for it with collect=.
            if name in spec.collect:
                value = store.get(name, target, target.region)
            else:
                value = store.peek(name, target, target.region, params[name].default)
            kwargs[name] = params[name].default if isinstance(value, Unavailable) else value
            continue
        value = store.get(name, target, target.region)
        if isinstance(value, Unavailable):
            missing.append(value)
        kwargs[name] = value
    if missing:
        return _unknown_from(spec, missing)

    try:
        outcome = spec.func(**kwargs)
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        return _finding(
            spec,
            Status.ERROR,
            f"The check crashed: {type(exc).__name__}: {exc}",
            evidence={"exception": type(exc).__name__, "message": str(exc), "at": f"{tb.filename}:{tb.lineno}"},
        )
    if not isinstance(outcome, Outcome):
        return _finding(spec, Status.ERROR, f"The check returned {type(outcome).__name__}, not an Outcome")
    if outcome.status is Status.SKIP:
        if outcome.not_applicable:
            not_applicable.add(spec.id)
        return _finding(spec, Status.SKIP, outcome.summary, reason=outcome.summary,
                        evidence=outcome.evidence)
    return _finding(
        spec,
        outcome.status,
        outcome.summary,
        evidence=outcome.evidence,
        remediation=outcome.fix,
        missing=outcome.missing,
    )


def _unknown_from(spec: CheckSpec, missing: Sequence[Unavailable]) -> Finding:
    crashed = [u for u in missing if u.code == COLLECTOR_ERROR]
    if crashed:  # not missing data but a bug in ssm-doctor: the check could not run
        return _finding(
            spec,
            Status.ERROR,
            f"The check could not run: {crashed[0].operation} crashed: {crashed[0].message}",
            evidence={"unavailable": [u.to_json() for u in missing]},
        )
    first = missing[0]
    permissions = tuple(dict.fromkeys(u.permission or u.operation for u in missing))
    summary = f"Could not determine: {first.describe()}"
    if first.message:
        summary += f" — {first.message}"
    steps = [f"Allow {', '.join(permissions)} for the identity running ssm-doctor, then run it again."]
    if first.code not in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        steps = [f"The call {first.operation} did not succeed ({first.code}); check connectivity, the region "
                 "and credentials, then run ssm-doctor again."]
    return _finding(
        spec,
        Status.UNKNOWN,
        summary,
        evidence={"unavailable": [u.to_json() for u in missing]},
        remediation=Fix(tuple(steps)),
        missing=permissions,
    )
