"""Collectors: the only code that talks to AWS or runs the local plugin.

Each collector is registered under a fact name with its scope (``local``: the caller's machine
and credentials; ``region``: the account in one region; ``target``: one node). It returns a
JSON-compatible value or raises :class:`~doctor.facts.UnavailableError` (through
``ctx.call``), which the store records as an :class:`~doctor.facts.Unavailable`.
Every AWS call made by a collector is a read: Describe*, Get*, List*, Simulate* or
GetCallerIdentity.

Importing this package registers every collector.
"""

from doctor.collectors import iam, local, network, node, prefs

__all__ = ["iam", "local", "network", "node", "prefs"]
