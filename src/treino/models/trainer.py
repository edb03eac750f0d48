"""The training loop: ``compile``, ``fit``, ``evaluate``, ``predict`` — one loop for every model.

One step of training on a batch (x, y) is the course's recipe, in four lines
of :meth:`Trainer.train_step`:

1. forward pass: ŷ = model(x, training=True) — the ops record the graph;
2. loss: L = Σᵢ λᵢ·Lᵢ(yᵢ, ŷᵢ) + penalties;
3. backward pass: ``L.backward()`` fills ∂L/∂w for every trainable weight w;
4. update: ``optimizer.apply_gradients`` (w ← w − η·∂L/∂w for plain SGD).

``fit`` repeats it over the batches of each epoch, tracks the loss and the
metrics, runs validation and calls the callbacks. The batch size picks the
form of gradient descent: ``batch_size=None`` is *batch* gradient descent (one
update per epoch, on the whole set), ``batch_size=1`` is *stochastic* (one
update per sample) and the default 32 is *mini-batch* (⌈N/32⌉ updates).
Everything in treino that trains — the CLI, the tuner, the optimizer
comparison, the notebooks — goes through this loop.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

import numpy as np

from treino import backend
from treino import losses as losses_module
from treino import metrics as metrics_module
from treino import optimizers as optimizers_module
from treino.autograd import Tensor, enable_grad, no_grad
from treino.data import Dataset
from treino.models import data_adapter
from treino.models.compile_utils import CompiledLoss, CompiledMetrics, regularization_penalty


def _as_list(value) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def _leaves(structure) -> list:
    if isinstance(structure, dict):
        return [leaf for v in structure.values() for leaf in _leaves(v)]
    if isinstance(structure, list | tuple):
        return [leaf for v in structure for leaf in _leaves(v)]
    return [structure]


def _first_dim(structure) -> int:
    return int(np.shape(_leaves(structure)[0])[0])


def _slice(structure, stop: int, start: int = 0):
    """Rows ``[start, stop)`` of every array in ``structure`` (None stays None)."""
    if structure is None:
        return None
    if isinstance(structure, dict):
        return {k: _slice(v, stop, start) for k, v in structure.items()}
    if isinstance(structure, list | tuple):
        return type(structure)(_slice(v, stop, start) for v in structure)
    return structure[start:stop]


def _log_value(result):
    """A metric's result for the logs: a float, or a list for per-class results (F1Score)."""
    return float(result) if np.ndim(result) == 0 else np.asarray(result).tolist()


def check_finite(structure, what: str) -> None:
    """Raise ValueError naming the first sample whose features hold NaN or inf."""
    for leaf in _leaves(structure):
        array = leaf.data if isinstance(leaf, Tensor) else np.asarray(leaf)
        if array.dtype.kind != "f" or np.isfinite(array).all():
            continue
        bad = np.argwhere(~np.isfinite(array))[0]
        kind = "NaN" if np.isnan(array[tuple(bad)]) else "inf"
        raise ValueError(
            f"{what} contains {kind} (first at index {tuple(int(i) for i in bad)}); "
            "remove or impute those samples before training — a network trained on "
            "non-finite inputs learns nothing but NaN"
        )


def build_by_calling(model, input_shape) -> None:
    """Build a model by running it once, in inference mode, on a zero sample of ``input_shape``."""
    several = isinstance(input_shape[0], list | tuple)
    shapes = input_shape if several else [input_shape]
    zeros = [np.zeros((1, *tuple(s)[1:]), dtype=model.dtype) for s in shapes]
    with no_grad():
        model(zeros if several else zeros[0], training=False)
    model.built = True


@contextlib.contextmanager
def _restoring(obj, attribute: str, value):
    """Set ``obj.attribute = value`` on leaving the block, however it is left."""
    try:
        yield
    finally:
        setattr(obj, attribute, value)


