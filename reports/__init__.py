"""Renderers: they see only the :class:`~doctor.model.Report`."""

from __future__ import annotations

import json

from doctor.model import Report

FORMATS = ("text", "json", "html", "markdown")
_EXTENSIONS = {".json": "json", ".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown",
               ".txt": "text"}


def format_for_path(path: str | None) -> str | None:
    """The format an output file's extension implies, if any."""
    if not path:
        return None
    lowered = path.lower()
    for ext, fmt in _EXTENSIONS.items():
        if lowered.endswith(ext):
            return fmt
    return None


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def render(report: Report, fmt: str, *, verbose: bool = False, color: bool = False) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "text":
        from reports.text import render_text

        return render_text(report, verbose=verbose, color=color)
    if fmt == "html":
        from reports.html import render_html

        return render_html(report)
    if fmt == "markdown":
        from reports.markdown import render_markdown

        return render_markdown(report)
    raise ValueError(f"unsupported format {fmt!r}")
