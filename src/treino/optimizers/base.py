"""The ``Optimizer`` base: everything the algorithms share, written once.

An optimizer turns gradients into weight updates. Each algorithm (SGD, Adam …)
is a single-tensor *kernel*, a plain function such as
``adam_update(param, grad, m, v, t, *, lr, beta_1, beta_2, epsilon)`` that
changes ``param`` and its state arrays in place, plus a thin class. The class
supplies two things — the state arrays one parameter needs
(:meth:`Optimizer.init_state`) and the call of its kernel
(:meth:`Optimizer.update_step`) — and this base does the rest, in this order,
for every call of :meth:`Optimizer.apply_gradients`:

1. check every gradient (shape, dtype, finite) before touching anything;
2. clip (``clipvalue``, ``clipnorm`` or ``global_clipnorm``);
3. read the learning rate η (a float, a schedule of the step, or a callable);
4. per parameter w with gradient g, η scaled by its ``lr_multipliers`` entry:
   decoupled weight decay ``w ← w − η·λ·w`` (when ``weight_decay`` λ is set,
   as Keras 3 and AdamW do), then the algorithm's kernel;
5. every :data:`FLUSH_SUBNORMALS_EVERY` steps of a parameter, its state
   arrays are flushed of subnormal numbers (see :func:`flush_subnormals`);
6. ``iterations += 1``.

State belongs to the optimizer, keyed by the parameter (never stored on a
layer), and holds each parameter's own step count ``t`` (as PyTorch: a
parameter that joins late, or switches optimizer, starts its bias correction
at t = 1). :meth:`Optimizer.state_dict` / :meth:`Optimizer.save_state` capture
it all (moments, step counts, ``iterations``) so training resumes exactly.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import warnings
from fnmatch import fnmatchcase

import numpy as np

from treino import backend, io
from treino.autograd import Tensor
from treino.optimizers import clipping, schedules

FLUSH_SUBNORMALS_EVERY = 16
"""How often (in steps of a parameter) its state is flushed of subnormal numbers.

A moment that stops receiving gradient decays geometrically: Adam's m by
β₁ = 0.9 per step crosses the whole subnormal range of float32 (2⁻¹²⁶ down
to 2⁻¹⁴⁹) in about 150 steps, v by β₂ = 0.999 in about 16,000. Flushing every
16 steps keeps such values out ~90 % of the time for 1/16 of the cost of
flushing every step.
"""


PARALLEL_MIN_SIZE = 1 << 19
"""Parameters with at least this many values are updated in two halves at once.

