"""The course's backpropagation exercise: a 2-2-1 tanh/sigmoid network learns XOR."""

import re

import numpy as np
from layer_checks import ROOT, load_example


def test_xor_example_learns_with_plain_gradient_descent():
    history, predictions = load_example("xor_from_scratch").train_xor()
    assert history[-1] < 0.01
    assert history[-1] < history[0] / 10
    np.testing.assert_array_equal(predictions > 0.5, [False, True, True, False])


def test_xor_learns_from_several_initialisations():
    example = load_example("xor_from_scratch")
    finals = [example.train_xor(seed=s)[0][-1] for s in range(3)]
    assert sum(f < 0.01 for f in finals) >= 2, finals


def test_readme_snippet_runs_and_learns():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["loss"].item() < 0.01
