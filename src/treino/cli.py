"""The ``treino`` command: train from a config, keep every run, search, compare, diagnose.

``treino train`` with no argument trains the course's MLP on the embedded
Fashion-MNIST sample and saves the run under ``runs/``; ``treino --help`` and
``treino COMMAND --help`` list the rest. A config mistake prints one line
naming the key and exits with status 2 (no traceback); Ctrl-C stops after the
current batch and leaves the run folder marked ``interrupted``.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import click

from treino.config import ConfigError
from treino.language import resolve_lang

TEXT = {
    "pt": {
        "test": "Teste", "saved": "Execução salva em", "doctor_ok": "Médico do treino: nenhum "
        "problema encontrado.", "doctor": "Médico do treino", "details": "detalhes",
        "interrupted": "Treino interrompido: a execução ficou marcada como 'interrompida' em",
        "same": "Reproduzido: métricas idênticas às de", "differ": "As métricas diferem de",
        "error": "erro", "no_runs": "Nenhuma execução em", "plot": "Curvas sobrepostas em",
        "data": "dados", "samples": "exemplos", "class": "classe", "predictions": "previsões",
        "header": "Treinando {name}: {source}, {sizes} exemplos (treino / validação / teste), "
                  "{optimizer} η={lr}, {epochs} épocas",
        "workers": "Treino distribuído: {n} processos, lote global {batch} ({per} por processo)",
        "workers_failed": "o treino distribuído parou: um dos {n} processos falhou (código {code}; "
                          "a mensagem dele está acima). O último checkpoint salvo está intacto.",
        "no_mpiexec": "--workers precisa do mpiexec: pip install \"treino[distributed]\" "
                      "(mpi4py + mpich)",
    },
    "en": {
        "test": "Test", "saved": "Run saved in", "doctor_ok": "Training doctor: no problem "
        "found.", "doctor": "Training doctor", "details": "details",
        "interrupted": "Training interrupted: the run is marked 'interrupted' in",
        "same": "Reproduced: metrics identical to", "differ": "Metrics differ from",
        "error": "error", "no_runs": "No runs in", "plot": "Overlaid curves in", "data": "data",
        "samples": "samples", "class": "class", "predictions": "predictions",
        "header": "Training {name}: {source}, {sizes} samples (train / validation / test), "
                  "{optimizer} η={lr}, {epochs} epochs",
        "workers": "Distributed training: {n} processes, global batch {batch} ({per} per process)",
        "workers_failed": "distributed training stopped: one of the {n} processes failed (code "
                          "{code}; its message is above). The last saved checkpoint is intact.",
        "no_mpiexec": "--workers needs mpiexec: pip install \"treino[distributed]\" "
                      "(mpi4py + mpich)",
    },
}  # fmt: skip


class State:
    def __init__(self, lang, runs_dir):
        self.lang = resolve_lang(lang)
        self.runs_dir = runs_dir
        self.text = TEXT[self.lang]


def friendly(command):
    """Bad input (a config key, a missing file, a wrong shape) → one line on stderr, exit 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        state = click.get_current_context().find_object(State)
        word = state.text["error"] if state else "erro"
        try:
            return command(*args, **kwargs)
        except (ConfigError, FileNotFoundError, ValueError, TypeError) as error:
            click.echo(f"{word}: {error}", err=True)
            sys.exit(2)
        except ImportError as error:
            click.echo(f"{word}: {error}", err=True)
            sys.exit(2)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--lang", type=click.Choice(["pt", "en"]), default=None,
              help="Language of the messages (default: the locale).")
@click.option("--runs-dir", type=click.Path(file_okay=False), default=None,
              help="Where run folders go (default: ./runs or $TREINO_RUNS).")
