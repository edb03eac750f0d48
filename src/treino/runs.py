"""Run directories: everything needed to understand and reproduce a training run.

The course asks for "controle de versão para dados, código e ambientes,
registro de hiperparâmetros e sementes". ``treino train`` writes one folder
per run, ``runs/<YYYYmmdd-HHMMSS>-<name>/``:

================== ===========================================================
``config.toml``    the config as given (the file's text, plus the ``--set``
                   overrides as comments)
``config.json``    the config fully resolved: every key, defaults included —
                   what ``treino train --reproduce`` trains again
``run.json``       status (running / completed / interrupted / failed), seed,
                   command line, start and duration, treino/Python/NumPy and
                   package versions, BLAS libraries and threads, the git
                   commit of the working directory (and whether it had
                   uncommitted changes), SHA-256 of the data arrays and files,
                   test metrics
``metrics.csv``    one row per epoch (CSVLogger)
``history.json``   the History, one list per metric
``model.treino``   the trained model (zip of JSON + npz, no pickle)
``scaler.npz``     the fitted input scaler, when the config standardises
``curves.png``     learning curves; ``gradients.png`` when a GradientMonitor ran
``doctor.txt``     the training doctor's report (and ``doctor.json``)
================== ===========================================================

Files are written atomically; ``run.json`` is rewritten at each change of
status, so an interrupted run says so.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import datetime
from importlib import metadata
from pathlib import Path

from treino.io import atomic_write

RUNS_DIR = "runs"
"""Where run folders go, relative to the working directory (``--runs-dir`` or ``$TREINO_RUNS``)."""

PACKAGES = ("numpy", "tqdm", "matplotlib", "click", "optuna", "tensorboardX", "torch", "scipy")


def runs_root(root=None) -> Path:
    return Path(root or os.environ.get("TREINO_RUNS") or RUNS_DIR)


def new_run_dir(name: str, root=None) -> Path:
    """A new, empty ``<root>/<time>-<name>`` folder (``-2``, ``-3`` … if taken)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "run"
    base = runs_root(root) / f"{datetime.now():%Y%m%d-%H%M%S}-{slug}"
    path, count = base, 1
    while True:
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            count += 1
            path = base.with_name(f"{base.name}-{count}")


