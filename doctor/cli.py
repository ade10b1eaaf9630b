"""The command line. Each command body is short; heavy modules are imported only when used."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, NoReturn, Optional

import typer

from doctor import __version__
from doctor.model import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE

if TYPE_CHECKING:
    from doctor.aws import Aws
    from doctor.engine import Plan
    from doctor.facts import FactStore, Target
    from doctor.model import Report

app = typer.Typer(
    name="ssm-doctor",
    help="Diagnose why an AWS Systems Manager password reset (AWS-PasswordReset) fails, and perform it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


def _err(message: str) -> None:
    print(f"ssm-doctor: {message}", file=sys.stderr)


def _progress(message: str) -> None:
    if os.environ.get("SSM_DOCTOR_QUIET"):
        return
    print(f"… {message}", file=sys.stderr)


def _split(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or ():
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def _write(text: str, output: str | None) -> None:
    if output and output != "-":
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        _progress(f"wrote {output}")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _choose_format(fmt: str | None, output: str | None, allowed: Sequence[str]) -> str:
    from reports import format_for_path

    chosen = fmt or format_for_path(output) or "text"
    if chosen not in allowed:
        raise UsageError(f"unknown format {chosen!r}; choose one of {', '.join(allowed)}")
    return chosen


def emit(report: Report, fmt: str, output: str | None, verbose: bool, redact: bool = False) -> None:
    from reports import render

    if redact:
        from reports.redact import redact_report

        report = redact_report(report)
    color = fmt == "text" and not output and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    _write(render(report, fmt, verbose=verbose, color=color), output)


def _make_aws(profile: str | None, region: str | None) -> Aws:
    import botocore.exceptions

    from doctor.aws import Aws

    try:
        return Aws(profile=profile, region=region)
    except botocore.exceptions.ProfileNotFound:
        raise UsageError(f"AWS profile {profile!r} was not found in your AWS config") from None


def _collect_targets(
    aws: Aws | None,
    region: str,
    texts: Sequence[str],
    filters: Sequence[str],
    targets_file: str | None,
    all_nodes: bool,
    regions: Sequence[str],
) -> tuple[list[Target], list[tuple[str, str]]]:
    """Resolve every requested target; in fleet mode a bad one is reported, not fatal."""
    from doctor.facts import UnavailableError
    from doctor.targets import TargetError, all_managed, expand_filters, read_targets_file, resolve

    wanted = list(texts)
    if targets_file:
        try:
            wanted.extend(read_targets_file(targets_file))
        except OSError as exc:
            raise UsageError(f"cannot read --targets-file {targets_file}: {exc.strerror}") from None
    fleet = len(wanted) > 1 or bool(filters) or all_nodes
    scan_regions = list(regions) or [region]
    resolved: list[Target] = []
    invalid: list[tuple[str, str]] = []
    for text in wanted:
        try:
            resolved.append(resolve(aws, region, text))
        except TargetError as exc:
            if not fleet:
                raise UsageError(str(exc)) from None
            invalid.append((text, str(exc)))
    if (filters or all_nodes) and aws is not None:
        for r in scan_regions:
            try:
                resolved.extend(expand_filters(aws, r, filters) if filters else all_managed(aws, r))
            except TargetError as exc:
                raise UsageError(str(exc)) from None
            except UnavailableError as exc:
                # One region that cannot be listed does not stop the others; it is reported as a bad target.
                invalid.append((f"{'--filter' if filters else '--all'} in {r}",
                                f"cannot list nodes in {r}: {exc.unavailable.describe()}"))
    unique = list({t.id: t for t in resolved}.values())
    if not unique and not wanted and invalid:  # only listings were asked for, and none could be made
        raise UsageError("; ".join(message for _, message in invalid))
    if not unique and not invalid:
        raise UsageError("no targets: give an instance id, a managed node id or a name, or use --filter/--all")
    return unique, invalid


@app.command()
def pwreset(
    targets: Annotated[Optional[list[str]], typer.Argument(help="i-…, mi-… or a Name tag / computer name")] = None,
    user: Annotated[Optional[str], typer.Option("--user", "-u", help="The local user whose password to reset")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="After a ready diagnosis, start the reset session")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    force: Annotated[bool, typer.Option("--force", help="Reset even if the verdict is not ready")] = False,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="text, json, html or markdown")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write the report to FILE")] = None,
    profile: Annotated[Optional[str], typer.Option("--profile", help="AWS profile")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="AWS region")] = None,
    redact: Annotated[bool, typer.Option("--redact", help="Mask account ids, IPs, user and host names")] = False,
    only: Annotated[Optional[list[str]], typer.Option("--only", help="Run only these checks (and prerequisites)")] = None,
    skip: Annotated[Optional[list[str]], typer.Option("--skip", help="Leave these checks out")] = None,
    save_facts: Annotated[Optional[str], typer.Option("--save-facts", help="Save collected facts as JSON")] = None,
    from_facts: Annotated[Optional[str], typer.Option("--from-facts", help="Re-diagnose offline from saved facts")] = None,
    filters: Annotated[Optional[list[str]], typer.Option("--filter", help="Fleet: tag:KEY=VALUE (repeatable)")] = None,
    targets_file: Annotated[Optional[str], typer.Option("--targets-file", help="Fleet: one target per line")] = None,
    all_nodes: Annotated[bool, typer.Option("--all", help="Fleet: every managed node in the region(s)")] = False,
    regions: Annotated[Optional[str], typer.Option("--regions", help="Fleet: comma-separated regions")] = None,
    max_workers: Annotated[int, typer.Option("--max-workers", help="Fleet: targets diagnosed at once")] = 4,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List passed checks too")] = False,
) -> None:
    """Diagnose a password reset on one or more nodes; with --reset --user NAME, perform it."""
    from doctor.facts import FactStore, Options

    chosen = _choose_format(fmt, output, ("text", "json", "html", "markdown"))
    only_ids, skip_ids = _split(only), _split(skip)
    from doctor.runner import make_plan

    try:
        plan_ = make_plan(only_ids, skip_ids)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    options = Options(user=user)
    if reset and not user:
        raise UsageError("--reset needs --user NAME: the local user whose password to reset")
    if reset and (len(targets or []) != 1 or filters or targets_file or all_nodes):
        raise UsageError("--reset takes exactly one target (an id or a name), not a fleet")
    if reset and (only_ids or skip_ids) and not force:
        raise UsageError("--reset needs the whole diagnosis: drop --only/--skip, or pass --force to reset anyway")
    if reset and not from_facts:
        from doctor.reset import NO_TERMINAL, stdin_is_terminal

        if not stdin_is_terminal():  # a usage error: say so before any AWS call
            raise UsageError(NO_TERMINAL)

    if from_facts:
        import json

        try:
            with open(from_facts, encoding="utf-8") as handle:
                saved = json.load(handle)
            if user is None and isinstance(saved.get("options"), dict):
                options = Options(user=saved["options"].get("user"))
            store, facts_targets = FactStore.from_json(saved, options)
        except (OSError, ValueError, KeyError, AttributeError) as exc:
            raise UsageError(f"cannot read facts from {from_facts}: {exc}") from None
        selected = [t for t in facts_targets if not targets or t.id in targets or t.name in targets]
        if not selected and not (saved.get("invalid") and not targets):
            raise UsageError(f"{from_facts} has no facts for {', '.join(targets or [])}")
        if reset:
            raise UsageError("--reset cannot be used with --from-facts")
        # Targets that did not resolve when the facts were saved stay in the report, as they were.
        saved_invalid = [(str(i["target"]), str(i["error"])) for i in saved.get("invalid") or ()
                         if isinstance(i, dict) and not targets]
        saved_calls = saved.get("aws_calls") if isinstance(saved.get("aws_calls"), dict) else None
        report = _finish(plan_, store, selected, saved_invalid, chosen, output, verbose, redact, save_facts,
                         max_workers, saved_calls)
        raise typer.Exit(report.exit_code)

    aws = _make_aws(profile, region)
    resolved_region = region or aws.region or ""
    from doctor.targets import looks_like_id

    ids_only = all(looks_like_id(t.strip()) for t in (targets or []))
    if not resolved_region and (not ids_only or filters or all_nodes):
        raise UsageError("no AWS region: pass --region or set AWS_REGION")
    region_list = _split([regions]) if regions else []
    found, invalid = _collect_targets(aws, resolved_region, targets or [], filters or [], targets_file,
                                      all_nodes, region_list)
    store = FactStore(aws, options)
    report = _finish(plan_, store, found, invalid, chosen, output, verbose, redact, save_facts, max_workers)
    if reset:
        from doctor.reset import run_reset

        raise typer.Exit(run_reset(aws, report, found, user or "", yes=yes, force=force, profile=profile))
    raise typer.Exit(report.exit_code)


def _finish(
    plan_: Plan,
    store: FactStore,
    targets: list[Target],
    invalid: list[tuple[str, str]],
    fmt: str,
    output: str | None,
    verbose: bool,
    redact: bool,
    save_facts: str | None,
    max_workers: int,
    aws_calls: dict[str, int] | None = None,
) -> Report:
    from doctor.runner import diagnose

    report = diagnose(plan_, store, targets, invalid, max_workers=max_workers, progress=_progress,
                      redact=redact, aws_calls=aws_calls)
    if save_facts:
        import json

        meta = {"generated_at": report.generated_at, "tool_version": __version__,
                "options": {"user": store.options.user},
                "invalid": [{"target": text, "error": message} for text, message in invalid],
                "aws_calls": dict(sorted(report.aws_calls.items()))}
        with open(save_facts, "w", encoding="utf-8") as handle:
            json.dump(store.to_json(targets, meta), handle, indent=2)
        _progress(f"saved facts to {save_facts}")
    emit(report, fmt, output, verbose, redact)
    if fmt != "text" or output:
        _progress(f"verdict: {', '.join(f'{t.target} {t.verdict.value}' for t in report.targets)}")
    return report


@app.command("checks")
def checks_cmd(
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json, dot, mermaid or markdown")] = "text",
) -> None:
    """Print the check catalogue and its dependency graph."""
    from reports.catalogue import render_catalogue

    if fmt not in ("text", "json", "dot", "mermaid", "markdown"):
        raise UsageError(f"unknown format {fmt!r}; choose text, json, dot, mermaid or markdown")
    sys.stdout.write(render_catalogue(fmt))


@app.command()
def explain(
    text: Annotated[str, typer.Argument(help='The error message, in quotes, or "-" to read it from stdin')],
    target: Annotated[Optional[str], typer.Option("--target", help="Run the checks that confirm each cause on this node")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
    profile: Annotated[Optional[str], typer.Option("--profile")] = None,
    region: Annotated[Optional[str], typer.Option("--region")] = None,
    user: Annotated[Optional[str], typer.Option("--user", "-u")] = None,
) -> None:
    """Map a Session Manager, plugin or AWS CLI error message to its likely causes and fixes."""
    import json

    from doctor.explain import explain as match_error
    from doctor.explain import extract_target

    if fmt not in ("text", "json"):
        raise UsageError(f"unknown format {fmt!r}; choose text or json")
    message = sys.stdin.read() if text == "-" else text
    matches = match_error(message)
    if not matches:
        if fmt == "json":
            _write(json.dumps({"matches": []}, indent=2) + "\n", None)
        _err("no known Session Manager or CLI error matches this text; try ssm-doctor pwreset TARGET for a full diagnosis")
        raise typer.Exit(1)
    if fmt == "json":
        data = {"matches": [
            {"id": m.error.id, "title": m.error.title, "problem": m.error.problem, "doc_url": m.error.doc_url,
             "score": m.score,
             "causes": [{"text": c.text, "checks": list(c.checks), "fix": c.fix} for c in m.error.causes]}
            for m in matches]}
        if not target:
            _write(json.dumps(data, indent=2) + "\n", None)
    else:
        from reports.text import render_explanation

        _write(render_explanation(matches), None)
    node = target
    if not node:
        found = extract_target(message)
        if found:
            _progress(f"the message names {found}; add --target {found} to run the checks that confirm each cause")
        return
    from checks import specs

    known = {spec.id for spec in specs()}
    check_ids = sorted({c for m in matches for cause in m.error.causes for c in cause.checks} & known)
    from doctor.facts import FactStore, Options
    from doctor.runner import diagnose, make_plan
    from doctor.targets import TargetError, resolve

    aws = _make_aws(profile, region)
    resolved_region = region or aws.region or ""
    try:
        node_target = resolve(aws, resolved_region, node)
    except TargetError as exc:
        raise UsageError(str(exc)) from None
    report = diagnose(make_plan(only=check_ids), FactStore(aws, Options(user=user)), [node_target], progress=_progress)
    if fmt == "json":  # one document: the matches and the report of the checks that confirm them
        _write(json.dumps({**data, "report": report.to_json()}, indent=2) + "\n", None)
    else:
        emit(report, "text", None, False)
    raise typer.Exit(report.exit_code)


@app.command("fix")
def fix_cmd(
    target: Annotated[str, typer.Argument(help="i-…, mi-… or a Name tag / computer name")],
    apply: Annotated[bool, typer.Option("--apply", help="Make the changes (the default is a dry run)")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    profile: Annotated[Optional[str], typer.Option("--profile", help="AWS profile")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="AWS region")] = None,
    instance_profile: Annotated[Optional[str], typer.Option("--instance-profile", help="node.identity: the instance profile to associate")] = None,
    kms_key: Annotated[Optional[str], typer.Option("--kms-key", help="prefs.kms: the KMS key for session encryption")] = None,
    accept_charges: Annotated[bool, typer.Option("--accept-charges", help="hybrid.tier: agree to the advanced tier's charges")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="agent.version: seconds to wait for the update")] = 600.0,
) -> None:
    """Apply the standard remedy for each failing check that has one (dry run unless --apply)."""
    from doctor.fixes import FixOptions, run_fix

    if not timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout:g}")
    aws = _make_aws(profile, region)
    resolved_region = region or aws.region or ""
    from doctor.targets import looks_like_id

    if not resolved_region and not looks_like_id(target.strip()):
        raise UsageError("no AWS region: pass --region or set AWS_REGION")
    found, _ = _collect_targets(aws, resolved_region, [target], [], None, False, [])
    options = FixOptions(instance_profile=instance_profile, kms_key=kms_key, accept_charges=accept_charges,
                         timeout=timeout)
    raise typer.Exit(run_fix(aws, found[0], options, apply=apply, yes=yes, progress=_progress))


@app.command()
def demo(
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write the fleet report to FILE")] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="json, html, markdown or text")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    redact: Annotated[bool, typer.Option("--redact", help="Mask account ids, IPs, user and host names")] = False,
) -> None:
    """Diagnose the built-in sandbox fleet (no AWS account, no network)."""
    from doctor.demo import run_demo

    chosen = _choose_format(fmt, output, ("text", "json", "html", "markdown")) if (fmt or output) else None
    raise typer.Exit(run_demo(output, chosen, verbose, progress=_progress, redact=redact))


@app.command()
def render(
    report_file: Annotated[str, typer.Argument(help="A JSON report written by ssm-doctor")],
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="html, markdown, text or json")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o")] = None,
    redact: Annotated[bool, typer.Option("--redact")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Re-render a saved JSON report."""
    import json

    from doctor.model import Report

    chosen = _choose_format(fmt, output, ("text", "json", "html", "markdown"))
    try:
        with open(report_file, encoding="utf-8") as handle:
            report = Report.from_json(json.load(handle))
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"cannot read report {report_file}: {exc}") from None
    emit(report, chosen, output, verbose, redact)


