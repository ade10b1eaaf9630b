"""Session Manager preferences: reading the ``SSM-SessionManagerRunShell`` document.

The preferences are an SSM Session document per account and region. Its ``inputs`` hold the KMS
key that encrypts session data and the S3 / CloudWatch Logs destinations for session logs. SSM Agent
reads the encryption flags as either JSON booleans or strings, so both are accepted here, the way
the agent parses them. Pure functions only: no AWS calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"

# The flag fields in ``inputs`` (SSM Agent types them loosely: boolean or string).
FLAG_FIELDS = ("s3EncryptionEnabled", "cloudWatchEncryptionEnabled", "cloudWatchStreamingEnabled", "runAsEnabled")
# What Go's strconv.ParseBool accepts, which is how the agent reads a string flag.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


class PreferencesError(ValueError):
    """The preferences document exists but cannot be read as Session Manager preferences."""


def flag(value: Any) -> bool | None:
    """A preferences flag as the agent reads it; ``None`` when the value is not a boolean at all.

    An absent flag (``None``) or an empty string counts as false.
    """
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


@dataclass(frozen=True)
class Preferences:
    """The settings of ``SSM-SessionManagerRunShell`` that password reset depends on.

    ``exists`` is false when the account never saved preferences in the region: AWS then applies
    its defaults, which include no KMS encryption and no logging.
    """

    exists: bool
    document_version: str = ""
    kms_key_id: str = ""
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_encryption: bool = False
    cloudwatch_group: str = ""
    cloudwatch_encryption: bool = False
    cloudwatch_streaming: bool = False
    session_type: str = ""
    inputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kms_enabled(self) -> bool:
        return bool(self.kms_key_id)

    @property
    def s3_logging(self) -> bool:
        return bool(self.s3_bucket)

    @property
    def cloudwatch_logging(self) -> bool:
        return bool(self.cloudwatch_group)

    def summary(self) -> dict[str, Any]:
        """The settings as evidence for a report."""
        return {
            "document": PREFERENCES_DOCUMENT,
            "exists": self.exists,
            "document_version": self.document_version or None,
            "kmsKeyId": self.kms_key_id,
            "s3BucketName": self.s3_bucket,
            "s3KeyPrefix": self.s3_prefix,
            "s3EncryptionEnabled": self.s3_encryption,
            "cloudWatchLogGroupName": self.cloudwatch_group,
            "cloudWatchEncryptionEnabled": self.cloudwatch_encryption,
            "cloudWatchStreamingEnabled": self.cloudwatch_streaming,
        }


def _text(inputs: Mapping[str, Any], name: str) -> str:
    value = inputs.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PreferencesError(f"inputs.{name} must be a string, not {type(value).__name__} ({value!r})")
    return value.strip()


def parse_preferences(fact: Mapping[str, Any] | None) -> Preferences:
    """Read the ``session_preferences`` fact; raises :class:`PreferencesError` for unusable content."""
    if not fact or not fact.get("exists"):
        return Preferences(exists=False)
    content = fact.get("content")
    if not isinstance(content, str) or not content.strip():
        raise PreferencesError("the document has no content")
    try:
        document = json.loads(content)
    except ValueError as exc:
        raise PreferencesError(f"the content is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise PreferencesError(f"the content is a JSON {type(document).__name__}, not an object")
    inputs = document.get("inputs", {})
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise PreferencesError(f"inputs must be an object, not {type(inputs).__name__}")
    flags: dict[str, bool] = {}
    for name in FLAG_FIELDS:
        value = flag(inputs.get(name))
        if value is None:
            raise PreferencesError(f"inputs.{name} is {inputs.get(name)!r}, which is neither true nor false")
        flags[name] = value
    return Preferences(
        exists=True,
        document_version=str(fact.get("document_version") or ""),
        kms_key_id=_text(inputs, "kmsKeyId"),
        s3_bucket=_text(inputs, "s3BucketName"),
        s3_prefix=_text(inputs, "s3KeyPrefix").strip("/"),
        s3_encryption=flags["s3EncryptionEnabled"],
        cloudwatch_group=_text(inputs, "cloudWatchLogGroupName"),
        cloudwatch_encryption=flags["cloudWatchEncryptionEnabled"],
        cloudwatch_streaming=flags["cloudWatchStreamingEnabled"],
        session_type=str(document.get("sessionType") or ""),
        inputs=dict(inputs),
    )


def preferences_or_none(fact: Mapping[str, Any] | None) -> Preferences | None:
    """Like :func:`parse_preferences`, but ``None`` for unusable content (for collectors)."""
    try:
        return parse_preferences(fact)
    except PreferencesError:
        return None
