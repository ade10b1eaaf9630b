"""Benchmarks: start-up time, diagnosis time, AWS calls per diagnosis and peak memory.

Prints figures; asserts nothing (timings on shared machines are noisy). Run:

    python benchmarks/bench.py
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], repeat: int, env: dict[str, str] | None = None) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT, check=False)
        times.append(time.perf_counter() - start)
    return times


def show(label: str, times: list[float]) -> None:
    print(f"{label:<44} median {statistics.median(times) * 1000:7.0f} ms   min {min(times) * 1000:7.0f} ms"
          f"   (n={len(times)})")


def main() -> None:
    py = sys.executable
    show("ssm-doctor --help", timed([py, "-m", "doctor.cli", "--help"], 10))
    show("ssm-doctor checks", timed([py, "-m", "doctor.cli", "checks"], 5))

    sys.path.insert(0, str(ROOT))
    from doctor.aws import Aws
    from doctor.demo import standin_plugin
    from doctor.facts import FactStore, Options, Target
    from doctor.runner import diagnose, make_plan
    from doctor.sandbox.fleet import SCENARIOS
    from doctor.sandbox.server import in_process

    start = time.perf_counter()
    with in_process(seed_fleet=True) as sandbox, standin_plugin():
        seeded = time.perf_counter()
        print(f"{'sandbox start + seed (in-process)':<44} {(seeded - start) * 1000:7.0f} ms "
              f"({len(sandbox.targets)} nodes)")
        targets = [Target(sandbox.targets[s.key], s.region, s.name) for s in SCENARIOS if s.key in sandbox.targets]
        plan_ = make_plan()
        per_node = []
        for target in targets:
            aws = Aws(region=sandbox.region)
            t0 = time.perf_counter()
            report = diagnose(plan_, FactStore(aws, Options(user="admin")), [target], max_workers=1)
            per_node.append((time.perf_counter() - t0, sum(report.aws_calls.values()), target, report))
        show("one node, cold facts (in-process moto)", [p[0] for p in per_node])
        for elapsed, calls, _target, report in per_node:
            t = report.targets[0]
            print(f"   {t.target:<22} {t.verdict.value:<10} {calls:3d} AWS calls  {elapsed * 1000:6.0f} ms")
        aws = Aws(region=sandbox.region)
        t0 = time.perf_counter()
        fleet = diagnose(plan_, FactStore(aws, Options(user="admin")), targets, max_workers=4)
        fleet_time = time.perf_counter() - t0
        total = sum(fleet.aws_calls.values())
        print(f"{'whole fleet, shared facts, 4 workers':<44} {fleet_time * 1000:7.0f} ms   {total} AWS calls "
              f"for {len(targets)} nodes")
        print("calls by operation (fleet):", json.dumps(dict(sorted(fleet.aws_calls.items()))))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{'peak RSS of this process':<44} {rss / 1024:7.1f} MiB")
    print(f"python {sys.version.split()[0]} on {os.uname().machine}, {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