The second half runs on a helper thread while this one does the first (NumPy
releases the GIL inside its loops). Measured on 2 cores: Adam on 1M values
takes 1.7–2.1 ms this way against 2.6–3.2 ms on one thread; on 100k values
handing the half over costs more than it saves (360–490 µs against 215 µs),
hence the threshold. Only optimizers whose update is elementwise
(``Optimizer.elementwise``) do it, and only with ``backend.num_threads() > 1``.
"""


class Optimizer:
    """Base class of the optimizers.

    Args:
        learning_rate: η — a float ≥ 0, a
            :class:`~treino.optimizers.schedules.LearningRateSchedule` (called
            with ``iterations``), or a callable without arguments returning a
            float.
        weight_decay: λ for decoupled weight decay, ``w ← w − η·λ·w`` before
            each update (Keras 3's rule; not an L2 term added to the loss —
            for that use ``treino.regularizers.L2``). Defaults to None (off).
        clipnorm: clip each gradient array to this L2 norm. Defaults to None.
        clipvalue: clip each gradient component to [−clipvalue, clipvalue].
            Defaults to None.
        global_clipnorm: clip all gradients together to this global L2 norm.
            Defaults to None. At most one of the three clipping arguments.
        lr_multipliers: per-layer learning rates, ``{pattern: factor}``: a
            parameter whose path (``"dense_1/kernel"``) matches a pattern — a
            layer name (``"dense_1"``), a path, or a glob (``"conv*"``,
            ``"*/bias"``) — is updated with η·factor; the first matching
            pattern wins; 0 freezes. Defaults to None (factor 1 everywhere).
        name: the optimizer's name.

    Subclasses implement :meth:`init_state` and :meth:`update_step`.
    """

    elementwise = False
    """True when ``update_step`` treats every value on its own (then a large
    parameter may be updated in halves, see :data:`PARALLEL_MIN_SIZE`)."""

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, lr_multipliers=None, name=None):  # fmt: skip
        self.name = name or type(self).__name__.lower()
        self._learning_rate = self._check_learning_rate(learning_rate)
        self.weight_decay = self._optional_nonnegative("weight_decay", weight_decay)
        self.clipnorm = self._optional_positive("clipnorm", clipnorm)
        self.clipvalue = self._optional_positive("clipvalue", clipvalue)
        self.global_clipnorm = self._optional_positive("global_clipnorm", global_clipnorm)
        clips = [k for k in ("clipnorm", "clipvalue", "global_clipnorm") if getattr(self, k)]
        if len(clips) > 1:
            raise ValueError(
                f"{type(self).__name__}: only one of clipnorm, clipvalue and global_clipnorm "
                f"can be set. Received: {', '.join(f'{k}={getattr(self, k)}' for k in clips)}"
            )
        self.lr_multipliers = lr_multipliers
        self.iterations = 0
        self.state: dict[Tensor, dict[str, np.ndarray]] = {}
        self._variables: list[Tensor] = []  # in the order first seen: the order of state_dict
        self._decay_excluded_vars: set[int] = set()
        self._decay_excluded_names: list[str] = []
        self._workspaces: dict[tuple, np.ndarray] = {}

    # ------------------------------------------------------------ validation
    def _fail(self, message: str):
        raise ValueError(f"{type(self).__name__}: {message}")

    def _check_learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule) or callable(value):
            return value
        return self._nonnegative("learning_rate", value)

    def _number(self, name: str, value) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            self._fail(f"{name} must be a number. Received: {name}={value!r}")
        if not math.isfinite(value):
            self._fail(f"{name} must be finite. Received: {name}={value}")
        return float(value)

    def _nonnegative(self, name: str, value) -> float:
        value = self._number(name, value)
        if value < 0:
            self._fail(f"{name} must be >= 0. Received: {name}={value}")
        return value

    def _optional_nonnegative(self, name: str, value):
        return None if value is None else self._nonnegative(name, value)

    def _optional_positive(self, name: str, value):
        if value is None:
            return None
        value = self._number(name, value)
        if value <= 0:
            self._fail(f"{name} must be > 0. Received: {name}={value}")
        return value

    def _in_range(self, name: str, value, low: float, high: float, high_inclusive=False) -> float:
        """Check low ≤ value < high (≤ high with ``high_inclusive``)."""
        value = self._number(name, value)
        if not (low <= value and (value <= high if high_inclusive else value < high)):
            bracket = "]" if high_inclusive else ")"
            self._fail(f"{name} must be in [{low}, {high}{bracket}. Received: {name}={value}")
        return value

    # --------------------------------------------------------- learning rate
    @property
    def learning_rate(self) -> float:
        """η for the next update: the float, ``schedule(iterations)`` or ``callable()``."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            return float(lr(self.iterations))
        if callable(lr):
            return float(lr())
        return lr

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if callable(self._learning_rate) and not callable(value):
            raise TypeError(
                f"{type(self).__name__}: this optimizer's learning rate is a schedule "
                f"({self._learning_rate!r}); it cannot be set to a number. Pass a new "
                "schedule, or create the optimizer with a float learning_rate."
            )
        self._learning_rate = self._check_learning_rate(value)

    @property
    def lr_multipliers(self) -> dict:
        return dict(self._lr_multipliers)

    @lr_multipliers.setter
    def lr_multipliers(self, value) -> None:
        value = dict(value or {})
        for pattern, factor in value.items():
            if not isinstance(pattern, str):
                self._fail(f"lr_multipliers keys must be strings. Received: {pattern!r}")
            self._nonnegative(f"lr_multipliers[{pattern!r}]", factor)
        self._lr_multipliers = {k: float(v) for k, v in value.items()}
        self._multiplier_cache: dict[Tensor, float] = {}

    def lr_multiplier(self, variable) -> float:
        """The factor applied to η for ``variable`` (1.0 when no pattern matches)."""
        if variable not in self._multiplier_cache:
            path = variable_path(variable)
            factor = next(
                (f for p, f in self._lr_multipliers.items() if path_matches(path, p)), 1.0
            )
            self._multiplier_cache[variable] = factor
        return self._multiplier_cache[variable]

    # ---------------------------------------------------------- weight decay
    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Leave some variables out of weight decay (Keras 3).

        Args:
            var_list: variables to exclude.
            var_names: regular expressions; a variable whose path matches one
                (``re.search``) is excluded, e.g. ``["bias", "gamma", "beta"]``.
        """
        self._decay_excluded_vars.update(id(v) for v in var_list or ())
        self._decay_excluded_names.extend(var_names or ())

    def _decays(self, variable) -> bool:
        if not self.weight_decay or id(variable) in self._decay_excluded_vars:
            return False
        path = variable_path(variable)
        return not any(re.search(pattern, path) for pattern in self._decay_excluded_names)

    # ---------------------------------------------------------------- update
    def apply_gradients(self, grads_and_vars) -> None:
        """Update each variable with its gradient: ``apply_gradients(zip(grads, params))``.

        Pairs whose gradient is None are skipped (with a warning). Every
        gradient is checked first; on any error no variable has changed.
        """
        grads, variables = validate_gradients(type(self).__name__, grads_and_vars)
        grads = self._clipped(grads)
        lr = self.learning_rate
        for grad, variable in zip(grads, variables, strict=True):
            state = self._state_of(variable)
            step = state["step"]
            step += 1  # in place: the 0-d array stays the one in the state
            var_lr = lr * self.lr_multiplier(variable)
            param = variable.data
            if self.weight_decay and self._decays(variable):
                decay_weights(param, var_lr * self.weight_decay)
            if self.elementwise and param.size >= PARALLEL_MIN_SIZE and backend.num_threads() > 1:
                self._update_in_halves(param, grad, state, var_lr)
            else:
                self.update_step(param, grad, state, var_lr)
            if int(step) % FLUSH_SUBNORMALS_EVERY == 0:
                for array in state.values():
                    flush_subnormals(array)
        self.iterations += 1

    def _update_in_halves(self, param, grad, state, lr) -> None:
        """``update_step`` on the two halves of a large parameter at once (one on the helper)."""
        arrays = {"param": param, "grad": grad,
                  **{k: a for k, a in state.items() if a.shape == param.shape}}  # fmt: skip
        if not all(a.flags.c_contiguous for a in arrays.values()):
            self.update_step(param, grad, state, lr)
            return
        half = param.size // 2
        first, second = ({k: a.reshape(-1)[part] for k, a in arrays.items()}
                         for part in (slice(None, half), slice(half, None)))  # fmt: skip

        def update(part: dict) -> None:
            self.update_step(part.pop("param"), part.pop("grad"), {**state, **part}, lr)

        _helper().run_beside(update, second, lambda: update(first))

    def workspace(self, param: np.ndarray) -> np.ndarray:
        """A scratch array of ``param``'s shape and dtype, reused by every update.

        Kernels write their temporaries here instead of allocating: one buffer
        per shape and thread, shared by the parameters of that shape (updates
        on one thread run one after the other). Its contents are garbage
        between calls.
        """
        key = (param.shape, param.dtype, threading.get_ident())
        buffer = self._workspaces.get(key)
        if buffer is None:
            buffer = self._workspaces[key] = np.empty_like(param)
        return buffer

    def apply(self, grads, variables) -> None:
        """Keras 3's form: ``apply(grads, variables)``."""
        self.apply_gradients(zip(grads, variables, strict=True))

    def step(self, variables) -> None:
        """PyTorch's form: update each variable with its own ``.grad`` (None: skipped)."""
        variables = list(variables)
        self.apply_gradients((v.grad, v) for v in variables if v.grad is not None)

    def build(self, variables) -> None:
        """Create the state of ``variables`` now (otherwise: at their first update)."""
        for variable in variables:
            self._state_of(variable)

    def _state_of(self, variable) -> dict:
        state = self.state.get(variable)
        if state is None:  # the first update of this variable
            if not isinstance(variable, Tensor):
                raise TypeError(
                    f"{type(self).__name__}: can only update treino Tensors/Variables; "
                    f"received {type(variable).__name__}"
                )
            state = {"step": np.zeros((), dtype=np.int64), **self.init_state(variable.data)}
            self.state[variable] = state
            self._variables.append(variable)
        return state

    def _clipped(self, grads: list) -> list:
        if self.clipnorm:
            return clipping.clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm:
            return clipping.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue:
            return clipping.clip_by_value(grads, self.clipvalue)
        return grads

    # -------------------------------------------------------- the algorithm
    def init_state(self, param: np.ndarray) -> dict[str, np.ndarray]:
        """The state arrays one parameter needs, e.g. ``{"m": zeros, "v": zeros}``."""
        return {}

    def update_step(self, param: np.ndarray, grad: np.ndarray, state: dict, lr: float) -> None:
        """Update ``param`` in place by calling the algorithm's kernel.

        ``state["step"]`` is already the step t of this update (1 at the first).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update_step")

    def reset_state(self, variable) -> None:
        """Forget ``variable``'s state: its next update starts afresh at t = 1."""
        if variable in self.state:
            del self.state[variable]
            self._variables.remove(variable)

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict:
        """Constructor arguments (a schedule as its serialized dict)."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif callable(lr):
            lr = float(lr())  # as Keras: a plain callable is saved as its current value
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "lr_multipliers": self.lr_multipliers or None,
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict:
        """Everything needed to resume: ``{"iterations", "variables", "state", "config"}``.

        ``state`` is a list, one dict of arrays per variable in the order the
        optimizer first saw them (``variables`` holds their paths); the arrays
        are copies.
        """
        return {
            "iterations": self.iterations,
            "variables": [variable_path(v) for v in self._variables],
            "state": [
                {k: np.array(a, copy=True) for k, a in self.state[v].items()}
                for v in self._variables
            ],
            "config": self.get_config(),
        }

    def load_state_dict(self, state_dict: dict, variables=None) -> None:
        """Restore :meth:`state_dict`'s output.

        Args:
            state_dict: what :meth:`state_dict` returned (or :meth:`load_state` read).
            variables: the variables, in the same order as when saved.
                Defaults to those this optimizer has seen (after :meth:`build`).

        Everything is checked (count, names of the state arrays, shapes) before
        anything changes.
        """
        variables = list(self._variables if variables is None else variables)
        saved = state_dict["state"]
        if len(saved) != len(variables):
            self._fail(
                f"the saved state holds {len(saved)} variables but {len(variables)} were "
                "given; build the optimizer with the same variables, in the same order"
            )
        restored = []
        for variable, arrays in zip(variables, saved, strict=True):
            expected = {"step": np.zeros((), np.int64), **self.init_state(variable.data)}
            if set(arrays) != set(expected):
                self._fail(
                    f"saved state of '{variable_path(variable)}' has {sorted(arrays)}; "
                    f"{type(self).__name__} needs {sorted(expected)}"
                )
            for key, template in expected.items():
                if np.shape(arrays[key]) != template.shape:
                    self._fail(
                        f"saved '{key}' of '{variable_path(variable)}' has shape "
                        f"{np.shape(arrays[key])}; the variable needs {template.shape}"
                    )
            restored.append(
                {k: np.array(arrays[k], dtype=t.dtype, copy=True) for k, t in expected.items()}
            )
        self.state = dict(zip(variables, restored, strict=True))
        self._variables = variables
        self.iterations = int(state_dict["iterations"])

    def state_arrays(self) -> dict[str, np.ndarray]:
        """:meth:`state_dict` flattened to named arrays (``"state/0/m"`` …) for an ``.npz``."""
        sd = self.state_dict()
        arrays = {
            "iterations": np.array(sd["iterations"], dtype=np.int64),
            "variables": np.array(json.dumps(sd["variables"])),
            "config": np.array(json.dumps({"class_name": type(self).__name__,
                                           "config": sd["config"]})),  # fmt: skip
        }
        for index, slots in enumerate(sd["state"]):
            for key, array in slots.items():
                arrays[f"state/{index}/{key}"] = array
        return arrays

    def load_state_arrays(self, arrays: dict, variables=None, source="the state") -> None:
        """Restore from :meth:`state_arrays`'s output (see :meth:`load_state_dict`)."""
        try:
            paths = json.loads(str(arrays["variables"]))
            saved_class = json.loads(str(arrays["config"]))["class_name"]
            iterations = int(arrays["iterations"])
        except (KeyError, ValueError) as error:
            raise ValueError(f"{source} is not an optimizer state ({error!r} missing)") from None
        if saved_class != type(self).__name__:
            self._fail(f"{source} holds the state of a {saved_class}, not of a "
                       f"{type(self).__name__}")  # fmt: skip
        state = [{} for _ in paths]
        for key, array in arrays.items():
            if key.startswith("state/"):
                _, index, slot = key.split("/", 2)
                state[int(index)][slot] = array
        self.load_state_dict(
            {"iterations": iterations, "variables": paths, "state": state}, variables
        )

    def save_state(self, path) -> None:
        """Write the state (moments, step counts, ``iterations``) to an ``.npz`` file.

        The write is atomic and nothing is pickled. Example::

            opt.save_state("opt.npz")          # after some training
            new_opt = Adam(); new_opt.build(model.trainable_variables)
            new_opt.load_state("opt.npz")      # continues bit-identically
        """
        io.save_npz(path, self.state_arrays())

    def load_state(self, path, variables=None) -> None:
        """Read a file written by :meth:`save_state` (see :meth:`load_state_dict`)."""
        self.load_state_arrays(io.load_npz(path), variables, source=f"'{path}'")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} learning_rate={self._learning_rate!r}>"


