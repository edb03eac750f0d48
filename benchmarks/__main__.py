"""Run benchmark cases, each framework in its own process, alternating.

Usage: python -m benchmarks [case …] [--rounds N] [--repeats N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from benchmarks.cases import CASES


def _run_one(case: str, framework: str, repeats: int) -> list:
    code = (
        "import json, sys; from benchmarks.cases import CASES; "
        f"print(json.dumps(CASES[{case!r}]({framework!r}, {repeats})))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("cases", nargs="*", default=sorted(CASES), help="cases to run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating process rounds")
    parser.add_argument("--repeats", type=int, default=100, help="timed runs per process")
    parser.add_argument("--json", help="write the raw timings here")
    args = parser.parse_args(argv)
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; known: {sorted(CASES)}")

    report = {}
    for case in args.cases:
        times = {"treino": [], "torch": []}
        for _ in range(args.rounds):
            for framework in ("treino", "torch"):
                times[framework] += _run_one(case, framework, args.repeats)
        med = {f: statistics.median(t) for f, t in times.items()}
        print(f"\n{case}: {args.rounds} rounds × {args.repeats} runs per framework")
        for f, t in times.items():
            print(f"  {f:7s} min {min(t)*1e3:8.3f} ms  median {med[f]*1e3:8.3f} ms  "
                  f"max {max(t)*1e3:8.3f} ms")  # fmt: skip
        ratio = med["treino"] / med["torch"]
        print(f"  treino / PyTorch (medians): {ratio:.2f}")
        report[case] = {"times": times, "ratio": ratio}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
