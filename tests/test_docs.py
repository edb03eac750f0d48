"""The documentation stays true: the formula sheet matches the docstrings, every
Python example in docs/ runs, links point at files that exist, and the Portuguese
README shows the same (tested) code as the English one."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").rglob("*.md"))
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _formula_sheet():
    spec = importlib.util.spec_from_file_location("formula_sheet",
                                                  ROOT / "scripts" / "formula_sheet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_formula_sheet_is_up_to_date():
    sheet = _formula_sheet()
    assert sheet.SHEET.read_text(encoding="utf-8") == sheet.render(), (
        "docs/formulas.md is out of date: run python scripts/formula_sheet.py")


def test_every_entry_of_the_formula_sheet_has_its_equation():
    sheet = _formula_sheet()
    assert sheet.missing_equations() == []
    names = {name for _, entries in sheet.sections() for name, _ in entries}
    for expected in ("treino.ops.matmul", "treino.ops.conv2d", "treino.losses.huber",
                     "treino.optimizers.adam_update", "treino.optimizers.adadelta_update",
                     "treino.optimizers.schedules.CosineDecay",
                     "treino.initializers.HeNormal", "treino.regularizers.L2"):
        assert expected in names


def test_formula_sheet_shows_each_ops_backward_rule():
    text = (ROOT / "docs" / "formulas.md").read_text(encoding="utf-8")
    exp_entry = text.split("### `treino.ops.exp`", 1)[1].split("###", 1)[0]
    assert "∂L/∂x = G · eˣ" in exp_entry


def test_a_missing_equation_is_reported(monkeypatch):
    sheet = _formula_sheet()

    def no_math(x):
        """Does something, but says not what."""

    monkeypatch.setattr(sheet, "sections", lambda: [("Ops", [("treino.ops.no_math", no_math)])])
    assert sheet.missing_equations() == ["treino.ops.no_math"]


@pytest.mark.parametrize("path", [p for p in DOCS if PYTHON_BLOCK.search(p.read_text("utf-8"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_in_the_docs_run(path, tmp_path):
    """All ```python blocks of one page, in order, as one script in a scratch folder."""
    code = "\n".join(PYTHON_BLOCK.findall(path.read_text(encoding="utf-8")))
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{path.name}:\n{done.stderr[-3000:]}"


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("path", [ROOT / "README.md", ROOT / "README.pt-BR.md",
                                  ROOT / "notebooks" / "README.md", *DOCS],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files_that_exist(path):
    broken = [target for target in LINK.findall(path.read_text(encoding="utf-8"))
              if "://" not in target and not (path.parent / target).exists()]
    assert not broken, f"{path.relative_to(ROOT)}: broken links {broken}"


def test_portuguese_readme_shows_the_tested_english_code():
    english = (ROOT / "README.md").read_text(encoding="utf-8")
    portuguese = (ROOT / "README.pt-BR.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:python|bash)\n.*?```", portuguese, re.S)
    assert len(blocks) >= 7
    for block in blocks:
        assert block in english, f"README.pt-BR.md has code the English README lacks:\n{block}"
    heading = re.compile(r"^## ", re.M)
    assert len(heading.findall(portuguese)) == len(heading.findall(english))
