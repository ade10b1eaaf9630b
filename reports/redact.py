"""Redaction: a copy of a report with personal and account data masked, for sharing.

Masked: AWS account ids, IPv4 and IPv6 addresses, IAM user, role and session names taken from
ARNs, host and computer names (evidence such as ``ComputerName``, EC2-style host names, the
target's name) and operating-system user names (also in home-directory paths). Instance ids (``i-…``, ``mi-…``) stay.

It works in two passes. The first walks the whole report and collects the sensitive values: from
the caller, from evidence keys that name them, from ARNs, and from patterns (twelve-digit numbers,
IP addresses, EC2 host names) anywhere in the text. Each distinct value gets a numbered mask for its
kind (``ACCOUNT-1``, ``IP-1``, ``USER-1``, ``ROLE-1``, ``HOST-1``), in the order first met, so a
value masks the same way wherever it appears. The second pass replaces every value in every
string of the report, longest first and only as a whole word, in evidence keys and values, summaries,
fixes and commands, the caller, target names and errors.

The catalogue's own fields (check ids, titles, problem ids, doc links, prerequisites) carry no
data about the run and are left as they are, so links and cross-references keep working.
Dotted numbers that are software versions (evidence under a key naming a version, or text
right after "agent", "plugin", "version" …) are not IP addresses and stay. Well-known addresses
that identify nothing (``0.0.0.0``, ``127.0.0.1``, the instance metadata address) stay too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from doctor.model import Caller, Finding, Fix, Report, TargetReport

ACCOUNT, IP, USER, ROLE, HOST = "ACCOUNT", "IP", "USER", "ROLE", "HOST"

_ACCOUNT_RE = re.compile(r"(?<![0-9A-Za-z])\d{12}(?![0-9A-Za-z])")
_IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6_RE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?![\w:])")
_EC2_HOST_RE = re.compile(r"(?<![\w.-])(?:ip|ec2)-\d{1,3}(?:-\d{1,3}){3}(?:\.[A-Za-z0-9-]+)*", re.IGNORECASE)
_NAME = r"[\w+=,.@-]+"
_IAM_ARN_RE = re.compile(
    rf"arn:aws[\w-]*:(?:iam|sts)::[^:\s]*:"
    rf"(?:(?P<kind>user|role|instance-profile|federated-user)/(?P<path>(?:{_NAME}/)*)(?P<name>{_NAME})"
    rf"|assumed-role/(?P<role>{_NAME})/(?P<session>{_NAME}))"
)
_INSTANCE_ID_RE = re.compile(r"^m?i-[0-9a-f]{8,17}$")
# The user name in a home directory path: /home/NAME, /Users/NAME, C:\Users\NAME.
_HOME_DIR_RE = re.compile(r"(?:/home/|/Users/|\b[A-Za-z]:[\\/]+Users[\\/]+)(?P<name>[^\\/\s'\"]+)")
# A dotted quad right after one of these words is a version, not an address.
_VERSION_CONTEXT = re.compile(r"(?i)(?:version|agent|plugin|than|least|≥|>=)\W{0,3}$")
_KEEP_ADDRESSES = frozenset({"0.0.0.0", "127.0.0.1", "169.254.169.254", "255.255.255.255", "::", "::1",
                             "fd00:ec2::254"})
_MASK_RE = re.compile(r"^(?:ACCOUNT|IP|USER|ROLE|HOST)-\d+$")


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


_KEY_KINDS: dict[str, str] = {
    **dict.fromkeys(("account", "accountid", "awsaccount", "awsaccountid", "ownerid"), ACCOUNT),
    **dict.fromkeys(("ip", "ipaddress", "privateip", "publicip", "privateipaddress", "publicipaddress",
                     "sourceip", "ipv6", "ipv6address"), IP),
    **dict.fromkeys(("username", "user", "osuser", "localuser", "runasuser"), USER),
    **dict.fromkeys(("iamrole", "role", "rolename", "instanceprofile", "instanceprofilename"), ROLE),
    **dict.fromkeys(("computername", "hostname", "host", "privatednsname", "publicdnsname", "dnsname", "fqdn",
                     "nodename", "instancename", "computer"), HOST),
}


def redact_report(report: Report) -> Report:
    """A copy of ``report`` with account ids, addresses, user, role and host names masked."""
    masker = _Masker()
    masker.collect(report)
    return masker.apply(report)


class _Masker:
    def __init__(self) -> None:
        self.masks: dict[str, str] = {}  # lower-cased value -> mask
        self.counts: dict[str, int] = {}
        self.versions: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._accounts: re.Pattern[str] | None = None
        self._short: dict[str, str] = {}

    # --- collecting ---------------------------------------------------------------------------

    def add(self, kind: str, value: Any) -> None:
        if not isinstance(value, str):
            if isinstance(value, int) and not isinstance(value, bool) and kind == ACCOUNT:
                value = str(value)
            else:
                return
        value = value.strip()
        if not value or _INSTANCE_ID_RE.match(value) or _MASK_RE.match(value) or value.lower() in self.masks:
            return
        if kind == IP and value in _KEEP_ADDRESSES:
            return
        if kind == ACCOUNT and not re.fullmatch(r"\d{12}", value):
            return
        if kind == IP and not _is_ip(value):
            return
        if kind in (HOST, ROLE, USER) and _IAM_ARN_RE.search(value):
            return  # an ARN under a name-like key: its parts are collected from the text scan
        if kind == HOST and "." in value and not _is_ip(value):
            short = value.split(".", 1)[0].lower()
            if short in self.masks:  # the full name of a host already met by its short name
                self.masks[value.lower()] = self.masks[short]
                return
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.masks[value.lower()] = f"{kind}-{self.counts[kind]}"
        if kind == HOST and "." in value and not _is_ip(value):
            self.add_alias(value.split(".", 1)[0], value)

    def add_alias(self, alias: str, value: str) -> None:
        """Mask a short host name the same way as the full one it belongs to."""
        if len(alias) >= 3 and alias.lower() not in self.masks and not _INSTANCE_ID_RE.match(alias):
            self.masks[alias.lower()] = self.masks[value.lower()]

    def collect(self, report: Report) -> None:
        caller = report.caller
        self.add(ACCOUNT, caller.account)
        self.scan(caller.arn)
        for t in report.targets:
            for f in t.findings:
                self._versions(f.evidence, False)
        for t in report.targets:
            self.add(HOST, t.name)
            if t.error:
                self.add(HOST, t.target)
            for f in t.findings:
                self._evidence(f.evidence, None)
        for text in _strings(report):
            self.scan(text)

    def _versions(self, value: Any, versioned: bool) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                key = _norm(str(k))
                self._versions(v, versioned or "version" in key or key == "required")
        elif isinstance(value, (list, tuple)):
            for v in value:
                self._versions(v, versioned)
        elif isinstance(value, str) and versioned:
            self.versions.update(m.group(0) for m in _IPV4_RE.finditer(value))

    def _evidence(self, value: Any, kind: str | None) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                self._evidence(v, _KEY_KINDS.get(_norm(str(k))))
        elif isinstance(value, (list, tuple)):
            for v in value:
                self._evidence(v, kind)
        elif kind is not None:
            self.add(kind, value)

    def scan(self, text: str) -> None:
        """Collect what patterns find in free text: ARNs' parts, account ids, addresses, EC2 host names."""
        for m in _IAM_ARN_RE.finditer(text):
            if m.group("kind"):
                kind = USER if m.group("kind") in ("user", "federated-user") else ROLE
                self.add(kind, m.group("path") + m.group("name"))
                full = (m.group("path") + m.group("name")).lower()
                if m.group("path") and full in self.masks and m.group("name").lower() not in self.masks:
                    self.masks[m.group("name").lower()] = self.masks[full]
            else:
                self.add(ROLE, m.group("role"))
                self.add(USER, m.group("session"))
        for m in _HOME_DIR_RE.finditer(text):
            if m.group("name").lower() not in ("public", "shared", "default", "all users"):
                self.add(USER, m.group("name"))
        for m in _ACCOUNT_RE.finditer(text):
            self.add(ACCOUNT, m.group(0))
        for m in _EC2_HOST_RE.finditer(text):
            self.add(HOST, m.group(0))
        for m in _IPV4_RE.finditer(text):
            if m.group(0) not in self.versions and not _VERSION_CONTEXT.search(text[max(0, m.start() - 24):m.start()]):
                self.add(IP, m.group(0))
        for m in _IPV6_RE.finditer(text):
            self.add(IP, m.group(0))

    # --- replacing ----------------------------------------------------------------------------

    def apply(self, report: Report) -> Report:
        long_values = sorted((v for v in self.masks if len(v) >= 3), key=lambda v: (-len(v), v))
        self._short = {v: m for v, m in self.masks.items() if len(v) < 3}
        if long_values:
            alternation = "|".join(re.escape(v) for v in long_values)
            self._pattern = re.compile(rf"(?<![A-Za-z0-9_])(?:{alternation})(?![A-Za-z0-9_])", re.IGNORECASE)
        # A known account id is masked wherever it stands between non-digits: in "logs_123456789012" or
        # "x123456789012" too, where a pattern could not tell it from other numbers.
        accounts = sorted(v for v, m in self.masks.items() if m.startswith(ACCOUNT + "-") and v.isdigit())
        if accounts:
            self._accounts = re.compile(rf"(?<!\d)(?:{'|'.join(accounts)})(?!\d)")
        caller = report.caller
        return replace(
            report,
            caller=Caller(self.text(caller.arn), self.text(caller.account), self.text(caller.region)),
            targets=tuple(self._target(t) for t in report.targets),
        )

    def text(self, value: str) -> str:
        if not value:
            return value
        whole = self._short.get(value.strip().lower())
        if whole:
            return whole
        if self._pattern is not None:
            value = self._pattern.sub(lambda m: self.masks[m.group(0).lower()], value)
        if self._accounts is not None:
            value = self._accounts.sub(lambda m: self.masks[m.group(0)], value)
        for short, mask in self._short.items():
            value = re.sub(rf"(['\"]){re.escape(short)}\1", rf"\g<1>{mask}\g<1>", value, flags=re.IGNORECASE)
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int) and str(value).lower() in self.masks:
            return self.masks[str(value)]
        if isinstance(value, Mapping):  # keys can hold data too (a key policy's principals, say)
            return {self.text(k) if isinstance(k, str) else k: self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value

    def _target(self, t: TargetReport) -> TargetReport:
        return replace(
            t,
            target=self.text(t.target),
            name=self.text(t.name),
            region=self.text(t.region),
            error=self.text(t.error),
            findings=tuple(self._finding(f) for f in t.findings),
        )

    def _finding(self, f: Finding) -> Finding:
        return replace(
            f,
            summary=self.text(f.summary),
            evidence=self.value(dict(f.evidence)),
            remediation=Fix(tuple(self.text(s) for s in f.remediation.steps),
                            tuple(self.text(c) for c in f.remediation.commands)),
            missing=tuple(self.text(m) for m in f.missing),
            reason=self.text(f.reason),
        )


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _strings(report: Report) -> Iterator[str]:
    """Every string of the report that redaction rewrites."""
    yield from (report.caller.arn, report.caller.account)
    for t in report.targets:
        yield from (t.target, t.name, t.error)
        for f in t.findings:
            yield from (f.summary, f.reason, *f.missing, *f.remediation.steps, *f.remediation.commands)
            yield from _evidence_strings(f.evidence)


def _evidence_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(k, str):
                yield k
            yield from _evidence_strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _evidence_strings(v)
    elif isinstance(value, int) and not isinstance(value, bool) and 10**11 <= value < 10**12:
        yield str(value)