@app.command()
def policy(
    kind: Annotated[str, typer.Option("--for", help="doctor: what a diagnosis reads; reset: what a reset needs")],
    kms_key: Annotated[Optional[str], typer.Option("--kms-key", help="reset: the session KMS key ARN")] = None,
) -> None:
    """Print the least-privilege IAM policy for running a diagnosis or for resetting passwords."""
    from doctor.policies import policy_text

    try:
        text, note = policy_text(kind, kms_key)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    _write(text, None)
    _progress(note)


@app.command()
def version() -> None:
    """Print the version."""
    print(__version__)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point: maps every outcome to SPEC's exit codes, never a traceback."""
    try:
        code = app(args=list(argv) if argv is not None else None, standalone_mode=False)
    except UsageError as exc:
        _err(str(exc))
        sys.exit(EXIT_USAGE)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        # By class name: typer may raise its own vendored copy of click's exceptions.
        kinds = {cls.__name__ for cls in type(exc).__mro__}
        if "Abort" in kinds:
            _err("aborted")
            sys.exit(EXIT_INTERRUPTED)
        if "ClickException" in kinds and hasattr(exc, "format_message"):
            _err(str(exc.format_message()).splitlines()[0])
            sys.exit(EXIT_USAGE)
        if os.environ.get("SSM_DOCTOR_DEBUG"):
            raise
        _err(f"internal error: {type(exc).__name__}: {exc} (set SSM_DOCTOR_DEBUG=1 for a traceback)")
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