@contextlib.contextmanager
def _aborting_all_ranks(strategy):
    """Under a strategy with several ranks, an error on one rank stops them all.

    Without it the other ranks would wait forever in the next collective.
    """
    try:
        yield
    except Exception as error:
        if strategy is not None and strategy.size > 1:
            strategy.abort(error)
        raise


@contextlib.contextmanager
def stop_on_interrupt(model):
    """Ctrl-C during ``fit`` stops training after the current batch (a second one aborts).

    The model and the optimizer are left consistent (the update in progress
    completes) and ``fit`` returns the History so far.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        if model._interrupted:  # the second Ctrl-C: stop now
            raise KeyboardInterrupt
        model._interrupted = True
        model.stop_training = True
        print("\nCtrl-C: o treino para ao fim do batch atual (Ctrl-C de novo aborta) / "
              "training stops after the current batch", file=sys.stderr, flush=True)  # fmt: skip

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Trainer:
    """``compile`` / ``fit`` / ``evaluate`` / ``predict`` for :class:`~treino.models.Model`."""

    def __init__(self):
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._interrupted = False
        self._x_checked = False  # True while fit trains on arrays it has checked whole
        self._compile_args: dict | None = None
        self._compiled_loss: CompiledLoss | None = None
        self._compiled_metrics: CompiledMetrics | None = None
        self._loss_trackers: dict = {}
        self.current_batch = None
        """``(x, y, sample_weight)`` of the training batch in progress, during ``fit``."""
        self.diverged = False
        """True when the last training batch's loss was NaN or inf (that batch made no update)."""

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None) -> None:
        """Choose the optimizer, the loss and the metrics to track.

        Args:
            optimizer: an optimizer or its name (``"adam"``). Defaults to ``"rmsprop"`` (Keras).
            loss: a loss, its name (``"sparse_categorical_crossentropy"``) or a function
                ``f(y_true, y_pred)``; for several outputs a list or a dict by output name.
            loss_weights: λᵢ of each output's loss in L = Σᵢ λᵢ·Lᵢ (list or dict).
            metrics: names or metric objects, e.g. ``["accuracy"]`` (resolved from the loss
                and the output shape, as in Keras); a dict by output name for several outputs.
        """
        if loss is None:
            raise ValueError("compile: pass a loss, e.g. loss='sparse_categorical_crossentropy'")
        new_optimizer = optimizers_module.get(optimizer)
        for item in _leaves(loss if not isinstance(loss, dict) else list(loss.values())):
            if item is not None:
                losses_module.get(item)  # an unknown name fails here, not at the first batch
        self.optimizer = new_optimizer
        self._compile_args = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics}
        self._compiled_loss = None
        self._compiled_metrics = None
        self.compiled = True
        if self.built and hasattr(self, "outputs"):
            self._finish_compile([t.shape for t in self.outputs])

    def _output_names(self, count: int) -> list[str]:
        if hasattr(self, "output_names"):
            return self.output_names
        return ["output"] if count == 1 else [f"output_{i}" for i in range(count)]

    def _finish_compile(self, output_shapes: list) -> None:
        """Resolve losses and metrics once the outputs (their number and shapes) are known."""
        names = self._output_names(len(output_shapes))
        args = self._compile_args
        self._compiled_loss = CompiledLoss(args["loss"], args["loss_weights"], names)
        self._compiled_metrics = CompiledMetrics(args["metrics"], self._compiled_loss,
                                                 list(output_shapes))  # fmt: skip
        trackers = {"loss": metrics_module.Mean(name="loss")}
        if len(names) > 1:
            trackers.update({f"{n}_loss": metrics_module.Mean(name=f"{n}_loss") for n in names})
        self._loss_trackers = trackers

    def _assert_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"You must call compile() before {what}(), e.g. "
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                "metrics=['accuracy'])"
            )

    @property
    def metrics(self) -> list:
        """The loss trackers and the compiled metrics (each with update/result/reset)."""
        if self._compiled_metrics is None:
            return []
        return [*self._loss_trackers.values(), *self._compiled_metrics.flat]

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self) -> dict:
        """``{"loss": …, "accuracy": …}``: the running means since the last reset."""
        return {m.name: _log_value(m.result()) for m in self.metrics}

    # ------------------------------------------------------------------- steps
    def _prepare(self, x) -> None:
        """Build the model and finish compile on the first batch (shape errors raise here)."""
        if self._compiled_loss is not None:
            return
        with no_grad():
            probe = self(_slice(x, 1), training=False)
        self._finish_compile([(None, *np.shape(p)[1:]) for p in _as_list(probe)])

    def compute_loss(self, x, y, y_pred, sample_weight=None) -> Tensor:
        """L = Σᵢ λᵢ·Lᵢ(yᵢ, ŷᵢ) + Σ penalties; the per-output parts go to their trackers."""
        outputs = _as_list(y_pred)
        targets = self._targets(y, len(outputs))
        total, parts = self._compiled_loss(targets, outputs, sample_weight)
        penalty = regularization_penalty(self)
        if penalty is not None:
            total = total + penalty
        batch = _first_dim(x)
        for name, value in parts.items():
            self._loss_trackers[name].update_state(value, sample_weight=batch)
        return total

    def _update_metrics(self, loss: Tensor, x, y, y_pred, sample_weight) -> None:
        self._loss_trackers["loss"].update_state(loss.item(), sample_weight=_first_dim(x))
        outputs = _as_list(y_pred)
        self._compiled_metrics.update_state(self._targets(y, len(outputs)), outputs,
                                            sample_weight)  # fmt: skip

    def _targets(self, y, count: int) -> list:
        """The targets in output order (y may be a list, or a dict by output name)."""
        if count == 1:
            return [y]
        if isinstance(y, dict):
            names = self._compiled_loss.output_names
            unknown = [k for k in y if k not in names]
            if unknown:
                raise ValueError(f"y names outputs {unknown}; the model's outputs are {names}")
            return [y.get(name) for name in names]
        targets = _as_list(y)
        if len(targets) != count:
            raise ValueError(f"The model has {count} outputs; y holds {len(targets)} arrays")
        return targets

    def train_step(self, x, y=None, sample_weight=None) -> None:
        """One update on one batch: forward, loss, backward, optimizer step; metrics updated."""
        variables = self.trainable_weights
        loss, y_pred = self._gradients(x, y, sample_weight, variables)
        if not self.diverged:  # a NaN/inf loss has no useful gradient: no update is made
            self.optimizer.apply_gradients([(v.grad, v) for v in variables])
        if loss is not None:
            self._update_metrics(loss, x, y, y_pred, sample_weight)

    def _train_step_distributed(self, strategy, x, y=None, sample_weight=None) -> None:
        """:meth:`train_step` on this rank's shard, with the gradients averaged over the ranks.

        Every rank takes part in the one Allreduce of each step, also one whose
        shard is empty (a last global batch smaller than the number of ranks)
        or whose loss is not finite; a non-finite loss on any rank means no
        update on all of them.
        """
        count = _first_dim(x)
        variables = self.trainable_weights
        loss = y_pred = None
        self.diverged = False
        if count:
            loss, y_pred = self._gradients(x, y, sample_weight, variables)
        self.diverged = strategy.average_gradients(self, variables, count, not self.diverged)
        if not self.diverged:
            self.optimizer.apply_gradients([(v.grad, v) for v in variables])
        if loss is not None:
            self._update_metrics(loss, x, y, y_pred, sample_weight)

    def _gradients(self, x, y, sample_weight, variables) -> tuple:
        """Forward, loss and backward on one batch: ``(loss, y_pred)``, each ``v.grad`` set.

        Sets ``self.diverged`` when the outputs or the loss are not finite: then
        no gradient is computed, and the loss is None if the outputs blew up.
        """
        if not self._x_checked:  # fit checks in-memory arrays whole, once
            check_finite(x, "x")
        self._prepare(x)
        for variable in variables:
            variable.grad = None
        with enable_grad():
            y_pred = self(x, training=True)
            self.diverged = not all(np.isfinite(p.data).all() for p in _as_list(y_pred))
            if self.diverged:  # finite inputs, NaN/inf outputs: the weights have blown up
                self._loss_trackers["loss"].update_state(float("nan"), sample_weight=_first_dim(x))
                return None, y_pred
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        self.diverged = not np.isfinite(loss.item())
        if not self.diverged:
            loss.backward()
        return loss, y_pred

    def test_step(self, x, y=None, sample_weight=None) -> None:
        """Loss and metrics on one batch, in inference mode, without gradients."""
        check_finite(x, "x")
        self._prepare(x)
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        self._update_metrics(loss, x, y, y_pred, sample_weight)

    def predict_step(self, x):
        with no_grad():
            y_pred = self(x, training=False)
        return [p.data for p in _as_list(y_pred)]

    # --------------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=32, epochs: int = 1, verbose="auto", callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle: bool = True,
            class_weight: dict | None = None, sample_weight=None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size=None, validation_freq: int = 1, strategy=None):  # fmt: skip
        """Train for ``epochs`` epochs; return the :class:`~treino.callbacks.History`.

        Args:
            x: inputs — a NumPy array (a list / dict of arrays for several inputs), a
                :class:`treino.data.Dataset`, or an iterable / generator of batches
                ``(x, y)`` or ``(x, y, sample_weight)``.
            y: targets, when ``x`` holds arrays.
            batch_size: samples per update: ``None`` = all of them (batch gradient
                descent, one update per epoch), 1 = stochastic gradient descent,
                the default 32 = mini-batch.
            epochs: the index of the last epoch (training runs ``initial_epoch`` … ``epochs-1``).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch, ``"auto"``: 1 in a
                terminal or notebook, else 2.
            callbacks: a list of :class:`~treino.callbacks.Callback`.
            validation_split: the fraction of the arrays kept aside for validation
                (the *last* samples, before shuffling, as Keras).
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, w_val)`` or a Dataset.
            shuffle: reshuffle the samples every epoch (from ``treino.seed``).
            class_weight: ``{class: weight}``, multiplying each sample's loss.
            sample_weight: one weight per sample.
            initial_epoch: the epoch to start from (to resume a run).
            steps_per_epoch: batches per epoch (required for endless generators).
            validation_steps, validation_batch_size, validation_freq: as in Keras.
            strategy: a :class:`treino.distributed.DataParallel` to train as one of
                the ranks of an MPI job (``batch_size`` is then per rank); None
                trains in this process alone.

        Returns:
            The History: ``history.history`` maps 'loss', each metric, their 'val_'
            versions and 'learning_rate' to one value per epoch.
        """
        from treino import callbacks as callbacks_module

        self._assert_compiled("fit")
        if strategy is not None:
            if not data_adapter.is_array_like(x):
                raise ValueError("fit(strategy=…) shards NumPy arrays (or memory maps); "
                                 f"received x of type {type(x).__name__}")  # fmt: skip
            if batch_size is not None:
                batch_size = batch_size * strategy.size  # the global batch
            if not strategy.is_chief:  # rank 0 alone prints and writes files
                verbose = 0
                callbacks = [c for c in callbacks or [] if not getattr(c, "chief_only", False)]
        x, y = data_adapter.as_arrays(x), data_adapter.as_arrays(y)
        x_checked = data_adapter.is_array_like(x) and self._check_arrays(x, y, sample_weight)
        if class_weight is not None:
            if not data_adapter.is_array_like(y) or isinstance(y, list | tuple | dict):
                raise ValueError("class_weight needs one array of targets (a single output)")
            weights = data_adapter.class_weights_for(y, class_weight)
            sample_weight = weights if sample_weight is None else weights * sample_weight
        validation_batch_size = validation_batch_size or batch_size or 32
        if validation_split and validation_data is None:
            if not data_adapter.is_array_like(x):
                raise ValueError("validation_split needs NumPy arrays; pass validation_data "
                                 "for a Dataset or a generator")  # fmt: skip
            whole = Dataset(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle)
            x, validation_data = whole.split(validation_split)  # the last samples, as Keras
            y = sample_weight = None
            validation_data = validation_data.with_options(batch_size=validation_batch_size)
        train = data_adapter.make_source(x, y, sample_weight, batch_size=batch_size,
                                         shuffle=shuffle, steps=steps_per_epoch)  # fmt: skip
        validation = None
        if validation_data is not None:
            validation = self._validation_source(validation_data, validation_batch_size,
                                                 validation_steps)  # fmt: skip
        verbose = callbacks_module.resolve_verbose(verbose)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=train.steps,
        )  # fmt: skip
        self.stop_training = False
        self._interrupted = False
        backend.keep_freed_memory()  # the next batch reuses this one's memory
        logs: dict = {}
        self._x_checked = x_checked
        if strategy is not None:
            self._prepare(x)  # build on one sample, then every replica starts from rank 0's
            strategy.broadcast_weights(self)
        with stop_on_interrupt(self), _restoring(self, "_x_checked", False), \
                _aborting_all_ranks(strategy):  # fmt: skip
            callback_list.on_train_begin()
            batch_hooks = callback_list.needs_batch_hooks("train")
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                for step, (bx, by, bw) in enumerate(train.epoch(epoch)):
                    self.current_batch = (bx, by, bw)  # for callbacks that look at the data
                    if batch_hooks:
                        callback_list.on_train_batch_begin(step)
                    if strategy is None:
                        self.train_step(bx, by, bw)
                    else:
                        start, stop = strategy.rows(_first_dim(bx))  # this rank's slice
                        self.current_batch = tuple(_slice(p, stop, start) for p in (bx, by, bw))
                        self._train_step_distributed(strategy, *self.current_batch)
                    if batch_hooks:
                        callback_list.on_train_batch_end(step, self.get_metrics_result())
                        if strategy is not None:  # a callback's stop must stop every rank
                            self.stop_training = strategy.any(self.stop_training)
                    if self.diverged and not self.stop_training:
                        raise_divergence(step, epoch)
                    if self.stop_training:
                        break
                if self._interrupted or self._compiled_loss is None:
                    break  # interrupted mid-epoch, or no data at all: no epoch to report
                if strategy is not None:
                    strategy.reduce_metrics(self)  # the epoch's metrics over all the ranks
                logs = self.get_metrics_result()
                if validation is not None and (epoch + 1) % validation_freq == 0 \
                        and not self.diverged:  # fmt: skip
                    val_logs = self._run_evaluation(validation, callback_list)
                    logs.update({f"val_{k}": v for k, v in val_logs.items()})
                logs["learning_rate"] = float(self.optimizer.learning_rate)
                callback_list.on_epoch_end(epoch, logs)
                if strategy is not None:
                    self.stop_training = strategy.any(self.stop_training)
                if self.stop_training or train.exhausted:
                    break
            callback_list.on_train_end(logs)
        self.current_batch = None
        return self.history

    def _check_arrays(self, x, y, sample_weight) -> None:
        """Check the whole of in-memory arrays before the first update (memory maps: per batch).

        Returns whether every value of x was checked (False for memory maps).
        """
        n = {len(leaf) for leaf in _leaves(x)}
        if y is not None:
            n |= {len(leaf) for leaf in _leaves(y)}
        if sample_weight is not None:
            n.add(len(sample_weight))
        if len(n) > 1:
            detail = f"x: {[len(a) for a in _leaves(x)]}"
            if y is not None:
                detail += f", y: {[len(a) for a in _leaves(y)]}"
            raise ValueError(f"x and y must have the same number of samples; received {detail}")
        for leaf in _leaves(x):
            if leaf.dtype.kind not in "fiub":
                raise TypeError(f"x must hold numbers; received an array of dtype {leaf.dtype}")
        x_checked = not any(isinstance(leaf, np.memmap) for leaf in _leaves(x))
        if x_checked:
            check_finite(x, "x")
        if y is not None:
            check_finite(y, "y")
        if sample_weight is not None:
            check_finite(np.asarray(sample_weight, dtype=float), "sample_weight")
        if _first_dim(x) == 0:
            raise ValueError("fit received 0 samples")
        self._prepare(x)  # builds the model: a wrong input width raises here
        if y is not None:
            targets = self._targets(y, len(self._compiled_loss.output_names))
            for loss, target, shape in zip(self._compiled_loss.losses, targets,
                                           self._output_shapes(), strict=False):  # fmt: skip
                check_targets(loss, target, shape)
        return x_checked

    def _output_shapes(self) -> list:
        metrics = self._compiled_metrics
        return metrics.output_shapes if metrics is not None else []

    def _validation_source(self, data, batch_size, steps):
        if isinstance(data, tuple) and 2 <= len(data) <= 3:
            vx, vy, vw = (*data, None)[:3]
            return data_adapter.make_source(vx, vy, vw, batch_size=batch_size, shuffle=False,
                                            steps=steps, what="validation_data")  # fmt: skip
        return data_adapter.make_source(data, batch_size=batch_size, shuffle=False,
                                        steps=steps, what="validation_data")  # fmt: skip

    def _run_evaluation(self, source, callback_list) -> dict:
        """Loss and metrics over ``source``, in inference mode; the training metrics are kept."""
        saved = {id(m): m.get_state() for m in self.metrics}
        result = self._test_loop(source, callback_list)
        for metric in self.metrics:
            metric.set_state(saved[id(metric)])
        return result

    def _test_loop(self, source, callback_list) -> dict:
        """Reset the metrics, run ``test_step`` over ``source``; return the logs."""
        self.reset_metrics()
        callback_list.on_test_begin()
        batch_hooks = callback_list.needs_batch_hooks("test")
        for step, (bx, by, bw) in enumerate(source.epoch(0)):
            if batch_hooks:
                callback_list.on_test_batch_begin(step)
            self.test_step(bx, by, bw)
            if batch_hooks:
                callback_list.on_test_batch_end(step, self.get_metrics_result())
        logs = self.get_metrics_result()
        callback_list.on_test_end(logs)
        return logs

    # ---------------------------------------------------------- evaluate/predict
    def evaluate(self, x=None, y=None, batch_size=32, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict: bool = False):  # fmt: skip
        """Loss and metrics on a dataset (inference mode: no dropout, BatchNorm's averages).

        Returns:
            The loss (a float) when there are no metrics, else ``[loss, metric…]``;
            with ``return_dict=True`` a dict ``{"loss": …, "accuracy": …}``.
        """
        from treino import callbacks as callbacks_module

        self._assert_compiled("evaluate")
        x, y = data_adapter.as_arrays(x), data_adapter.as_arrays(y)
        if data_adapter.is_array_like(x):
            self._check_arrays(x, y, sample_weight)
        source = data_adapter.make_source(x, y, sample_weight, batch_size=batch_size,
                                          shuffle=False, steps=steps, what="evaluate")  # fmt: skip
        verbose = callbacks_module.resolve_verbose(verbose)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=source.steps,
        )  # fmt: skip
        logs = self._test_loop(source, callback_list)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=32, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, batch by batch, in inference mode (NumPy arrays)."""
        from treino import callbacks as callbacks_module

        x = data_adapter.as_arrays(x)
        source = data_adapter.make_source(x, batch_size=batch_size, shuffle=False, steps=steps,
                                          what="predict")  # fmt: skip
        verbose = callbacks_module.resolve_verbose(verbose)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=source.steps,
        )  # fmt: skip
        callback_list.on_predict_begin()
        parts: list[list] = []
        batch_hooks = callback_list.needs_batch_hooks("predict")
        for step, (bx, _, _) in enumerate(source.epoch(0)):
            if batch_hooks:
                callback_list.on_predict_batch_begin(step)
            outputs = self.predict_step(bx)
            parts.append(outputs)
            if batch_hooks:
                callback_list.on_predict_batch_end(step, {"outputs": outputs})
        callback_list.on_predict_end()
        if not parts:
            raise ValueError("predict received no data")
        joined = [np.concatenate(column) for column in zip(*parts, strict=True)]
        return joined[0] if getattr(self, "_single_output", len(joined) == 1) else joined

    # -------------------------------------------------------------- on_batch API
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict: bool = False):  # fmt: skip
        """One update on one batch; returns the loss and metrics of that batch."""
        self._assert_compiled("train_on_batch")
        x, y = data_adapter.as_arrays(x), data_adapter.as_arrays(y)
        self._check_arrays(x, y, sample_weight)
        if class_weight is not None:
            weights = data_adapter.class_weights_for(y, class_weight)
            sample_weight = weights if sample_weight is None else weights * sample_weight
        self.reset_metrics()
        self.train_step(x, y, sample_weight)
        if self.diverged:
            raise_divergence()
        return self._batch_result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        """Loss and metrics of one batch, without updating."""
        self._assert_compiled("test_on_batch")
        x, y = data_adapter.as_arrays(x), data_adapter.as_arrays(y)
        self._check_arrays(x, y, sample_weight)
        self.reset_metrics()
        self.test_step(x, y, sample_weight)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x):
        """The outputs for one batch (inference mode)."""
        outputs = self.predict_step(data_adapter.as_arrays(x))
        return outputs[0] if len(outputs) == 1 else outputs

    def _batch_result(self, return_dict: bool):
        logs = self.get_metrics_result()
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values


class TrainingDivergedError(ValueError, FloatingPointError):
    """A batch's loss was NaN or inf in training: a ValueError (as before) and a float error."""


