"""The catalogue keeps its promises: SPEC ids, doc links, problems, and a failing fixture for every check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checks import CATALOGUE, specs
from checks.problems import PROBLEMS
from doctor.engine import build_graph

# SPEC §5, in order. Ids are stable: reports and outside tests use them.
SPEC_IDS = (
    "local.credentials", "local.plugin", "input.username", "ec2.instance", "node.registered", "node.online",
    "node.platform", "agent.version", "node.connectable", "node.identity", "node.role-permissions",
    "hybrid.tier", "network.path", "caller.send-command", "caller.start-session", "caller.terminate-session",
    "prefs.document", "prefs.kms", "kms.key", "caller.kms", "node.kms-decrypt", "prefs.logging",
    "sessions.recent-failures",
)
# SPEC §5 "requires" column.
SPEC_REQUIRES = {
    "ec2.instance": ("local.credentials",),
    "node.registered": ("local.credentials", "ec2.instance"),
    "node.online": ("node.registered",),
    "node.platform": ("node.registered",),
    "agent.version": ("node.registered",),
    "node.connectable": ("node.online",),
    "node.identity": ("ec2.instance",),
    "node.role-permissions": ("node.identity",),
    "hybrid.tier": ("node.registered",),
    "network.path": ("ec2.instance",),
    "caller.send-command": ("local.credentials",),
    "caller.start-session": ("local.credentials",),
    "caller.terminate-session": ("local.credentials",),
    "prefs.document": ("local.credentials",),
    "prefs.kms": ("prefs.document",),
    "kms.key": ("prefs.kms",),
    "caller.kms": ("kms.key",),
    "node.kms-decrypt": ("kms.key", "node.identity"),
    "prefs.logging": ("prefs.document", "node.identity"),
    "sessions.recent-failures": ("node.registered",),
}
SPEC_PROBLEMS = {
    "managed-node-not-available", "agent-not-up-to-date", "reset-options-not-provided",
    "no-sendcommand-authorization", "session-manager-error", "plugin-not-installed", "advanced-tier-required",
    "kms-encryption-required", "start-session-not-allowed", "network-unreachable",
}
TESTS = Path(__file__).parent


def test_catalogue_ids_come_from_spec_in_order() -> None:
    ids = [s.id for s in specs()]
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(SPEC_IDS), set(ids) - set(SPEC_IDS)
    assert ids == [i for i in SPEC_IDS if i in ids], "catalogue order follows SPEC §5"


def test_every_spec_check_is_implemented() -> None:
    assert {s.id for s in specs()} == set(SPEC_IDS)


def test_spec_md_agrees_when_present() -> None:
    spec_md = TESTS.parent.parent / "shared" / "SPEC.md"
    if not spec_md.exists():
        pytest.skip("SPEC.md is not beside this checkout")
    ids = re.findall(r"^\| `([a-z0-9.-]+\.[a-z0-9.-]+)` \|", spec_md.read_text(), re.M)
    assert tuple(ids) == SPEC_IDS


@pytest.mark.parametrize("spec", specs(), ids=lambda s: s.id)
def test_check_metadata(spec: object) -> None:
    from doctor.engine import CheckSpec

    assert isinstance(spec, CheckSpec)
    assert spec.title and spec.title[0].isupper()
    assert spec.doc.startswith("https://docs.aws.amazon.com/")
    assert spec.problem in SPEC_PROBLEMS and spec.problem in PROBLEMS
    assert tuple(spec.requires) == SPEC_REQUIRES.get(spec.id, ())
    assert spec.func.__doc__ is None or spec.func.__doc__.strip()


def test_problem_links_are_aws_pages() -> None:
    assert set(PROBLEMS) == SPEC_PROBLEMS
    for title, url in PROBLEMS.values():
        assert title and url.startswith("https://docs.aws.amazon.com/")


def test_graph_is_valid() -> None:
    graph = build_graph(specs())
    assert graph.number_of_nodes() == len(CATALOGUE)


def test_every_check_has_a_failing_fixture_with_remediation() -> None:
    """Some test module asserts each check failing (or unknown for caller-side checks) with a fix."""
    text = "\n".join(p.read_text() for p in TESTS.glob("test_checks_*.py"))
    for spec in specs():
        assert f'"{spec.id}"' in text, f"no fixture test mentions {spec.id}"


def test_readme_lists_the_catalogue_as_it_is() -> None:
    from reports.catalogue import render_catalogue

    readme = (TESTS.parent / "README.md").read_text(encoding="utf-8")
    assert render_catalogue("markdown") in readme, "regenerate with: ssm-doctor checks --format markdown"
