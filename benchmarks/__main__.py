"""Run the benchmark suite: treino beside PyTorch, each framework in its own process.

Usage: python -m benchmarks [case …] [--rounds 3] [--threads N] [--quick] [--json FILE]

Each round runs every case once per framework, alternating treino and
PyTorch in fresh processes (NumPy's and PyTorch's thread pools interfere
inside one; alternating spreads the machine's noise over both). Both use the
same number of threads. The report gives, per case and framework, min /
median / max over all rounds, the treino/PyTorch ratio of medians and the
peak resident memory of the processes; ``--json`` keeps the raw numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

from benchmarks.cases import CASES

FRAMEWORKS = ("treino", "torch")

CHILD = """
import json, sys
from benchmarks.runner import limit_threads, peak_rss_mib
limit_threads(sys.argv[2], int(sys.argv[3]))
from benchmarks.cases import CASES
result = CASES[sys.argv[1]](sys.argv[2], quick=sys.argv[4] == "1")
result["peak_rss_mib"] = peak_rss_mib()
print(json.dumps(result))
"""


def run_case(case: str, framework: str, threads: int, quick: bool) -> dict:
    """One case in a fresh process; returns its JSON result."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, case, framework, str(threads), "1" if quick else "0"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"{case} ({framework}) failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarize(case: str, runs: dict) -> dict:
    """Merge the rounds of one case: times, medians, ratio, peak RSS, roofline fraction."""
    summary = {"case": case, "doc": (CASES[case].__doc__ or "").strip().splitlines()[0]}
    for framework, results in runs.items():
        times = [t for r in results for t in r["times"]]
        entry = {"times": times, "unit": results[0]["unit"], "min": min(times),
                 "median": statistics.median(times), "max": max(times),
                 "peak_rss_mib": max(r["peak_rss_mib"] for r in results)}  # fmt: skip
        if "flops" in results[0]:
            peak = statistics.median(r["peak_flops"] for r in results)
            entry["peak_gflops"] = peak / 1e9
            entry["roofline_fraction"] = results[0]["flops"] / peak / entry["median"]
        if "samples" in results[0]:
            entry["samples_per_s"] = results[0]["samples"] / entry["median"]
        summary[framework] = entry
    summary["ratio"] = summary["treino"]["median"] / summary["torch"]["median"]
    summary["rss_ratio"] = summary["treino"]["peak_rss_mib"] / summary["torch"]["peak_rss_mib"]
    return summary


def _seconds(value: float) -> str:
    return f"{value * 1e3:8.2f} ms" if value < 1 else f"{value:8.3f} s "


def report(summary: dict) -> str:
    lines = [f"{summary['case']}: {summary['doc']}"]
    for framework in FRAMEWORKS:
        e = summary[framework]
        line = (f"  {framework:7s} min {_seconds(e['min'])}  median {_seconds(e['median'])}  "
                f"max {_seconds(e['max'])}  ({e['unit']}, {len(e['times'])} runs)  "
                f"peak RSS {e['peak_rss_mib']:6.0f} MiB")  # fmt: skip
        if "roofline_fraction" in e:
            line += (f"  roofline {e['roofline_fraction']:.0%} of "
                     f"{e['peak_gflops']:.0f} GFLOP/s")  # fmt: skip
        if "samples_per_s" in e:
            line += f"  {e['samples_per_s']:,.0f} samples/s"
        lines.append(line)
    lines.append(f"  treino / PyTorch: time {summary['ratio']:.2f} (medians), "
                 f"peak RSS {summary['rss_ratio']:.2f}")  # fmt: skip
    return "\n".join(lines)


def machine(threads: int) -> dict:
    import numpy as np

    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh
                       if line.startswith("model name"))  # fmt: skip
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "threads": threads,
            "python": platform.python_version(), "numpy": np.__version__,
            "torch": torch_version}  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", help=f"cases to run (default: all of {list(CASES)})")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for both frameworks (default: every core)")
    parser.add_argument("--quick", action="store_true",
                        help="the 10k-image sample and one timed epoch: checks the suite runs")
    parser.add_argument("--json", help="write every timing and the summary here")
    args = parser.parse_args(argv)
    cases = args.cases or list(CASES)
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; known: {list(CASES)}")
    try:
        import torch  # noqa: F401
    except ImportError:
        parser.error("PyTorch is not installed: pip install torch==2.13.0")

    info = machine(args.threads)
    print(f"{info['cpu']}, {info['cores']} cores, {args.threads} threads; Python "
          f"{info['python']}, NumPy {info['numpy']}, PyTorch {info['torch']}")  # fmt: skip
    summaries = []
    for case in cases:
        runs = {framework: [] for framework in FRAMEWORKS}
        for _ in range(args.rounds):
            for framework in FRAMEWORKS:
                runs[framework].append(run_case(case, framework, args.threads, args.quick))
        summary = summarize(case, runs)
        summaries.append(summary)
        print(report(summary), flush=True)
    if args.json:
        from treino.io import atomic_write

        text = json.dumps({"machine": info, "cases": summaries}, indent=1)
        atomic_write(args.json, lambda fh: fh.write(text.encode()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