# ------------------------------------------------------------------ helpers
class _HelperThread:
    """One daemon thread that runs one call at a time beside the calling thread."""

    def __init__(self):
        self._go, self._done = threading.Semaphore(0), threading.Semaphore(0)
        self._lock = threading.Lock()  # one caller at a time
        self._job, self._error = None, None
        threading.Thread(target=self._serve, name="treino-optimizer", daemon=True).start()

    def _serve(self) -> None:
        while True:
            self._go.acquire()
            function, argument = self._job
            try:
                function(argument)
            except BaseException as error:  # handed to the caller, raised there
                self._error = error
            self._done.release()

    def run_beside(self, function, argument, own) -> None:
        """``function(argument)`` on the helper while ``own()`` runs here; errors re-raised."""
        with self._lock:
            self._job, self._error = (function, argument), None
            self._go.release()
            try:
                own()
            finally:
                self._done.acquire()
            if self._error is not None:
                raise self._error


_HELPER: list = []
if hasattr(os, "register_at_fork"):  # a forked child has no helper thread: it makes its own
    os.register_at_fork(after_in_child=_HELPER.clear)


def _helper() -> _HelperThread:
    if not _HELPER:
        _HELPER.append(_HelperThread())
    return _HELPER[0]


def validate_gradients(owner: str, grads_and_vars) -> tuple[list, list]:
    """Check ``(gradient, variable)`` pairs before any update; return (grads, variables).

    Pairs without a gradient are dropped with a warning. Each gradient must
    have its variable's shape, hold numbers and be finite; it is cast to the
    variable's dtype. A variable may appear once. ``owner`` names the
    optimizer in the messages.
    """
    pairs = list(grads_and_vars)
    missing = [variable_path(v) for g, v in pairs if g is None]
    if missing:
        warnings.warn(
            f"{owner}: no gradient for {', '.join(missing)}; those variables are not updated.",
            stacklevel=3,
        )
    pairs = [(g, v) for g, v in pairs if g is not None]
    seen = set()
    for _, variable in pairs:
        if id(variable) in seen:
            raise ValueError(
                f"{owner}: variable '{variable_path(variable)}' appears twice in one update"
            )
        seen.add(id(variable))
    grads = [_checked_gradient(owner, g, v) for g, v in pairs]
    return grads, [v for _, v in pairs]


