"""The benchmark suite: its arithmetic (ratios, roofline) and one quick run end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import report, summarize
from benchmarks.cases import CASES, MLP_LAYERS, mlp_epoch_flops

ROOT = Path(__file__).resolve().parents[1]


def _result(times, rss, **extra):
    return {"times": times, "unit": "s/epoch", "peak_rss_mib": rss, **extra}


def test_summary_takes_medians_over_rounds_and_the_ratio_of_medians():
    runs = {"treino": [_result([1.0, 3.0], 100), _result([2.0], 120)],
            "torch": [_result([4.0], 300), _result([5.0, 6.0], 250)]}  # fmt: skip
    summary = summarize("mlp_b128", runs)
    assert summary["treino"]["median"] == 2.0 and summary["torch"]["median"] == 5.0
    assert (summary["treino"]["min"], summary["treino"]["max"]) == (1.0, 3.0)
    assert summary["ratio"] == pytest.approx(0.4)
    assert summary["rss_ratio"] == pytest.approx(120 / 300)  # the peaks over all rounds
    text = report(summary)
    assert "treino / PyTorch: time 0.40 (medians), peak RSS 0.40" in text


def test_roofline_fraction_is_the_flops_at_peak_over_the_epoch_time():
    flops, peak = mlp_epoch_flops(60_000), 100e9
    runs = {name: [_result([flops / peak * 2], 1, flops=flops, peak_flops=peak)]
            for name in ("treino", "torch")}  # fmt: skip
    summary = summarize("roofline", runs)
    assert summary["treino"]["roofline_fraction"] == pytest.approx(0.5)
    assert "roofline 50% of 100 GFLOP/s" in report(summary)


def test_mlp_flops_follow_the_six_per_weight_per_sample_convention():
    weights = sum(n_in * n_out for n_in, n_out in MLP_LAYERS)
    assert weights == 784 * 128 + 128 * 64 + 64 * 10
    assert mlp_epoch_flops(60_000) == 6 * 60_000 * weights  # 39.4 GFLOP


def test_every_case_the_issue_names_is_there():
    assert set(CASES) >= {"mlp_b32", "mlp_b128", "mlp_b512", "lenet_b64", "lstm_b128",
                          "adam_1m", "predict", "roofline"}  # fmt: skip


def test_unknown_case_is_refused():
    out = subprocess.run([sys.executable, "-m", "benchmarks", "mlp_b64"], cwd=ROOT,
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert out.returncode == 2 and "unknown case(s) ['mlp_b64']" in out.stderr


def test_a_quick_run_reports_both_frameworks(tmp_path):
    pytest.importorskip("torch")
    target = tmp_path / "bench.json"
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks", "adam_1m", "--quick", "--rounds", "1",
         "--threads", "1", "--json", str(target)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "adam_1m:" in out.stdout and "treino / PyTorch: time" in out.stdout
    saved = json.loads(target.read_text())
    assert saved["machine"]["threads"] == 1
    (case,) = saved["cases"]
    assert case["case"] == "adam_1m" and case["ratio"] > 0
    assert case["treino"]["times"] and case["torch"]["times"]


def test_the_readme_table_is_made_from_a_run(tmp_path, capsys):
    from benchmarks import table

    flops, peak = mlp_epoch_flops(60_000), 100e9
    run = {"machine": {}, "cases": [
        summarize("mlp_b128", {"treino": [_result([1.0, 3.0], 100)],
                               "torch": [_result([2.0, 4.0], 200)]}),
        summarize("roofline", {f: [_result([flops / peak * 2, flops / peak * 4], 1, flops=flops,
                                           peak_flops=peak)] for f in ("treino", "torch")}),
    ]}  # fmt: skip
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run))
    assert table.main([str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "| same MLP, batch 128, epoch | 2.00 s | 3.00 s | 0.67 | 0.50 |"
    assert lines[3] == "| peak memory, MLP training | 100 MiB | 200 MiB | 0.50 | |"
    assert "| 33%; 50% | 33%; 50% |" in lines[4]  # the median epoch, then the fastest
    assert table.main([]) == 2
