"""Several optimizers in one model, one per layer — chosen by hand or by watching the gradients.

The course's advanced exercise: different layers may want different
optimizers (a pretrained backbone: small, steady SGD steps; a new head: Adam).

* :class:`PerLayer` — you assign: ``{layer name or pattern: optimizer}``.
* :class:`AdaptivePerLayer` — it assigns: each layer starts with one of two
  candidates and is switched to the other when its gradient statistics say so,
  under the rule documented on the class; every decision is recorded.

Both hand each variable's gradient to the optimizer in charge of it; each
inner optimizer keeps its own state, learning rate and step count.
"""

from __future__ import annotations

import json
import math
import numbers

import numpy as np

from treino import io
from treino.optimizers import base
from treino.optimizers.adam import Adam
from treino.optimizers.sgd import SGD

TENFOLD = math.log(10.0)
"""The default ``trend_threshold``: a gradient norm that changed tenfold within a window."""


def _is_zero(rate) -> bool:
    return isinstance(rate, numbers.Real) and rate == 0


def _resolve(optimizer):
    from treino.optimizers import get  # the registry imports this module

    return get(optimizer)


def layer_of(variable) -> str:
    """The layer a variable belongs to: its path without the last part (``"dense_1"``)."""
    path = base.variable_path(variable)
    return path.rsplit("/", 1)[0] if "/" in path else path


