"""Write docs/formulas.md, the formula sheet, from treino's own docstrings.

    python scripts/formula_sheet.py            # rewrite docs/formulas.md
    python scripts/formula_sheet.py --check    # exit 1 if it is out of date

Every public op, activation, loss, optimizer update, learning-rate schedule,
initializer and regularizer documents its equation in its docstring, before the
``Args:`` / ``Example:`` sections. This script collects those descriptions, so
the sheet and the code cannot disagree; tests/test_docs.py fails when the sheet
is stale or when an entry has no equation.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import textwrap
from pathlib import Path

SHEET = Path(__file__).resolve().parents[1] / "docs" / "formulas.md"

# Where the description stops: the first Google-style section header.
_SECTION = re.compile(r"^(Args|Arguments|Returns|Yields|Raises|Examples?|Notes?|Attributes|"
                      r"Shapes?|Input shape|Output shape|References?|See also)\s*:\s*$")
# What counts as an equation: an assignment, an update arrow or a math operator.
EQUATION = re.compile(r"[=←∂Σ∑√∫·×⊙]|\bmax\(|\bmin\(")

INTRO = """\
# Formula sheet / Folha de fórmulas

Every op, activation, loss, optimizer update, learning-rate schedule, initializer
and regularizer in treino, with the equation it computes. *Cada operação, função de
ativação, perda, otimizador, agendamento, inicializador e regularizador, com a
equação que calcula.*

This file is generated from the docstrings by `python scripts/formula_sheet.py`;
the test suite fails when it is out of date. Notation: x the input, y the target,
ŷ the prediction, z logits, w a weight, g its gradient ∂L/∂w, η the learning
rate, t the step (from 1), N the batch size, C the number of classes, ⊙ the
element-wise product.
"""


def _public(module_name: str, keep) -> list[tuple[str, object]]:
    module = importlib.import_module(module_name)
    names = sorted(getattr(module, "__all__", []))
    return [(f"{module_name}.{name}", getattr(module, name)) for name in names
            if keep(name, getattr(module, name))]


def _is_function(name, obj) -> bool:
    return inspect.isfunction(obj) and name not in {"get", "serialize", "deserialize"}


def _is_concrete_class(base_name: str):
    def keep(name, obj):
        return inspect.isclass(obj) and name != base_name and not name.startswith("_")
    return keep


def sections() -> list[tuple[str, list[tuple[str, object]]]]:
    """The sheet's sections: (title, [(qualified name, object)])."""
    activations = _public("treino.activations", _is_function)
    activation_names = {name.rsplit(".", 1)[1] for name, _ in activations}
    return [
        ("Activations / Funções de ativação", activations),
        ("Ops / Operações", _public(
            "treino.ops", lambda n, o: callable(o) and n not in activation_names)),
        ("Losses / Funções de perda", _public(
            "treino.losses", lambda n, o: _is_function(n, o) and n != "as_loss")),
        ("Optimizers / Otimizadores", _public(
            "treino.optimizers", lambda n, o: _is_function(n, o))),
        ("Learning-rate schedules / Agendamento da taxa de aprendizado", _public(
            "treino.optimizers.schedules", _is_concrete_class("LearningRateSchedule"))),
        ("Initializers / Inicialização", _public(
            "treino.initializers",
            lambda n, o: _is_concrete_class("Initializer")(n, o) or n == "compute_fans")),
        ("Regularizers / Regularizadores", _public(
            "treino.regularizers", _is_concrete_class("Regularizer"))),
    ]


def description(obj) -> tuple[str, str]:
    """(summary line, the rest of the description) of ``obj``'s docstring."""
    doc = inspect.getdoc(obj) or ""
    lines = doc.splitlines()
    body = []
    for line in lines[1:]:
        if _SECTION.match(line.strip()):
            break
        body.append(line)
    return (lines[0].strip() if lines else ""), textwrap.dedent("\n".join(body)).strip("\n")


def _autograd_functions(obj, seen=None) -> list[type]:
    """The autograd Functions (forward and backward rules) that ``obj`` applies.

    Read from its source: the Function classes it names, and for a wrapper of
    ``ops.<name>`` (an activation) those of that op, in order of appearance.
    """
    from treino.autograd import Function

    seen = set() if seen is None else seen
    if obj in seen or not inspect.isfunction(obj):
        return []
    seen.add(obj)
    ops = importlib.import_module("treino.ops")
    found = []
    for prefix, word in re.findall(r"\b(ops\.)?([A-Za-z_]\w*)\b", inspect.getsource(obj)):
        target = getattr(ops, word, None) if prefix else obj.__globals__.get(word)
        if inspect.isclass(target) and issubclass(target, Function) and target is not Function:
            found += [target] if target not in found else []
        elif inspect.isfunction(target) and target.__module__.startswith("treino.ops"):
            found += [f for f in _autograd_functions(target, seen) if f not in found]
    return found


def _anchor(title: str) -> str:
    slug = re.sub(r"[^\w\s-]", "", title.lower(), flags=re.UNICODE)
    return re.sub(r"\s+", "-", slug.strip())


def render() -> str:
    """The whole sheet as Markdown."""
    parts = [INTRO, ""]
    all_sections = sections()
    parts += [f"- [{title}](#{_anchor(title)})" for title, _ in all_sections]
    for title, entries in all_sections:
        parts += ["", f"## {title}"]
        for name, obj in entries:
            summary, body = description(obj)
            parts += ["", f"### `{name}`", "", summary]
            text = "\n\n".join([body] + _rules(obj)).strip("\n")
            if text:
                parts += ["", "```text", text, "```"]
    return "\n".join(parts) + "\n"


def _rules(obj) -> list[str]:
    """The forward/backward rule of each autograd Function behind ``obj``."""
    rules = []
    for function in _autograd_functions(obj):
        summary, body = description(function)
        rules.append(f"{function.__name__}: {summary}" + (f"\n{body}" if body else ""))
    return rules


def missing_equations() -> list[str]:
    """Entries whose description has no equation in it."""
    return [name for _, entries in sections() for name, obj in entries
            if not EQUATION.search(" ".join([*description(obj), *_rules(obj)]))]


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not SHEET.exists() or SHEET.read_text(encoding="utf-8") != text:
            print(f"{SHEET} is out of date: run python scripts/formula_sheet.py")
            return 1
        return 0
    SHEET.parent.mkdir(parents=True, exist_ok=True)
    tmp = SHEET.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(SHEET)
    print(f"wrote {SHEET} ({sum(len(e) for _, e in sections())} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