def write_json(path, payload) -> None:
    text = json.dumps(payload, indent=1, ensure_ascii=False, default=_jsonable)
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def write_text(path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _jsonable(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# ------------------------------------------------------------- environment
def environment() -> dict:
    """Versions of Python, NumPy, treino and the packages around it; BLAS and CPU facts."""
    import numpy as np

    import treino

    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    blas = []
    try:
        from threadpoolctl import threadpool_info

        blas = [{k: info.get(k) for k in ("internal_api", "version", "num_threads", "filepath")}
                for info in threadpool_info()]  # fmt: skip
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        pass
    return {
        "treino": treino.__version__, "python": sys.version.split()[0],
        "implementation": platform.python_implementation(), "platform": platform.platform(),
        "machine": platform.machine(), "cpu_count": os.cpu_count(), "numpy": np.__version__,
        "packages": versions, "blas": blas,
    }  # fmt: skip


def git_state(directory=".") -> dict | None:
    """``{'commit', 'dirty'}`` of the git working tree holding ``directory``, or None."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True,
                                text=True, timeout=10)  # fmt: skip
        if commit.returncode != 0:
            return None
        status = subprocess.run(["git", "status", "--porcelain"], cwd=directory,
                                capture_output=True, text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


# --------------------------------------------------------------------- runs
class Run:
    """A run folder: its metadata, config, history and model."""

    def __init__(self, path):
        self.path = Path(path)
        if not (self.path / "run.json").is_file():
            raise FileNotFoundError(f"{str(self.path)!r} is not a treino run (no run.json)")

    @classmethod
    def find(cls, ref, root=None) -> Run:
        """A run by path, by folder name, by a unique part of its name, or ``last``."""
        path = Path(ref)
        if (path / "run.json").is_file():
            return cls(path)
        root = runs_root(root)
        folders = sorted(p for p in root.glob("*") if (p / "run.json").is_file())
        if ref == "last" and folders:
            return cls(folders[-1])
        matches = [p for p in folders if p.name == ref] or [p for p in folders if ref in p.name]
        if len(matches) == 1:
            return cls(matches[0])
        if not matches:
            raise FileNotFoundError(f"no run {ref!r} in {str(root)!r} ({len(folders)} runs "
                                    "there; see 'treino runs list')")  # fmt: skip
        names = ", ".join(p.name for p in matches[:5])
        raise FileNotFoundError(f"{ref!r} matches {len(matches)} runs ({names}); be more precise")

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def meta(self) -> dict:
        return read_json(self.path / "run.json")

    def config(self) -> dict:
        return read_json(self.path / "config.json")

    def history(self) -> dict:
        path = self.path / "history.json"
        return read_json(path) if path.is_file() else {}

    def model(self):
        from treino.models import load_model

        return load_model(self.path / "model.treino")

    def scaler(self):
        from treino import preprocessing

        path = self.path / "scaler.npz"
        return preprocessing.load(path) if path.is_file() else None

    def update(self, **fields) -> dict:
        meta = {**self.meta, **fields}
        write_json(self.path / "run.json", meta)
        return meta


def start_run(config: dict, given_text: str, overrides, root=None, argv=None) -> Run:
    """Create the run folder and write what is known before training: config, environment, git."""
    path = new_run_dir(config["name"], root)
    header = "".join(f"# --set {item}\n" for item in overrides)
    write_text(path / "config.toml", header + (given_text or "# (the defaults)\n"))
    write_json(path / "config.json", config)
    write_json(path / "run.json", {
        "name": config["name"], "status": "running", "seed": config["seed"],
        "argv": list(argv if argv is not None else sys.argv), "cwd": os.getcwd(),
        "started": datetime.now().isoformat(timespec="seconds"), "environment": environment(),
        "git": git_state(),
    })  # fmt: skip
    return Run(path)


def finish_run(run: Run, result, status: str) -> dict:
    """Write what training produced: history, model, plots, the doctor's report, the metrics."""
    from treino import plot

    write_json(run.path / "history.json", result.history)
    result.model.save(run.path / "model.treino")
    if result.data.scaler is not None:
        result.data.scaler.save(run.path / "scaler.npz")
    if result.history.get("loss"):
        plot.learning_curves(result.history, save=run.path / "curves.png")
        if any(key.startswith("grad_norm/") for key in result.history):
            plot.gradient_flow(result.history, save=run.path / "gradients.png")
    if result.report is not None:
        write_text(run.path / "doctor.txt", result.report.text() + "\n")
        write_json(run.path / "doctor.json", result.report.to_dict())
    return run.update(
        status=status, seconds=round(result.seconds, 3), epochs=len(result.history.get("loss", [])),
        finished=datetime.now().isoformat(timespec="seconds"), test=result.test,
        final={k: v[-1] for k, v in result.history.items() if v and "/" not in k},
        data={"source": result.data.source, "sha256": result.data.sha256(),
              "files": result.data.files, "train": len(result.data.x_train),
              "validation": 0 if result.data.x_val is None else len(result.data.x_val),
              "test": 0 if result.data.x_test is None else len(result.data.x_test)},
        doctor=[] if result.report is None else result.report.codes,
    )  # fmt: skip


def list_runs(root=None) -> list[dict]:
    """One row per run folder under ``root``, oldest first."""
    rows = []
    for path in sorted(runs_root(root).glob("*")):
        if not (path / "run.json").is_file():
            continue
        meta = read_json(path / "run.json")
        final, test = meta.get("final", {}), meta.get("test", {})
        rows.append({
            "run": path.name, "status": meta.get("status", "?"), "epochs": meta.get("epochs"),
            "val_accuracy": final.get("val_accuracy"), "val_loss": final.get("val_loss"),
            "test_accuracy": test.get("accuracy"), "seconds": meta.get("seconds"),
            "kind": meta.get("kind", "train"),
        })  # fmt: skip
    return rows


def compare_plot(runs: list[Run], save, metrics=("val_loss", "val_accuracy"), lang=None):
    """The runs' curves overlaid, one panel per metric (those the runs have)."""
    from treino.language import resolve_lang
    from treino.plot._figure import finish, new_figure

    lang = resolve_lang(lang)
    histories = [(run.name, run.history()) for run in runs]
    shown = [m for m in metrics if any(m in h for _, h in histories)] or ["loss"]
    figure, axes = new_figure(1, len(shown), squeeze=False)
    for ax, metric in zip(axes[0], shown, strict=True):
        for name, history in histories:
            values = history.get(metric, [])
            if values:
                ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=name)
        ax.set_title(metric)
        ax.set_xlabel("época" if lang == "pt" else "epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    figure.suptitle("Comparação de execuções" if lang == "pt" else "Runs compared")
    return finish(figure, save)


def elapsed(start: float) -> float:
    return round(time.perf_counter() - start, 3)
