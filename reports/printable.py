"""Make a report's text safe to show: control and bidirectional-override characters become visible escapes.

Names, tags, evidence and whole reports read back with ``render`` come from elsewhere. Printed raw, an
escape sequence in an EC2 Name tag (EC2 tag values may hold any character) could clear a terminal,
retitle it or write to its clipboard, and a right-to-left override could make a name or a command read
differently from what it is. The human formats (text, Markdown, HTML) therefore show every such
character as ``\\xNN`` or ``\\uNNNN``. Line feeds and tabs stay. JSON keeps the data exactly as it is.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")

# C0 controls but tab and line feed, DEL, C1 controls, and the characters that change text direction
# or separate lines and paragraphs.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control and direction-changing characters written as visible escapes."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def printable_value(value: Any) -> Any:
    """A copy of ``value`` (strings, mappings, sequences, frozen dataclasses) with every string made printable."""
    if isinstance(value, Enum) or value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Mapping):
        return {printable_value(k): printable_value(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(printable_value(v) for v in value)
    if isinstance(value, list):
        return [printable_value(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: printable_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def printable_report(report: T) -> T:
    """A copy of a report (or any part of one) that is safe to print; the report itself if nothing needed it."""
    result: T = printable_value(report)
    return report if result == report else result
