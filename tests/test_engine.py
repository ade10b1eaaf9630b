"""The engine: graph validation, evaluation order, skips, unknowns, crashes, verdicts and exit codes."""

from __future__ import annotations

from typing import Any

import pytest

from doctor.engine import CatalogueError, build_graph, check, evaluate, plan, spec_of
from doctor.facts import FactStore, Options, Target, Unavailable
from doctor.model import (
    Finding,
    Outcome,
    Report,
    Status,
    TargetReport,
    Verdict,
    failed,
    not_applicable,
    passed,
)

T = Target("i-0123456789abcdef0", "us-east-1")
H = Target("mi-0123456789abcdef0", "us-east-1")


def mk(cid: str, requires: tuple[str, ...] = (), result: Any = None, applies: tuple[str, ...] = ("ec2", "hybrid")):
    @check(cid, title=cid, problem="session-manager-error", doc="https://docs.aws.amazon.com/x", requires=requires,
           applies_to=applies)
    def func() -> Outcome:
        if isinstance(result, Exception):
            raise result
        return result or passed(f"{cid} ok")

    return spec_of(func)


def store(**facts: Any) -> FactStore:
    s = FactStore(None, Options(), replay=True)
    for name, value in facts.items():
        s.put(("target", T.id, name), value)
    return s


def run(specs: list[Any], target: Target = T, s: FactStore | None = None, **kw: Any) -> dict[str, Finding]:
    findings = evaluate(plan(specs, **kw), s or store(), target)
    return {f.id: f for f in findings}


def test_duplicate_ids_rejected() -> None:
    with pytest.raises(CatalogueError, match="duplicate"):
        build_graph([mk("a.x"), mk("a.x")])


def test_unknown_prerequisite_rejected() -> None:
    with pytest.raises(CatalogueError, match=r"unknown check 'a\.missing'"):
        build_graph([mk("a.x", ("a.missing",))])


def test_cycle_rejected() -> None:
    with pytest.raises(CatalogueError, match="cycle"):
        build_graph([mk("a.x", ("a.y",)), mk("a.y", ("a.x",))])


def test_failure_skips_descendants_with_original_cause() -> None:
    res = run([mk("a.root", result=failed("broken")), mk("a.mid", ("a.root",)), mk("a.leaf", ("a.mid",))])
    assert res["a.root"].status is Status.FAIL
    assert res["a.mid"].status is Status.SKIP and res["a.mid"].blocked_by == ("a.root",)
    # the leaf points at the original cause, not at its skipped parent
    assert res["a.leaf"].blocked_by == ("a.root",)


def test_root_causes_are_only_checks_whose_prerequisites_passed() -> None:
    specs = [mk("a.one", result=failed("x")), mk("a.two", ("a.one",), result=failed("y")), mk("a.three")]
    findings = evaluate(plan(specs), store(), T)
    report = TargetReport(T.id, findings)
    assert report.root_causes == ("a.one",)
    assert report.verdict is Verdict.BLOCKED


def test_not_applicable_does_not_block() -> None:
    res = run([mk("ec2.only", applies=("ec2",)), mk("node.after", ("ec2.only",))], target=H)
    assert res["ec2.only"].status is Status.SKIP and not res["ec2.only"].blocked_by
    assert res["node.after"].status is Status.PASS


def test_check_returning_not_applicable_does_not_block() -> None:
    res = run([mk("a.na", result=not_applicable("no --user")), mk("a.after", ("a.na",))])
    assert res["a.na"].status is Status.SKIP
    assert res["a.after"].status is Status.PASS


def test_crash_is_error_and_run_goes_on() -> None:
    res = run([mk("a.boom", result=RuntimeError("bug")), mk("a.other"), mk("a.child", ("a.boom",))])
    assert res["a.boom"].status is Status.ERROR
    assert "RuntimeError" in res["a.boom"].summary
    assert res["a.other"].status is Status.PASS
    assert res["a.child"].blocked_by == ("a.boom",)
    assert TargetReport(T.id, tuple(res.values())).verdict is Verdict.INCOMPLETE


def test_unavailable_fact_makes_unknown_naming_the_permission() -> None:
    @check("node.x", title="x", problem="session-manager-error", doc="https://docs.aws.amazon.com/x")
    def node_x(instance_info: dict[str, Any]) -> Outcome:
        raise AssertionError("must not run without its fact")

    gone = Unavailable("ssm:DescribeInstanceInformation", "AccessDeniedException", "denied",
                       "ssm:DescribeInstanceInformation")
    res = run([spec_of(node_x)], s=store(instance_info=gone))
    f = res["node.x"]
    assert f.status is Status.UNKNOWN
    assert f.missing == ("ssm:DescribeInstanceInformation",)
    assert "ssm:DescribeInstanceInformation" in f.summary


def test_optional_fact_is_passed_as_default_when_unavailable() -> None:
    seen: list[Any] = []

    @check("node.y", title="y", problem="session-manager-error", doc="https://docs.aws.amazon.com/y")
    def node_y(instance_info: dict[str, Any] | None = None) -> Outcome:
        seen.append(instance_info)
        return passed("fine")

    res = run([spec_of(node_y)], s=store(instance_info=Unavailable("op", "Throttling")))
    assert res["node.y"].status is Status.PASS and seen == [None]