class LayerwiseOptimizer:
    """What both per-layer optimizers share: routing, learning rate, state files."""

    def __init__(self, name):
        self.name = name
        self.iterations = 0

    # subclasses define: self.optimizers (dict name → Optimizer) and optimizer_for(variable)
    def optimizer_for(self, variable) -> base.Optimizer:
        raise NotImplementedError

    def _route(self, grads, variables) -> dict:
        groups: dict[str, tuple[list, list]] = {}
        for grad, variable in zip(grads, variables, strict=True):
            key = self._key_of(self.optimizer_for(variable))
            groups.setdefault(key, ([], []))
            groups[key][0].append(grad)
            groups[key][1].append(variable)
        return groups

    def _key_of(self, optimizer) -> str:
        return next(k for k, o in self.optimizers.items() if o is optimizer)

    def apply_gradients(self, grads_and_vars) -> None:
        """Check every gradient, then let each layer's optimizer update its variables."""
        grads, variables = base.validate_gradients(type(self).__name__, grads_and_vars)
        self._before_update(grads, variables)
        for key, (group_grads, group_vars) in self._route(grads, variables).items():
            self.optimizers[key].apply_gradients(zip(group_grads, group_vars, strict=True))
        self.iterations += 1

    def _before_update(self, grads, variables) -> None:
        """Hook: the adaptive variant watches the gradients here."""

    def apply(self, grads, variables) -> None:
        self.apply_gradients(zip(grads, variables, strict=True))

    def step(self, variables) -> None:
        self.apply_gradients((v.grad, v) for v in variables if v.grad is not None)

    def build(self, variables) -> None:
        for variable in variables:
            self.optimizer_for(variable).build([variable])

    @property
    def learning_rate(self) -> float:
        """The first non-zero inner η; setting it rescales every inner η by the same factor.

        So a callback that multiplies "the" learning rate by 0.1 (ReduceLROnPlateau)
        lowers all layers' rates by 10× and keeps their ratios. A layer frozen with
        η = 0 stays at 0 and is skipped when choosing the reference rate (else the
        reported rate would be 0 and no callback could rescale the others).
        """
        rates = [o.learning_rate for o in self.optimizers.values()]  # numbers or schedules
        return next((rate for rate in rates if not _is_zero(rate)), rates[0])

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        current = self.learning_rate
        if current == 0:
            raise ValueError(f"{type(self).__name__}: cannot rescale learning rates that are all 0")
        factor = float(value) / current
        for optimizer in self.optimizers.values():
            optimizer.learning_rate = optimizer.learning_rate * factor

    # ----------------------------------------------------------------- state
    _state_attributes: tuple[str, ...] = ()
    """Attributes :meth:`load_state_arrays` replaces (restored as they were if loading fails)."""

    def state_arrays(self) -> dict:
        """Every inner optimizer's arrays under ``"<key>/…"``, plus this one's own."""
        arrays = {"iterations": np.array(self.iterations, dtype=np.int64),
                  "config": np.array(json.dumps({"class_name": type(self).__name__}))}  # fmt: skip
        for key, optimizer in self.optimizers.items():
            arrays.update({f"{key}/{k}": a for k, a in optimizer.state_arrays().items()})
        arrays.update(self._own_state_arrays())
        return arrays

    def _own_state_arrays(self) -> dict:
        """Hook: what this optimizer itself needs to resume (names outside ``"<key>/"``)."""
        return {}

    def _restore_own_state(self, arrays: dict, variables: list, source: str) -> None:
        """Hook: restore :meth:`_own_state_arrays`'s output, before the variables are routed.

        Must replace attributes (not change them in place) so that a failed
        load can put the old ones back.
        """

    def load_state_arrays(self, arrays: dict, variables=None, source="the state") -> None:
        """Restore from :meth:`state_arrays`. ``variables``: all the model's, in order.

        Without ``variables``, those the inner optimizers already know (after
        :meth:`build`) are used. This optimizer's own state (the adaptive
        variant's per-layer choice) is restored first, then each variable is
        routed to the inner optimizer in charge of it, in the order that
        optimizer saved its state in. Nothing changes if anything fails.
        """
        name = type(self).__name__
        try:
            saved_class = json.loads(str(arrays["config"]))["class_name"]
            iterations = int(arrays["iterations"])
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"{name}: {source} is not an optimizer state (it needs a readable 'config' "
                f"and 'iterations'; {error!r})"
            ) from None
        if saved_class != name:
            raise ValueError(f"{name}: {source} holds the state of a {saved_class}, "
                             f"not of a {name}")  # fmt: skip
        if variables is None:
            known = (v for o in self.optimizers.values() for v in o._variables)
            variables = list({id(v): v for v in known}.values())  # each once, in order
        variables = list(variables)
        backup = self._snapshot()
        try:
            self._restore_own_state(arrays, variables, source)
            for key, optimizer in self.optimizers.items():
                prefix = f"{key}/"
                own = {k[len(prefix):]: a for k, a in arrays.items() if k.startswith(prefix)}
                if not own:
                    raise ValueError(f"{name}: {source} has no state for the optimizer '{key}'")
                routed = [v for v in variables if self.optimizer_for(v) is optimizer]
                optimizer.load_state_arrays(own, _in_saved_order(routed, own), source=source)
            self.iterations = iterations
        except BaseException:
            self._restore(backup)
            raise

    def _snapshot(self) -> dict:
        inner = {key: (o.state, o._variables, o.iterations) for key, o in self.optimizers.items()}
        own = {attribute: getattr(self, attribute) for attribute in self._state_attributes}
        return {"inner": inner, "own": own, "iterations": self.iterations}

    def _restore(self, snapshot: dict) -> None:
        for key, (state, variables, iterations) in snapshot["inner"].items():
            optimizer = self.optimizers[key]
            optimizer.state, optimizer._variables = state, variables
            optimizer.iterations = iterations
        for attribute, value in snapshot["own"].items():
            setattr(self, attribute, value)
        self.iterations = snapshot["iterations"]

    def save_state(self, path) -> None:
        """Write all inner states to one ``.npz`` file, atomically (no pickle)."""
        io.save_npz(path, self.state_arrays())

    def load_state(self, path, variables=None) -> None:
        """Read :meth:`save_state`'s file. Pass ``variables`` (or :meth:`build` first)."""
        self.load_state_arrays(io.load_npz(path), variables, source=f"'{path}'")


def _in_saved_order(variables: list, arrays: dict) -> list:
    """``variables`` in the order their optimizer saved them, matched by path.

    An inner optimizer stores its state in the order it first saw each
    variable; after a switch that is not the model's order. When the paths do
    not match one to one, ``variables`` come back as they are and the inner
    optimizer's own checks (count, shapes) report the mismatch.
    """
    try:
        saved = json.loads(str(arrays["variables"]))
    except (KeyError, TypeError, ValueError):
        return variables
    by_path = {base.variable_path(v): v for v in variables}
    one_to_one = len(by_path) == len(variables) and isinstance(saved, list)
    if not one_to_one or sorted(map(str, saved)) != sorted(by_path):
        return variables
    return [by_path[path] for path in saved]