def _checked_gradient(owner: str, grad, variable) -> np.ndarray:
    if (type(grad) is np.ndarray and isinstance(variable, Tensor)
            and grad.dtype == variable.data.dtype and grad.dtype.kind == "f"
            and grad.shape == variable.data.shape and np.isfinite(grad).all()):  # fmt: skip
        return grad  # the common case, checked without building any message
    name = variable_path(variable)
    if not isinstance(variable, Tensor):
        raise TypeError(
            f"{owner}: can only update treino Tensors/Variables; "
            f"received {type(variable).__name__} for '{name}'"
        )
    if variable.dtype.kind != "f":
        raise TypeError(
            f"{owner}: variable '{name}' has dtype {variable.dtype}; "
            "only float variables can be trained"
        )
    grad = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
    if grad.shape != variable.shape:
        raise ValueError(
            f"{owner}: gradient shape {grad.shape} does not match variable '{name}' "
            f"of shape {variable.shape}"
        )
    if grad.dtype.kind not in "fiu":
        raise TypeError(f"{owner}: gradient of '{name}' has dtype {grad.dtype}; expected floats")
    grad = grad.astype(variable.dtype, copy=False)
    if not np.isfinite(grad).all():
        bad = int(grad.size - np.count_nonzero(np.isfinite(grad)))
        raise ValueError(
            f"{owner}: the gradient of '{name}' has {bad} NaN/inf value(s) of {grad.size}; "
            "no variable was updated. The loss has probably diverged: lower the "
            "learning rate or set clipnorm."
        )
    return grad


