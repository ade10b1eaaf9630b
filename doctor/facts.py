"""Facts: what the collectors gathered, memoised per run and replayable from JSON.

A fact is a JSON-compatible value (dicts, lists, strings, numbers, booleans, None) or an
:class:`Unavailable` saying which call could not be made and why. Facts are collected lazily the
first time a check or another collector asks for them, so ``--only`` makes only the calls it
needs, and facts that do not depend on the target (the caller, the account's Session Manager
preferences, a role's policies) are fetched once for a whole fleet.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from doctor.aws import Aws

FACTS_SCHEMA = "ssm-doctor/facts/v1"
Scope = Literal["local", "region", "target"]


@dataclass(frozen=True)
class Unavailable:
    """A fact that could not be collected: the call, the error code, and the permission it needs."""

    operation: str
    code: str
    message: str = ""
    permission: str = ""

    def describe(self) -> str:
        what = f"{self.operation} failed with {self.code}"
        if self.permission and self.code in ACCESS_DENIED_CODES:
            what = f"{self.operation} was denied (needs {self.permission})"
        return what

    def to_json(self) -> dict[str, str]:
        return asdict(self)


#: The code of an Unavailable that stands for a collector that crashed (a bug, not missing data).
COLLECTOR_ERROR = "CollectorError"

ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "Forbidden"}
)


class UnavailableError(Exception):
    """Raised inside a collector to abandon it with an :class:`Unavailable` value."""

    def __init__(self, unavailable: Unavailable) -> None:
        super().__init__(unavailable.describe())
        self.unavailable = unavailable


@dataclass(frozen=True)
class Target:
    """A resolved node to diagnose."""

    id: str
    region: str
    name: str = ""

    @property
    def kind(self) -> str:
        return "hybrid" if self.id.startswith("mi-") else "ec2"

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "region": self.region, "name": self.name}


@dataclass(frozen=True)
class Options:
    """What the user asked for that checks need to see."""

    user: str | None = None


Collector = Callable[["Context"], Any]


@dataclass(frozen=True)
class FactDef:
    name: str
    scope: Scope
    func: Collector
    doc: str = ""


REGISTRY: dict[str, FactDef] = {}


def fact(name: str, scope: Scope) -> Callable[[Collector], Collector]:
    """Register a collector for the fact ``name``."""

    def register(func: Collector) -> Collector:
        if name in REGISTRY and REGISTRY[name].func is not func:
            raise ValueError(f"fact {name!r} registered twice")
        REGISTRY[name] = FactDef(name, scope, func, (func.__doc__ or "").strip().splitlines()[0:1][0]
                                 if func.__doc__ else "")
        return func

    return register


def definition_of(name: str) -> FactDef | None:
    """The collector for a fact. A keyed fact ``family:key`` (say ``iam_role:Admin``) uses the collector
    registered as ``family:*``, which reads the key from ``Context.param``; each key is memoised on its own."""
    _ensure_registered()
    found = REGISTRY.get(name)
    if found is None and ":" in name:
        found = REGISTRY.get(name.split(":", 1)[0] + ":*")
    return found


def _ensure_registered() -> None:
    """Importing the collectors package registers every collector (once)."""
    if not REGISTRY:
        import doctor.collectors  # noqa: F401


def jsonable(value: Any) -> Any:
    """Convert an AWS response into plain JSON values (datetimes to ISO-8601 UTC strings)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    value: Any = None