class PerLayer(LayerwiseOptimizer):
    """One optimizer per layer, assigned by name: ``PerLayer({"dense_1": "adam", "*": SGD(0.1)})``.

    Each key is a layer name, a variable path (``"dense_1/bias"``) or a glob
    (``"conv*"``, ``"*/bias"``); a variable goes to the optimizer of the
    *first* key that matches it, so put specific keys before ``"*"``. A
    variable that matches no key raises an error naming it (add a ``"*"``
    entry as the default). The same optimizer object may serve several keys.

    Args:
        assignment: ``{pattern: optimizer}``; an optimizer may be given by name
            or config (``"adam"``) like everywhere in treino.
        name: defaults to ``"per_layer"``.

    Example:
        >>> import numpy as np
        >>> from treino.variables import Variable
        >>> head = Variable(np.ones(2), name="kernel", path="head/kernel")
        >>> body = Variable(np.ones(2), name="kernel", path="body/kernel")
        >>> opt = PerLayer({"head": SGD(learning_rate=0.5), "*": SGD(learning_rate=0.1)})
        >>> opt.apply_gradients([(np.ones(2), head), (np.ones(2), body)])
        >>> head.numpy(), body.numpy()
        (array([0.5, 0.5]), array([0.9, 0.9]))
    """

    def __init__(self, assignment: dict, name="per_layer"):
        super().__init__(name)
        if not isinstance(assignment, dict) or not assignment:
            raise ValueError(
                "PerLayer needs a non-empty dict {layer name or pattern: optimizer}. "
                f"Received: {assignment!r}"
            )
        self.assignment = {str(k): _resolve(v) for k, v in assignment.items()}
        self.optimizers = {}
        for optimizer in self.assignment.values():  # one entry per distinct optimizer
            if not any(o is optimizer for o in self.optimizers.values()):
                self.optimizers[str(len(self.optimizers))] = optimizer
        self._cache: dict = {}

    def optimizer_for(self, variable) -> base.Optimizer:
        """The optimizer of the first pattern that matches ``variable``'s path."""
        if variable not in self._cache:
            path = base.variable_path(variable)
            match = next(
                (o for p, o in self.assignment.items() if base.path_matches(path, p)), None
            )
            if match is None:
                raise ValueError(
                    f"PerLayer: no optimizer for '{path}'; patterns: "
                    f"{list(self.assignment)}. Add a '*' entry for the rest."
                )
            self._cache[variable] = match
        return self._cache[variable]

    def get_config(self) -> dict:
        from treino.optimizers import serialize

        return {
            "assignment": {p: serialize(o) for p, o in self.assignment.items()},
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class AdaptivePerLayer(LayerwiseOptimizer):
    r"""Each layer gets Adam or momentum SGD, switched by a rule over its gradient statistics.

    Every ``window`` updates, for each layer (its variables taken together,
    over the last W = ``window`` gradients g₁…g_W), three numbers are measured:

    * **sign consistency** S = meanᵢ |(1/W)·Σₜ sign(gₜ,ᵢ)| ∈ [0, 1]: 1 when every
      weight is pushed the same way at every step, about 0 when the pushes
      flip at random (oscillation or pure noise);
    * **noise-to-signal** N = ((1/W)·Σₜ ‖gₜ‖² − ‖ḡ‖²) / ‖ḡ‖², ḡ = (1/W)·Σₜ gₜ: the
      variance of the gradient over the squared norm of its mean;
    * **norm trend** K = the least-squares slope of ln‖gₜ‖ against t, times W:
      how much the log-norm changed over the window (ln 10 = tenfold).

    The rule (deterministic: the same gradients give the same decisions):

    1. |K| > ``trend_threshold`` (the gradient scale is exploding or vanishing)
       → **adaptive** (Adam: its step does not depend on the gradient's scale);
    2. else N ≥ ``noise_threshold`` and S ≤ ``sign_threshold`` (the layer's
       gradient is mostly mini-batch noise: it has reached the bottom of its
       valley) → **steady** (momentum SGD averages the noise out, where Adam's
       per-weight normalisation would blow tiny noisy gradients up to steps
       of size η; SGD also tends to generalise better there);
    3. else (a clear signal) → **adaptive** (Adam makes fast progress).

    This is the "Adam early, SGD late" idea of SWATS (Keskar & Socher, 2017),
    decided per layer from measurable statistics. For reference, pure noise
    over a window of W gradients gives N ≈ W and S ≈ √(2/(πW)) (0.18 for
    W = 20); a steady gradient gives N = 0, S = 1. The default thresholds
    (N ≥ 10, S ≤ 0.3) thus mean "at least half as noisy as pure noise".

    A layer switches only after ``patience`` consecutive evaluations recommend
    the other candidate (hysteresis against flapping). An evaluation happens
    when a window's last gradient arrives and a switch already applies to that
    update (the decision's ``step``). On a switch the new
    optimizer starts that layer's state afresh (moments 0, t = 1) and the old
    one forgets it.

    Every evaluation is appended to :attr:`decisions` — a dict with ``step``,
    ``layer``, ``sign_consistency``, ``noise_to_signal``, ``norm_trend``,
    ``recommended``, ``action`` (``"keep"`` or ``"switch"``), ``optimizer``
    (the one in charge afterwards) and ``reason``; :attr:`switches` lists
    only the switches and :attr:`assignment` the current choice per layer.
    :meth:`save_state` (and ``model.save``) keep the choice, the streaks, the
    log and the open windows' sums, so a resumed run makes the same decisions
    and updates as one that never stopped.

    Args:
        adaptive: the adaptive candidate. Defaults to ``Adam(learning_rate=0.001)``.
        steady: the steady candidate. Defaults to
            ``SGD(learning_rate=0.01, momentum=0.9)``.
        window: W, updates between evaluations. Defaults to 20.
        patience: consecutive agreeing evaluations needed to switch. Defaults to 2.
        sign_threshold: S at or below which gradients may count as noise.
            Defaults to 0.3.
        noise_threshold: N at or above which gradients may count as noise.
            Defaults to 10.0.
        trend_threshold: |K| above which the scale counts as unstable.
            Defaults to ln 10.
        start: ``"adaptive"`` or ``"steady"``, every layer's first optimizer.
            Defaults to ``"adaptive"`` (fast early progress).
        name: defaults to ``"adaptive_per_layer"``.

    Example:
        >>> import numpy as np
        >>> from treino.variables import Variable
        >>> w = Variable(np.zeros(100), name="kernel", path="dense/kernel")
        >>> opt = AdaptivePerLayer(window=20, patience=1)
        >>> rng = np.random.default_rng(0)
        >>> for _ in range(20):                      # pure noise: the bottom of the valley
        ...     opt.apply_gradients([(rng.normal(size=100), w)])
        >>> d = opt.decisions[-1]
        >>> round(d["sign_consistency"], 2), d["action"], opt.assignment["dense"]
        (0.18, 'switch', 'steady')
    """

    def __init__(self, adaptive=None, steady=None, window=20, patience=2, sign_threshold=0.3,
                 noise_threshold=10.0, trend_threshold=TENFOLD, start="adaptive",
                 name="adaptive_per_layer"):  # fmt: skip
        super().__init__(name)
        self.optimizers = {
            "adaptive": _resolve(adaptive) if adaptive is not None else Adam(0.001),
            "steady": _resolve(steady) if steady is not None else SGD(0.01, momentum=0.9),
        }
        if self.optimizers["adaptive"] is self.optimizers["steady"]:
            raise ValueError("AdaptivePerLayer: adaptive and steady must be two optimizers")
        for arg, value in (("window", window), ("patience", patience)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"AdaptivePerLayer: {arg} must be an integer >= 1. "
                                 f"Received: {arg}={value!r}")  # fmt: skip
        if window < 2:
            raise ValueError(f"AdaptivePerLayer: window must be >= 2. Received: window={window}")
        for arg, value in (("sign_threshold", sign_threshold),
                           ("noise_threshold", noise_threshold),
                           ("trend_threshold", trend_threshold)):  # fmt: skip
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"AdaptivePerLayer: {arg} must be a number >= 0. "
                                 f"Received: {arg}={value!r}")  # fmt: skip
        if start not in self.optimizers:
            raise ValueError(f"AdaptivePerLayer: start must be 'adaptive' or 'steady'. "
                             f"Received: start={start!r}")  # fmt: skip
        self.window, self.patience, self.start = window, patience, start
        self.sign_threshold = float(sign_threshold)
        self.noise_threshold = float(noise_threshold)
        self.trend_threshold = float(trend_threshold)
        self.assignment: dict[str, str] = {}
        self.decisions: list[dict] = []
        self._stats: dict[str, _WindowStats] = {}
        self._streak: dict[str, int] = {}

    _state_attributes = ("assignment", "decisions", "_stats", "_streak")

    @property
    def switches(self) -> list[dict]:
        """The decisions that changed a layer's optimizer."""
        return [d for d in self.decisions if d["action"] == "switch"]

    def optimizer_for(self, variable) -> base.Optimizer:
        return self.optimizers[self.assignment.setdefault(layer_of(variable), self.start)]

    # ------------------------------------------------------------- watching
    def _before_update(self, grads, variables) -> None:
        by_layer: dict[str, list] = {}
        for grad, variable in zip(grads, variables, strict=True):
            by_layer.setdefault(layer_of(variable), []).append(grad)
        for layer, layer_grads in by_layer.items():
            self.assignment.setdefault(layer, self.start)
            stats = self._stats.setdefault(layer, _WindowStats())
            stats.add(layer_grads)
            if stats.count == self.window:
                self._decide(layer, stats.summary(), [v for v in variables
                                                      if layer_of(v) == layer])  # fmt: skip
                self._stats[layer] = _WindowStats()

    def recommend(self, sign_consistency: float, noise_to_signal: float, norm_trend: float):
        """The rule: ``(candidate, reason)`` for one layer's statistics."""
        if abs(norm_trend) > self.trend_threshold:
            way = "growing" if norm_trend > 0 else "shrinking"
            return "adaptive", (f"gradient norm {way} fast (|K| = {abs(norm_trend):.2f} > "
                                f"{self.trend_threshold:.2f})")  # fmt: skip
        if noise_to_signal >= self.noise_threshold and sign_consistency <= self.sign_threshold:
            return "steady", (f"noise-dominated (N = {noise_to_signal:.1f} >= "
                              f"{self.noise_threshold:g}, S = {sign_consistency:.2f} <= "
                              f"{self.sign_threshold:g})")  # fmt: skip
        return "adaptive", (f"clear signal (N = {noise_to_signal:.1f}, "
                            f"S = {sign_consistency:.2f})")  # fmt: skip

    def _decide(self, layer: str, summary: dict, variables: list) -> None:
        current = self.assignment[layer]
        recommended, reason = self.recommend(**summary)
        self._streak[layer] = self._streak.get(layer, 0) + 1 if recommended != current else 0
        action = "keep"
        if self._streak[layer] >= self.patience:
            for variable in variables:
                self.optimizers[current].reset_state(variable)
            self.assignment[layer] = recommended
            self._streak[layer] = 0
            action = "switch"
        self.decisions.append({
            "step": self.iterations + 1, "layer": layer, **summary,
            "recommended": recommended, "action": action,
            "optimizer": self.assignment[layer], "reason": reason,
        })  # fmt: skip

    # ----------------------------------------------------------------- state
    def _own_state_arrays(self) -> dict:
        """The choice per layer, the streaks, the log and the open windows' sums.

        ``"layers"`` is JSON text; window ``i``'s per-variable sums are the
        arrays ``"window/i/sign/j"`` (Σₜ sign(gₜ)) and ``"window/i/grad/j"`` (Σₜ gₜ).
        With them a resumed optimizer makes the same decisions at the same steps.
        """
        windows, arrays = [], {}
        open_windows = [(layer, stats) for layer, stats in self._stats.items() if stats.count]
        for i, (layer, stats) in enumerate(open_windows):
            windows.append({
                "layer": layer, "count": stats.count, "square_norm_sum": stats.square_norm_sum,
                "log_norms": stats.log_norms, "arrays": len(stats.grad_sums),
            })  # fmt: skip
            for j, sign_sum in enumerate(stats.sign_sums):
                arrays[f"window/{i}/sign/{j}"] = np.array(sign_sum, copy=True)
            for j, grad_sum in enumerate(stats.grad_sums):
                arrays[f"window/{i}/grad/{j}"] = np.array(grad_sum, copy=True)
        layers = {"assignment": self.assignment, "streak": self._streak,
                  "decisions": self.decisions, "windows": windows}  # fmt: skip
        arrays["layers"] = np.array(json.dumps(layers))
        return arrays

    def _restore_own_state(self, arrays: dict, variables: list, source: str) -> None:
        """Restore the choice per layer (checked against ``variables``) before routing them.

        A state saved by an older treino, without ``"layers"``, loads with every
        layer on ``start`` and fresh windows (right only if no layer had switched).
        """
        if "layers" not in arrays:
            self.assignment, self.decisions, self._stats, self._streak = {}, [], {}, {}
            return
        where = f"AdaptivePerLayer: {source}"
        try:
            saved = json.loads(str(arrays["layers"]))
        except ValueError as error:
            raise ValueError(f"{where}: 'layers' is not valid JSON ({error})") from None
        keys = ["assignment", "streak", "decisions", "windows"]
        if not isinstance(saved, dict) or any(k not in saved for k in keys):
            raise ValueError(f"{where}: 'layers' should be a JSON object with {keys}; "
                             f"got {str(arrays['layers'])[:200]!r}")  # fmt: skip
        assignment, streak = saved["assignment"], saved["streak"]
        choices = list(self.optimizers)
        if not isinstance(assignment, dict) or any(c not in choices for c in assignment.values()):
            raise ValueError(f"{where}: the saved assignment should map layer names to one of "
                             f"{choices}; got {assignment!r}")  # fmt: skip
        by_layer: dict[str, list] = {}
        for variable in variables:
            by_layer.setdefault(layer_of(variable), []).append(variable)
        unassigned = [layer for layer in by_layer if layer not in assignment]
        if unassigned:
            raise ValueError(
                f"{where}: the variables given belong to the layers {list(by_layer)}, but the "
                f"saved assignment covers {list(assignment)} (no choice for {unassigned}); "
                "load the state into the model it was saved from"
            )
        if not isinstance(streak, dict) or any(
            k not in assignment or type(n) is not int or n < 0 for k, n in streak.items()
        ):
            raise ValueError(f"{where}: the saved streaks should map assigned layers to "
                             f"integers >= 0; got {streak!r}")  # fmt: skip
        decisions, windows = saved["decisions"], saved["windows"]
        if not isinstance(decisions, list) or not all(isinstance(d, dict) for d in decisions):
            raise ValueError(f"{where}: the saved decisions should be a list of objects")
        if not isinstance(windows, list):
            raise ValueError(f"{where}: the saved windows should be a list; got {windows!r}")
        stats = dict(self._window_from(w, i, arrays, by_layer, assignment, where)
                     for i, w in enumerate(windows))  # fmt: skip
        self.assignment, self._streak = dict(assignment), dict(streak)
        self.decisions, self._stats = list(decisions), stats

    def _window_from(self, window, i: int, arrays: dict, by_layer: dict, assignment: dict,
                     where: str) -> tuple:  # fmt: skip
        """Saved window ``i`` as ``(layer, _WindowStats)``, checked against the layer."""
        keys = ["layer", "count", "square_norm_sum", "log_norms", "arrays"]
        if not isinstance(window, dict) or any(k not in window for k in keys):
            raise ValueError(f"{where}: saved window {i} should be an object with {keys}; "
                             f"got {window!r}")  # fmt: skip
        layer, count, log_norms = window["layer"], window["count"], window["log_norms"]
        if layer not in assignment:
            raise ValueError(f"{where}: saved window {i} is of the layer {layer!r}, "
                             f"which has no assignment ({list(assignment)})")  # fmt: skip
        if type(count) is not int or not 1 <= count < self.window:
            raise ValueError(
                f"{where}: the saved window of '{layer}' holds {count!r} gradients; with "
                f"window={self.window} it can hold 1 to {self.window - 1}"
            )
        if not isinstance(log_norms, list) or len(log_norms) != count:
            raise ValueError(f"{where}: the saved window of '{layer}' holds {count} gradients "
                             f"but the log-norms {log_norms!r}")  # fmt: skip
        try:
            n = int(window["arrays"])
            sign_sums = [np.array(arrays[f"window/{i}/sign/{j}"], copy=True) for j in range(n)]
            grad_sums = [np.array(arrays[f"window/{i}/grad/{j}"], copy=True) for j in range(n)]
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{where}: the saved window of '{layer}' lacks its sums "
                             f"({error!r})") from None  # fmt: skip
        shapes = [g.shape for g in grad_sums]
        expected = [v.shape for v in by_layer.get(layer, [])] or shapes
        if [s.shape for s in sign_sums] != shapes or shapes != expected:
            raise ValueError(
                f"{where}: the saved window of '{layer}' sums gradients of shapes {shapes} "
                f"(signs: {[s.shape for s in sign_sums]}); the layer's variables have "
                f"shapes {expected}"
            )
        stats = _WindowStats()
        stats.count, stats.sign_sums, stats.grad_sums = count, sign_sums, grad_sums
        stats.square_norm_sum = float(window["square_norm_sum"])
        stats.log_norms = [float(x) for x in log_norms]
        return layer, stats

    def get_config(self) -> dict:
        from treino.optimizers import serialize

        return {
            "adaptive": serialize(self.optimizers["adaptive"]),
            "steady": serialize(self.optimizers["steady"]),
            "window": self.window, "patience": self.patience,
            "sign_threshold": self.sign_threshold, "noise_threshold": self.noise_threshold,
            "trend_threshold": self.trend_threshold, "start": self.start, "name": self.name,
        }  # fmt: skip

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class _WindowStats:
    """Running sums over one window of a layer's gradients (no gradient is stored).

    Sums are kept per variable, in the gradients' own dtype, so watching a
    layer costs no concatenation and no float64 copy per step.
    """

    def __init__(self):
        self.count = 0
        self.sign_sums: list = []  # Σₜ sign(gₜ), per weight
        self.grad_sums: list = []  # Σₜ gₜ, per weight
        self.square_norm_sum = 0.0  # Σₜ ‖gₜ‖²
        self.log_norms: list[float] = []

    def add(self, grads: list) -> None:
        if self.count == 0:
            self.sign_sums = [np.sign(g) for g in grads]
            self.grad_sums = [g.copy() for g in grads]
        else:
            for sign_sum, grad_sum, g in zip(self.sign_sums, self.grad_sums, grads, strict=True):
                sign_sum += np.sign(g)
                grad_sum += g
        square_norm = sum(_square_norm(g) for g in grads)
        self.square_norm_sum += square_norm
        self.log_norms.append(0.5 * math.log(max(square_norm, 1e-300)))
        self.count += 1

    def summary(self) -> dict:
        w = self.count
        mean_sq = sum(_square_norm(s) for s in self.grad_sums) / w**2  # ‖ḡ‖²
        variance = max(self.square_norm_sum / w - mean_sq, 0.0)
        size = sum(s.size for s in self.sign_sums)
        sign_consistency = sum(float(np.abs(s).sum()) for s in self.sign_sums) / (w * size)
        steps = np.arange(w, dtype=np.float64)
        slope = float(np.polyfit(steps, np.array(self.log_norms), 1)[0])
        return {
            "sign_consistency": sign_consistency,
            "noise_to_signal": variance / mean_sq if mean_sq > 0 else math.inf,
            "norm_trend": slope * w,
        }


def _square_norm(array: np.ndarray) -> float:
    """‖a‖² as a Python float (a dot product in the array's dtype)."""
    flat = array.reshape(-1)
    return float(np.dot(flat, flat))