def flush_subnormals(array: np.ndarray) -> None:
    """Set the subnormal values of a float array to 0, in place (flush-to-zero).

    Subnormals (0 < |x| < the smallest normal, 1.2e-38 in float32) keep
    gradual underflow but many CPUs compute with them through a slow
    microcode path: here √x and x/y of a subnormal take about twice as long,
    on some Intel cores 50–100× as long. Optimizer moments of weights that
    stop receiving gradient (inputs that are always 0, dead units) decay into
    that range and stay there; an update they enter changes w by less than
    η·1e-38/ε, so zeroing them changes nothing measurable. NumPy cannot set the
    CPU's FTZ/DAZ flags, so the flush is done on the arrays.

    Example:
        >>> a = np.array([1e-3, 1e-40, -1e-41, 0.0], dtype=np.float32)
        >>> flush_subnormals(a); a
        array([0.001, 0.   , 0.   , 0.   ], dtype=float32)
    """
    if array.dtype.kind != "f":
        return
    tiny = np.finfo(array.dtype).smallest_normal
    np.copyto(array, 0, where=np.abs(array) < tiny)


def decay_weights(param: np.ndarray, rate: float) -> None:
    """Decoupled weight decay, in place: w ← w − (η·λ)·w = (1 − η·λ)·w.

    Example:
        >>> w = np.array([1.0, -2.0]); decay_weights(w, 0.1); w
        array([ 0.9, -1.8])
    """
    param *= 1.0 - rate


def variable_path(variable) -> str:
    """A variable's full name (``"dense_1/kernel"``), its name, or ``"<unnamed>"``."""
    return getattr(variable, "path", None) or getattr(variable, "name", None) or "<unnamed>"


def path_matches(path: str, pattern: str) -> bool:
    """True when ``pattern`` names the variable ``path`` or the layer holding it.

    Example:
        >>> [path_matches("dense_1/kernel", p) for p in ("dense_1", "dense_*", "*/bias")]
        [True, True, False]
    """
    return fnmatchcase(path, pattern) or fnmatchcase(path, pattern + "/*")
