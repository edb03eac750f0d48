"""The README's performance table, made from the JSON of a ``python -m benchmarks`` run.

Usage: python -m benchmarks.table RUN.json

Each row gives both frameworks' median and the treino/PyTorch ratio of the
medians, and also the ratio of the minimums: on a shared machine the slowest
runs are mostly other people's work, the fastest ones closest to the code's own.
"""

from __future__ import annotations

import json
import sys

ROWS = {
    "mlp_b32": "MLP 784-128-64-10 (dropout, Adam), batch 32, epoch",
    "mlp_b128": "same MLP, batch 128, epoch",
    "mlp_b512": "same MLP, batch 512, epoch",
    "lenet_b64": "LeNet-5, batch 64, epoch",
    "lstm_b128": "LSTM(128) on image rows, batch 128, epoch",
    "adam_1m": "one Adam step, 1M parameters",
    "predict": "predict 10,000 images (batch 256)",
}


def _time(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def table(run: dict) -> str:
    """Markdown rows for every case of ``run`` (the ``--json`` file's contents)."""
    cases = {summary["case"]: summary for summary in run["cases"]}
    lines = ["| case | treino (median) | PyTorch (median) | treino / PyTorch, medians | "
             "minimums |", "|---|---:|---:|---:|---:|"]  # fmt: skip
    for case, label in ROWS.items():
        if case in cases:
            s = cases[case]
            lines.append(f"| {label} | {_time(s['treino']['median'])} | "
                         f"{_time(s['torch']['median'])} | {s['ratio']:.2f} | "
                         f"{s['treino']['min'] / s['torch']['min']:.2f} |")  # fmt: skip
    if "mlp_b128" in cases:
        s = cases["mlp_b128"]
        rss = {f: s[f]["peak_rss_mib"] for f in ("treino", "torch")}
        lines.append(f"| peak memory, MLP training | {rss['treino']:.0f} MiB | "
                     f"{rss['torch']:.0f} MiB | {s['rss_ratio']:.2f} | |")  # fmt: skip
    if "roofline" in cases:
        s = cases["roofline"]
        share = {f: s[f]["roofline_fraction"] for f in ("treino", "torch")}
        best = {f: share[f] * s[f]["median"] / s[f]["min"] for f in ("treino", "torch")}
        lines.append(f"| MLP batch 512: share of the matrix-product roofline (median epoch; "
                     f"fastest) | {share['treino']:.0%}; {best['treino']:.0%} | "
                     f"{share['torch']:.0%}; {best['torch']:.0%} | | |")  # fmt: skip
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as fh:
        print(table(json.load(fh)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