@click.version_option(package_name="treino")
@click.pass_context
def main(ctx, lang, runs_dir):
    """treino: train neural networks from scratch on NumPy — runs, search, diagnosis."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    ctx.obj = State(lang, runs_dir)


# ------------------------------------------------------------------ train
@main.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config key, e.g. --set fit.epochs=3 (repeatable).")
@click.option("--reproduce", metavar="RUN", default=None,
              help="Train a saved run again from its resolved config and compare the metrics.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or epoch lines.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Data-parallel processes: starts mpiexec -n N (fit.batch_size is per process).")
@click.option("--hostfile", type=click.Path(dir_okay=False, exists=True), default=None,
              help="MPI hostfile: run the --workers processes on these machines.")
@click.pass_obj
@friendly
def train(state, config, overrides, reproduce, quiet, workers, hostfile):
    """Train from CONFIG (TOML; none: the course's MLP on the Fashion-MNIST sample)."""
    from treino.config import load_config, resolve
    from treino.distributed import launched_by_mpi
    from treino.runs import Run

    original = None
    if reproduce:
        original = Run.find(reproduce, state.runs_dir)
        resolved = resolve(original.config())
        given = (original.path / "config.toml").read_text(encoding="utf-8")
        overrides = ()
    else:
        resolved = load_config(config, overrides)  # a config error stops here, before mpiexec
        given = Path(config).read_text(encoding="utf-8") if config else ""
    if (workers > 1 or hostfile) and not launched_by_mpi():
        sys.exit(_launch_workers(state, workers, hostfile))
    run, result = _train_run(state, resolved, given, overrides, verbose=0 if quiet else "auto")
    if original is not None and run is not None:
        run.update(reproduces=original.name)
        sys.exit(_compare_reproduction(state, original, run))


def _launch_workers(state, workers: int, hostfile) -> int:
    """``mpiexec -n N python -m treino <the same arguments>``: the same code path on N ranks."""
    import subprocess

    from treino.distributed import find_mpiexec

    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise click.ClickException(state.text["no_mpiexec"])
    arguments, skip = [], False
    for argument in sys.argv[1:]:  # drop --workers / --hostfile: the ranks train, not launch
        if skip:
            skip = False
        elif argument in ("--workers", "--hostfile"):
            skip = True
        elif not argument.startswith(("--workers=", "--hostfile=")):
            arguments.append(argument)
    command = [mpiexec, "-n", str(workers)]
    if hostfile:
        command += ["-f", str(hostfile)]
    code = subprocess.call([*command, sys.executable, "-m", "treino", *arguments])
    if code != 0:
        click.echo(f"{state.text['error']}: " + state.text["workers_failed"].format(
            n=workers, code=code), err=True)
    return code


def _train_run(state, resolved, given, overrides, verbose):
    from treino.callbacks import CSVLogger
    from treino.config import build_model, load_dataset
    from treino.config import train as train_config
    from treino.distributed import DataParallel, launched_by_mpi
    from treino.runs import finish_run, start_run

    text = state.text
    data = load_dataset(resolved)  # a missing or bad data file fails before a run folder exists
    build_model(resolved, data.x_train.shape[1:])  # so does a bad layer, loss or optimizer
    strategy = DataParallel() if launched_by_mpi() else None
    if strategy is not None and not strategy.is_chief:  # rank 0 alone prints and writes
        train_config(resolved, verbose=0, data=data, strategy=strategy)
        return None, None
    run = start_run(resolved, given, overrides, root=state.runs_dir)
    sizes = [len(a) for a in (data.x_train, data.x_val, data.x_test) if a is not None]
    click.echo(text["header"].format(name=resolved["name"], source=data.source,
                                     sizes=" / ".join(map(str, sizes)),
                                     optimizer=resolved["compile"]["optimizer"],
                                     lr=resolved["compile"]["learning_rate"],
                                     epochs=resolved["fit"]["epochs"]))  # fmt: skip
    if strategy is not None:
        per = resolved["fit"]["batch_size"]
        click.echo(text["workers"].format(n=strategy.size, batch=per * strategy.size, per=per))
    try:
        result = train_config(resolved, callbacks=[CSVLogger(run.path / "metrics.csv")],
                              verbose=verbose, data=data, run_dir=run.path,
                              strategy=strategy)  # fmt: skip
    except KeyboardInterrupt:  # a second Ctrl-C: stop now, say so in the run folder
        run.update(status="interrupted")
        click.echo(f"\n{text['interrupted']} {run.path}", err=True)
        sys.exit(130)
    except BaseException as error:
        run.update(status="failed", error=f"{type(error).__name__}: {error}")
        raise
    status = "interrupted" if result.interrupted else "completed"
    meta = finish_run(run, result, status)
    if result.test:
        parts = [f"{k} {_number(v)}" for k, v in result.test.items()]
        click.echo(f"{text['test']}: " + ", ".join(parts))
    _echo_doctor(state, result.report, run.path / "doctor.txt")
    if status == "interrupted":
        click.echo(f"{text['interrupted']} {run.path}")
    click.echo(f"{text['saved']} {run.path}  ({meta['seconds']:.1f} s)")
    return run, result


def _echo_doctor(state, report, path) -> None:
    if report is None:
        return
    if not report:
        click.echo(state.text["doctor_ok"])
        return
    click.echo(f"{state.text['doctor']}:")
    for finding in report:
        where = f" — {finding.layer}" if finding.layer else ""
        click.echo(f"  [{finding.severity}] {finding.title(state.lang)}{where}")
    click.echo(f"  ({state.text['details']}: {path})")


def _compare_reproduction(state, original, run) -> int:
    old, new = original.history(), run.history()
    old_test, new_test = original.meta.get("test", {}), run.meta.get("test", {})
    differ = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    differ += [f"test {k}" for k in sorted(set(old_test) | set(new_test))
               if old_test.get(k) != new_test.get(k)]  # fmt: skip
    if original.meta.get("data", {}).get("sha256") != run.meta.get("data", {}).get("sha256"):
        differ.append(state.text["data"] + " sha256")
    if differ:
        click.echo(f"{state.text['differ']} {original.name}: {', '.join(differ)}")
        return 1
    click.echo(f"{state.text['same']} {original.name} "
               f"({len(old)} metrics × {len(old.get('loss', []))} epochs, test {old_test})")
    return 0


def _number(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


# --------------------------------------------------------- eval / predict
def _model_and_config(ref, runs_dir):
    """(model, config, scaler) from a run (folder or name) or a model file (config None)."""
    from treino.models import load_model
    from treino.runs import Run

    path = Path(ref)
    if path.is_file():
        return load_model(path), None, None
    run = Run.find(ref, runs_dir)
    return run.model(), run.config(), run.scaler()


@main.command("eval")
@click.argument("run")
@click.option("--data", "data_file", type=click.Path(dir_okay=False), default=None,
              help="An .npz with arrays x and y to evaluate on (default: the run's test set).")
@click.pass_obj
@friendly
def evaluate(state, run, data_file):
    """Evaluate a run's model on its test set (or on --data FILE.npz)."""
    from treino.config import load_dataset, scale_inputs
    from treino.io import load_npz

    model, config, scaler = _model_and_config(run, state.runs_dir)
    if data_file:
        arrays = load_npz(data_file)
        if "x" not in arrays or "y" not in arrays:
            raise ValueError(f"{data_file} must hold arrays 'x' and 'y'; it holds {sorted(arrays)}")
        x = scale_inputs(config, arrays["x"], scaler) if config else arrays["x"]
        y = arrays["y"]
    else:
        if config is None:
            raise ValueError("a model file needs --data FILE.npz (a run folder knows its data)")
        data = load_dataset(config)
        x, y = data.x_test, data.y_test
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    metrics = ", ".join(f"{k} {_number(v)}" for k, v in results.items())
    click.echo(f"{len(x)} {state.text['samples']}: {metrics}")


@main.command()
@click.argument("model")
@click.argument("inputs", type=click.Path(dir_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the predictions to a .csv or .npy file.")
@click.option("--show", default=10, show_default=True, help="Rows to print.")
@click.option("--raw", is_flag=True, help="The inputs are already scaled as in training.")
@click.pass_obj
@friendly
def predict(state, model, inputs, output, show, raw):
    """Predict with MODEL (a run or a .treino file) on INPUTS (.npy or .csv, one sample per row)."""
    import numpy as np

    from treino.config import scale_inputs

    net, config, scaler = _model_and_config(model, state.runs_dir)
    x = _read_inputs(inputs)
    if config is not None and not raw:
        x = scale_inputs(config, x, scaler)
    expected = net.inputs[0].shape[1:] if getattr(net, "inputs", None) else None
    if expected is not None and x.shape[1:] != tuple(expected):
        if int(np.prod(x.shape[1:])) == int(np.prod(expected)):
            x = x.reshape(len(x), *expected)
        else:
            raise ValueError(f"the model expects samples of shape {tuple(expected)}; "
                             f"{inputs} holds samples of shape {x.shape[1:]}")  # fmt: skip
    outputs = np.asarray(net.predict(x, verbose=0))
    classes = outputs.shape[-1] > 1 and np.allclose(outputs.sum(-1), 1.0, atol=1e-3)
    for index in range(min(show, len(x))):
        if classes:
            label = int(outputs[index].argmax())
            click.echo(f"{index}: {state.text['class']} {label} (p = {outputs[index, label]:.3f})")
        else:
            click.echo(f"{index}: {np.array2string(outputs[index], precision=4)}")
    if output:
        _write_outputs(output, outputs)
        click.echo(f"{len(outputs)} {state.text['predictions']} → {output}")


def _read_inputs(path):
    import numpy as np

    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
    elif suffix == ".csv":
        array = np.loadtxt(path, delimiter=",", ndmin=2, dtype="float32")
    else:
        raise ValueError(f"inputs must be a .npy or .csv file; received {path!r}")
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{path}: expected numbers, found dtype {array.dtype}")
    return array


def _write_outputs(path, outputs) -> None:
    import io

    import numpy as np

    from treino.io import atomic_write

    if Path(path).suffix.lower() == ".npy":
        atomic_write(path, lambda f: np.save(f, outputs))
        return
    buffer = io.StringIO()
    np.savetxt(buffer, outputs.reshape(len(outputs), -1), delimiter=",", fmt="%.6g")
    atomic_write(path, lambda f: f.write(buffer.getvalue().encode("utf-8")))


@main.command()
@click.argument("model")
@click.pass_obj
@friendly
def summary(state, model):
    """Print a model's layers, output shapes and parameters (a run or a .treino file)."""
    net, _, _ = _model_and_config(model, state.runs_dir)
    net.summary(print_fn=click.echo)


# ------------------------------------------------------------------- runs
@main.group()
def runs():
    """List, show and compare saved runs."""


@runs.command("list")
@click.pass_obj
@friendly
def runs_list(state):
    """One line per run: status, epochs, validation and test metrics, time."""
    from tabulate import tabulate

    from treino.runs import list_runs, runs_root

    rows = list_runs(state.runs_dir)
    if not rows:
        click.echo(f"{state.text['no_runs']} {runs_root(state.runs_dir)}")
        return
    click.echo(tabulate(rows, headers="keys", floatfmt=".4f", missingval="—"))


@runs.command("show")
@click.argument("run")
@click.pass_obj
@friendly
def runs_show(state, run):
    """A run's status, config, environment, metrics and doctor's report."""
    import json

    from treino.runs import Run

    found = Run.find(run, state.runs_dir)
    meta = found.meta
    click.echo(f"{found.path}  [{meta.get('status')}]")
    for key in ("seed", "started", "seconds", "epochs", "test", "final", "doctor", "git"):
        if key in meta:
            click.echo(f"  {key}: {json.dumps(meta[key], ensure_ascii=False)}")
    env = meta.get("environment", {})
    click.echo(f"  environment: treino {env.get('treino')}, Python {env.get('python')}, "
               f"NumPy {env.get('numpy')}, {env.get('platform')}")  # fmt: skip
    data = meta.get("data", {})
    if data:
        click.echo(f"  data: {data.get('source')} sha256 {data.get('sha256', '')[:16]}…")
    config = found.config()
    click.echo(f"  config: optimizer {config['compile']['optimizer']} "
               f"η={config['compile']['learning_rate']}, epochs {config['fit']['epochs']}, "
               f"batch {config['fit']['batch_size']} ({config['fit']['mode']})")  # fmt: skip
    doctor = found.path / "doctor.txt"
    if doctor.is_file():
        click.echo(doctor.read_text(encoding="utf-8").rstrip())


@runs.command("compare")
@click.argument("run_refs", nargs=-1, required=True, metavar="RUN...")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="PNG of the overlaid curves (default: <runs>/compare.png).")
@click.pass_obj
@friendly
def runs_compare(state, run_refs, output):
    """A table of several runs side by side, and their learning curves overlaid."""
    from tabulate import tabulate

    from treino.runs import Run, compare_plot, runs_root

    found = [Run.find(ref, state.runs_dir) for ref in run_refs]
    rows = []
    for run in found:
        meta, config = run.meta, run.config()
        history = run.history()
        val = history.get("val_accuracy", [])
        rows.append({
            "run": run.name, "optimizer": config["compile"]["optimizer"],
            "learning_rate": config["compile"]["learning_rate"],
            "epochs": meta.get("epochs"), "best val_accuracy": max(val) if val else None,
            "final val_loss": (history.get("val_loss") or [None])[-1],
            "test accuracy": meta.get("test", {}).get("accuracy"), "seconds": meta.get("seconds"),
        })  # fmt: skip
    click.echo(tabulate(rows, headers="keys", floatfmt=".4f", missingval="—"))
    output = output or runs_root(state.runs_dir) / "compare.png"
    compare_plot(found, save=output, lang=state.lang)
    click.echo(f"{state.text['plot']} {output}")


# --------------------------------------------------- search and comparison
def _sweep_dir(state, resolved, kind: str, resume):
    """The folder of a tune / compare sweep: a new one, or ``--resume``'s (status running)."""
    from treino.runs import Run, environment, new_run_dir, write_json

    if resume:
        run = Run.find(resume, state.runs_dir)
        run.update(status="running")
        return run.path
    path = new_run_dir(f"{kind}-{resolved['name']}", state.runs_dir)
    write_json(path / "config.json", resolved)
    write_json(path / "run.json", {"name": resolved["name"], "kind": kind, "status": "running",
                                   "seed": resolved["seed"], "argv": sys.argv,
                                   "environment": environment()})  # fmt: skip
    return path


@main.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option("--search", type=click.Choice(["grid", "random", "bayes"]), default="random",
              show_default=True, help="Grid, random or Bayesian (TPE) search, on Optuna.")
@click.option("--trials", type=int, default=None,
              help="Number of trials (grid: default the whole grid).")
@click.option("--param", "params", multiple=True, required=True, metavar="KEY=SPACE",
              help="e.g. 'learning_rate=loguniform(1e-4,1e-1)', 'batch_size=choice(32,64)', "
                   "'model.layers[0].units=int(16,128)' (repeatable).")
@click.option("--metric", default=None, help="What to optimise (default: val_accuracy, val_loss).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a key.")
@click.option("--resume", metavar="RUN", default=None, help="Continue the study of a tune run.")
@click.pass_obj
@friendly
def tune(state, config, search, trials, params, metric, overrides, resume):
    """Search hyper-parameters of CONFIG: grid, random or Bayesian, with median pruning."""
    from treino import tuning
    from treino.config import load_config, resolve
    from treino.runs import Run

    if resume:
        resolved = resolve(Run.find(resume, state.runs_dir).config())
    else:
        resolved = load_config(config, overrides)
    out_dir = _sweep_dir(state, resolved, "tune", resume)
    result = tuning.tune(resolved, list(params), out_dir=out_dir, search=search, trials=trials,
                         metric=metric, verbose=1, lang=state.lang)  # fmt: skip
    best = result.best
    Run(out_dir).update(status="interrupted" if result.interrupted else "completed",
                        metric=result.metric, best_value=None if best is None else best.value,
                        best_params=None if best is None else best.params)  # fmt: skip
    click.echo(tuning.format_results(result, lang=state.lang))


@main.command("compare-optimizers")
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option("--optimizers", default="sgd,momentum,nesterov,adagrad,rmsprop,adadelta,adam,adamw",
              show_default=True, help="Comma-separated optimizer names.")
@click.option("--seeds", type=int, default=3, show_default=True, help="Seeds per optimizer.")
@click.option("--target", type=float, default=None,
              help="Validation metric to reach: epochs and time to it are reported.")
@click.option("--lr", "rates", multiple=True, metavar="NAME=VALUE",
              help="A learning rate for one optimizer, e.g. --lr sgd=0.05 (repeatable).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a key.")
@click.pass_obj
@friendly
def compare_optimizers(state, config, optimizers, seeds, target, rates, overrides):
    """The course's optimizer benchmark: same model, data and seeds; a table and the curves."""
    from treino import compare
    from treino.config import load_config, parse_override
    from treino.runs import Run

    resolved = load_config(config, overrides)
    learning_rates = {}
    for item in rates:
        name, value = parse_override(item)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"--lr {item!r}: expected NAME=NUMBER, e.g. --lr sgd=0.05")
        learning_rates[name.lower()] = float(value)
    names = [n.strip() for n in optimizers.split(",") if n.strip()]
    out_dir = _sweep_dir(state, resolved, "compare", None)
    result = compare.compare_optimizers(resolved, names, seeds=seeds, target=target,
                                        learning_rates=learning_rates, out_dir=out_dir,
                                        verbose=0)  # fmt: skip
    Run(out_dir).update(status="completed")
    click.echo(compare.format_table(result, lang=state.lang))
    click.echo(f"{state.text['plot']} {out_dir / 'curves.png'}")


# ------------------------------------------------------ doctor and friends
@main.command()
@click.argument("run")
@click.option("--recompute", is_flag=True,
              help="Diagnose the saved history, model and data again instead of showing "
                   "the report written during training.")
@click.pass_obj
@friendly
def doctor(state, run, recompute):
    """The training doctor's diagnosis of a saved run, in full.

    The report written during training (``doctor.json``) is the complete one: the
    live doctor saw every batch's loss and gradients. ``--recompute`` diagnoses
    the saved history, model and data again instead (also what happens for a run
    trained without the doctor).
    """
    from treino.diagnostics import Report
    from treino.runs import Run

    found = Run.find(run, state.runs_dir)
    saved = found.path / "doctor.json"
    if saved.is_file() and not recompute:
        try:
            report = Report.from_dict(json.loads(saved.read_text(encoding="utf-8")))
        except ValueError as error:  # json.JSONDecodeError is a ValueError
            raise click.ClickException(f"{saved}: not a doctor's report ({error}); "
                                       f"use --recompute") from None
    else:
        from treino.config import load_dataset
        from treino.diagnostics import diagnose

        data = load_dataset(found.config())
        report = diagnose(found.history(), found.model(), data.x_train, data.y_train,
                          lang=state.lang)
    click.echo(report.text(state.lang))


@main.command()
@click.option("--activation", type=click.Choice(["sigmoid", "tanh", "relu", "linear"]),
              default="sigmoid", show_default=True)
@click.option("--learning-rate", type=float, default=0.5, show_default=True)
@click.pass_obj
def explain(state, activation, learning_rate):
    """The course's backpropagation exercise, step by step, with every number."""
    from treino import explain as walkthrough

    example = walkthrough.course_example()
    steps = walkthrough.backprop_step(example["weights"], example["x"], example["target"],
                                      learning_rate=learning_rate, activation=activation)
    click.echo(steps.text(state.lang))


@main.command()
@click.option("--only", default=None, help="Check only the ops/layers whose name contains this.")
@click.pass_obj
@friendly
def gradcheck(state, only):
    """Check every op's and layer's gradient against finite differences; print a table."""
    from treino.selfcheck import format_table, run_selfcheck

    results = run_selfcheck(only=only)
    click.echo(format_table(results, lang=state.lang))
    sys.exit(0 if results and all(r.passed for r in results) else 1)


if __name__ == "__main__":  # pragma: no cover
    main()