def test_only_selects_prerequisites_and_skips_the_rest() -> None:
    specs = [mk("a.base"), mk("a.want", ("a.base",)), mk("a.other")]
    res = run(specs, only=["a.want"])
    assert res["a.base"].status is Status.PASS and res["a.want"].status is Status.PASS
    assert res["a.other"].status is Status.SKIP and "--only" in res["a.other"].reason


def test_skip_leaves_check_out_and_dependents_say_why() -> None:
    res = run([mk("a.base"), mk("a.dep", ("a.base",))], skip=["a.base"])
    assert res["a.base"].status is Status.SKIP
    assert res["a.dep"].status is Status.SKIP and "a.base" in res["a.dep"].reason
    assert not res["a.dep"].blocked_by


def test_unknown_only_id_is_rejected() -> None:
    with pytest.raises(CatalogueError, match="unknown check"):
        plan([mk("a.base")], only=["a.nope"])


def _report(*verdict_findings: tuple[Status, ...]) -> Report:
    targets = []
    for i, statuses in enumerate(verdict_findings):
        fs = tuple(Finding(f"a.c{j}", "t", st, "s", "p", "d", "a") for j, st in enumerate(statuses))
        targets.append(TargetReport(f"i-{i:017x}", fs))
    return Report(tuple(targets))


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        ([(Status.PASS, Status.WARN, Status.SKIP)], 0),
        ([(Status.PASS, Status.FAIL)], 1),
        ([(Status.PASS, Status.UNKNOWN)], 3),
        ([(Status.ERROR,)], 3),
        ([(Status.FAIL, Status.UNKNOWN)], 1),
        ([(Status.PASS,), (Status.UNKNOWN,)], 3),
        ([(Status.UNKNOWN,), (Status.FAIL,)], 1),
    ],
)
def test_exit_code_is_worst_over_targets(statuses: list[tuple[Status, ...]], code: int) -> None:
    assert _report(*statuses).exit_code == code


def test_invalid_target_in_fleet_exits_2_but_keeps_others() -> None:
    ok = _report((Status.PASS,)).targets[0]
    report = Report((ok, TargetReport("i-zz", (), error="malformed")))
    assert report.exit_code == 2
    assert report.summary["ready"] == 1


def test_report_json_round_trip() -> None:
    report = _report((Status.PASS, Status.FAIL))
    again = Report.from_json(report.to_json())
    assert again.to_json() == report.to_json()


class _Recording(FactStore):
    """A replay store that remembers which facts a check fetched (rather than peeked at)."""

    def __init__(self) -> None:
        super().__init__(None, Options(), replay=True)
        self.fetched: list[str] = []

    def get(self, name: str, target: Target | None, region: str) -> Any:
        self.fetched.append(name)
        return {"from": "collector"}


def test_optional_facts_are_peeked_at_unless_the_check_collects_them() -> None:
    seen: dict[str, Any] = {}

    @check("node.peek", title="p", problem="session-manager-error", doc="https://docs.aws.amazon.com/p")
    def node_peek(instance_info: dict[str, Any] | None = None) -> Outcome:
        seen["peek"] = instance_info
        return passed("fine")

    @check("node.fetch", title="f", problem="session-manager-error", doc="https://docs.aws.amazon.com/f",
           collect=("session_preferences",))
    def node_fetch(session_preferences: dict[str, Any] | None = None) -> Outcome:
        seen["fetch"] = session_preferences
        return passed("fine")

    s = _Recording()
    run([spec_of(node_peek), spec_of(node_fetch)], s=s)
    assert s.fetched == ["session_preferences"]
    assert seen == {"peek": None, "fetch": {"from": "collector"}}


def test_collect_must_name_a_parameter() -> None:
    with pytest.raises(TypeError, match="collect="):
        @check("node.bad", title="b", problem="session-manager-error", doc="https://docs.aws.amazon.com/b",
               collect=("nothing",))
        def node_bad() -> Outcome:
            return passed("fine")


def test_root_causes_that_explain_others_come_first_in_fix_order() -> None:
    def f(cid: str, status: Status) -> Finding:
        return Finding(id=cid, title=cid, status=status, summary=cid, problem="p", doc_url="u", area="node")

    t = TargetReport(T.id, (f("node.registered", Status.FAIL), f("node.identity", Status.FAIL),
                            f("agent.version", Status.SKIP)))
    assert t.root_causes == ("node.registered", "node.identity")  # the report's order: the catalogue's
    assert t.causes_in_fix_order() == ("node.identity", "node.registered")
    assert t.consequence_of("node.registered") == ("node.identity",)
    assert t.consequence_of("node.identity") == ()
    alone = TargetReport(T.id, (f("node.registered", Status.FAIL),))
    assert alone.causes_in_fix_order() == ("node.registered",) and alone.consequence_of("node.registered") == ()