class FactStore:
    """Memoised facts for one run, shared by all targets; live (with AWS) or replayed from JSON."""

    def __init__(self, aws: Aws | None, options: Options = Options(), *, replay: bool = False) -> None:
        self.aws = aws
        self.options = options
        self.replay = replay
        self._slots: dict[tuple[str, ...], _Slot] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(name: str, target: Target | None, region: str) -> tuple[str, ...]:
        definition = definition_of(name)
        scope = definition.scope if definition else "target"
        if scope == "local":
            return ("local", name)
        if scope == "region" or target is None:
            return ("region", region, name)
        return ("target", target.id, name)

    def get(self, name: str, target: Target | None, region: str) -> Any:
        key = self.key(name, target, region)
        with self._lock:
            slot = self._slots.setdefault(key, _Slot())
        with slot.lock:
            if not slot.done:
                slot.value = self._collect(name, target, region)
                slot.done = True
            return slot.value

    def peek(self, name: str, target: Target | None, region: str, default: Any = None) -> Any:
        """A fact if it has been collected already, else ``default``; never collects."""
        key = self.key(name, target, region)
        with self._lock:
            slot = self._slots.get(key)
        if slot is None or not slot.done:
            return default
        return slot.value

    def _collect(self, name: str, target: Target | None, region: str) -> Any:
        if self.replay or self.aws is None:
            return Unavailable("replay", "NotCollected", f"the saved facts do not include {name!r}")
        definition = definition_of(name)
        if definition is None:
            raise KeyError(f"no collector for fact {name!r}")
        ctx = Context(self, target, region, name.split(":", 1)[1] if definition.name.endswith(":*") else "")
        try:
            return definition.func(ctx)
        except UnavailableError as exc:
            return exc.unavailable
        except Exception as exc:  # a collector bug (say, an answer of an unexpected shape) must not end the run
            return Unavailable(f"collecting {name}", COLLECTOR_ERROR, f"{type(exc).__name__}: {exc}"[:500])

    def put(self, key: tuple[str, ...], value: Any) -> None:
        with self._lock:
            self._slots[key] = _Slot(done=True, value=value)

    def items(self) -> Iterator[tuple[tuple[str, ...], Any]]:
        with self._lock:
            slots = list(self._slots.items())
        for key, slot in slots:
            if slot.done:
                yield key, slot.value

    # --- serialisation -------------------------------------------------------------------------

    def to_json(self, targets: list[Target], meta: Mapping[str, Any]) -> dict[str, Any]:
        facts = []
        for key, value in sorted(self.items(), key=lambda kv: kv[0]):
            entry: dict[str, Any] = {"key": list(key)}
            if isinstance(value, Unavailable):
                entry["unavailable"] = value.to_json()
            else:
                entry["value"] = value
            facts.append(entry)
        return {
            "schema": FACTS_SCHEMA,
            **dict(meta),
            "targets": [t.to_json() for t in targets],
            "facts": facts,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], options: Options) -> tuple[FactStore, list[Target]]:
        if data.get("schema") != FACTS_SCHEMA:
            raise ValueError(f"not an ssm-doctor facts file (schema {data.get('schema')!r})")
        store = cls(None, options, replay=True)
        for entry in data.get("facts", ()):
            key = tuple(entry["key"])
            if "unavailable" in entry:
                store.put(key, Unavailable(**entry["unavailable"]))
            else:
                store.put(key, entry.get("value"))
        targets = [Target(t["id"], t["region"], t.get("name", "")) for t in data.get("targets", ())]
        return store, targets


class Context:
    """What a collector sees: the target, the region, other facts, and AWS clients."""

    def __init__(self, store: FactStore, target: Target | None, region: str, param: str = "") -> None:
        self.store = store
        self.target = target
        self.region = region
        self.param = param  # the key of a keyed fact (see definition_of)

    @property
    def options(self) -> Options:
        return self.store.options

    @property
    def aws(self) -> Aws:
        if self.store.aws is None:
            raise UnavailableError(Unavailable("aws", "NoSession", "no AWS session in this run"))
        return self.store.aws

    def fact(self, name: str) -> Any:
        """Another fact; an unavailable one abandons this collector with the same cause."""
        value = self.store.get(name, self.target, self.region)
        if isinstance(value, Unavailable):
            raise UnavailableError(value)
        return value

    def call(self, service: str, operation: str, expect: Mapping[str, Any] | None = None, **params: Any) -> Any:
        """Make one read-only AWS call; errors become :class:`Unavailable` (or an expected value)."""
        return self.aws.call(service, operation, self.region, expect=expect, **params)

    def paginate(self, service: str, operation: str, result_key: str, **params: Any) -> list[Any]:
        return self.aws.paginate(service, operation, self.region, result_key, **params)