def raise_divergence(step: int | None = None, epoch: int | None = None) -> None:
    """The error ``fit`` raises when a batch's loss is NaN/inf and no callback stopped training.

    With :class:`~treino.callbacks.TerminateOnNaN` or the training doctor
    (:class:`~treino.diagnostics.TrainingDoctor`) in the callbacks, training
    stops cleanly instead and ``fit`` returns the History.
    """
    where = "" if step is None else f" at batch {step} of epoch {epoch + 1}"
    raise TrainingDivergedError(
        f"The loss is NaN or inf{where}: training diverged and no update was made from that "
        "batch. Lower the learning rate or set clipnorm=1.0 in the optimizer; pass "
        "callbacks=[TerminateOnNaN()] (or TrainingDoctor()) to stop cleanly with the History."
    )


def check_targets(loss, y, output_shape) -> None:
    """Targets that cannot fit the output raise here, before any update.

    For a sparse cross-entropy the labels must be integers in [0, k) for an
    output of k classes; for the categorical one, y must have k columns.
    """
    if loss is None or y is None or output_shape is None:
        return
    y = np.asarray(y)
    classes = output_shape[-1]
    name = type(loss).__name__
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy) and classes:
        labels = y.reshape(-1)
        ignore = getattr(loss, "ignore_class", None)
        if ignore is not None:
            labels = labels[labels != ignore]
        if labels.size and (labels.min() < 0 or labels.max() >= classes
                            or not np.array_equal(labels, np.round(labels))):  # fmt: skip
            bad = labels[(labels < 0) | (labels >= classes) | (labels != np.round(labels))][0]
            raise ValueError(
                f"{name}: labels must be integers in [0, {classes - 1}] for a model with "
                f"{classes} outputs; received label {bad.item()!r} (labels range from "
                f"{labels.min().item()} to {labels.max().item()})"
            )
    elif isinstance(loss, losses_module.CategoricalCrossentropy) and classes and (
        y.ndim < 2 or y.shape[-1] != classes
    ):
        raise ValueError(
            f"{name}: targets must be one-hot rows of {classes} values (shape (n, {classes})); "
            f"received shape {y.shape}. For integer labels use "
            "loss='sparse_categorical_crossentropy' or treino.preprocessing.to_categorical"
        )
