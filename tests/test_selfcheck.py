"""treino.selfcheck: the `treino gradcheck` self-check of every op and layer, and its table."""

import math

import numpy as np
import pytest

import treino
from treino import layers, ops, selfcheck
from treino.ops import elementwise, linalg
from treino.selfcheck import EXCLUDED, REGISTRY, CheckResult, format_table, run_selfcheck


@pytest.fixture(scope="module")
def everything():
    return run_selfcheck()


# ------------------------------------------------------------------ the full run
def test_every_op_and_layer_passes(everything):
    failed = [(r.name, r.detail) for r in everything if not r.passed]
    assert failed == []
    assert [r.name for r in everything] == list(REGISTRY)
    for r in everything:
        assert r.kind == r.name.split(":")[0] and r.kind in ("op", "layer")
        assert r.detail == "" and r.seconds > 0
        # a right backward differs from central differences by float64 rounding / ε
        assert 0 <= r.max_abs_error < 1e-4 and 0 <= r.max_rel_error < 1e-4, r.name


def test_every_exported_layer_and_public_op_has_a_case():
    assert selfcheck.untested() == []
    layer_cases = {name.removeprefix("layer: ") for name in REGISTRY if name.startswith("layer")}
    excluded = {name.removeprefix("layer: ") for name in EXCLUDED}
    assert layer_cases | excluded == set(layers.__all__)
    assert not layer_cases & excluded
    assert all(reason for reason in EXCLUDED.values())
    # the ops outside treino.ops.__all__ are found too (image ops return Tensors)
    assert {"affine_transform", "gather_pixels", "gaussian_noise"} <= selfcheck._public_ops()
    assert set(ops.__all__) <= selfcheck._public_ops()


def test_untested_reports_a_new_layer_and_a_new_op(monkeypatch):
    monkeypatch.setattr(layers, "__all__", [*layers.__all__, "BrandNewLayer"])
    monkeypatch.setattr(ops, "__all__", [*ops.__all__, "brand_new_op"])
    assert selfcheck.untested() == ["layer: BrandNewLayer", "op: brand_new_op"]


# ------------------------------------------------------------------ only=
def test_only_keeps_the_names_containing_the_text_ignoring_case():
    names = [r.name for r in run_selfcheck(only="conv")]
    assert names == ["op: conv2d", "op: conv1d", "layer: Conv2D", "layer: Conv1D"]
    assert [r.name for r in run_selfcheck(only="LAYER: LSTM")] == ["layer: LSTM"]


def test_only_and_seed_are_checked():
    with pytest.raises(ValueError, match="no check's name contains 'nothing-like-this'"):
        run_selfcheck(only="nothing-like-this")
    with pytest.raises(TypeError, match="only must be a string"):
        run_selfcheck(only=["conv"])
    with pytest.raises(TypeError, match="seed must be an integer"):
        run_selfcheck(only="op: exp", seed=1.5)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        run_selfcheck(only="op: exp", seed=-1)


def test_a_case_draws_the_same_alone_or_with_others_and_the_seed_changes_it(everything):
    alone = run_selfcheck(only="layer: GRU")[0]
    together = next(r for r in everything if r.name == "layer: GRU")
    assert alone.max_abs_error == together.max_abs_error
    assert alone.max_rel_error == together.max_rel_error
    other_seed = run_selfcheck(only="layer: GRU", seed=1)[0]
    assert other_seed.passed and other_seed.max_abs_error != alone.max_abs_error


def test_the_shared_generator_is_left_as_it_was():
    treino.seed(3)
    expected = treino.backend.get_rng().random(4)
    treino.seed(3)
    run_selfcheck(only="layer: Dense")  # builds layers: glorot draws from the shared generator
    np.testing.assert_array_equal(treino.backend.get_rng().random(4), expected)


# --------------------------------------------------------- wrong backward passes
def test_a_doubled_op_gradient_is_caught(monkeypatch):
    right = elementwise.Exp.backward
    monkeypatch.setattr(elementwise.Exp, "backward", lambda self, g: 2 * right(self, g))
    result, expand_dims = run_selfcheck(only="op: exp")  # a substring: expand_dims too
    assert (result.name, expand_dims.name, expand_dims.passed) == ("op: exp", "op: expand_dims",
                                                                  True)  # fmt: skip
    assert not result.passed
    assert result.max_rel_error == pytest.approx(1.0, rel=1e-4)  # |2n − n| / |n|
    assert result.detail.startswith("[(3, 4)] gradcheck: input 0 (shape (3, 4)) has a wrong")
    assert "analytic" in result.detail and "numerical" in result.detail


def test_a_doubled_weight_gradient_names_the_weight(monkeypatch):
    right = linalg.Linear.backward

    def doubled_kernel_gradient(self, g):
        gx, gw, gb = right(self, g)
        return gx, None if gw is None else 2 * gw, gb

    monkeypatch.setattr(linalg.Linear, "backward", doubled_kernel_gradient)
    (result,) = run_selfcheck(only="layer: Dense")
    assert not result.passed
    assert "input 1 (shape (5, 4))" in result.detail and "/kernel]" in result.detail
    assert run_selfcheck(only="layer: Conv2D")[0].passed  # other layers are unaffected


def test_random_layers_pass_only_because_their_generator_is_rewound(monkeypatch):
    monkeypatch.setattr(selfcheck, "_rewind", lambda model_layers: None)
    for name in ("layer: Dropout", "layer: DropConnect", "layer: RandomRotation"):
        (result,) = run_selfcheck(only=name)
        assert not result.passed, name  # a new mask per evaluation: not one function


def test_a_case_that_raises_is_a_failed_row_not_a_crash(monkeypatch):
    def broken(rng):
        return [selfcheck.Probe(lambda t: ops.reshape(t, (7,)), (np.ones(4),), "bad shape")]

    def unbuildable(rng):
        raise RuntimeError("no such op")

    monkeypatch.setitem(REGISTRY, "op: broken", broken)
    monkeypatch.setitem(REGISTRY, "op: unbuildable", unbuildable)
    first, second = run_selfcheck(only="op: ")[-2:]
    assert (first.name, first.passed) == ("op: broken", False)
    assert first.detail.startswith("[bad shape] ValueError: reshape: cannot reshape")
    assert math.isnan(first.max_abs_error)
    assert (second.name, second.passed) == ("op: unbuildable", False)
    assert "could not be built: RuntimeError: no such op" in second.detail


# ------------------------------------------------------------------ the table
ROWS = [
    CheckResult("op: exp", "op", 1.2e-10, 3.4e-10, True, 0.25),
    CheckResult("layer: Dense", "layer", 6.4, 1.0, False, 0.5, "[tanh] gradcheck: input 1 …"),
]


@pytest.mark.parametrize(
    ("lang", "headers", "layer", "ok", "failed", "summary"),
    [
        ("pt", ["verificação", "tipo", "erro abs. máx.", "erro rel. máx.", "status", "tempo (s)"],
         "camada", "✓ OK", "✗ FALHOU", "1 de 2 verificações passaram em 0.8 s"),
        ("en", ["check", "kind", "max abs error", "max rel error", "status", "time (s)"],
         "layer", "✓ OK", "✗ FAILED", "1 of 2 checks passed in 0.8 s"),
    ],
)  # fmt: skip
def test_table_has_the_header_one_row_per_result_and_a_summary(lang, headers, layer, ok, failed,
                                                               summary):  # fmt: skip
    lines = format_table(ROWS, lang=lang).splitlines()
    assert all(h in lines[0] for h in headers)
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split() == ["op:", "exp", "op", "1.2e-10", "3.4e-10", *ok.split(), "0.250"]
    assert lines[3].split() == ["layer:", "Dense", layer, "6.4e+00", "1.0e+00", *failed.split(),
                                "0.500"]  # fmt: skip
    assert "  layer: Dense: [tanh] gradcheck: input 1 …" in lines
    assert lines[-1] == summary


def test_table_of_a_real_run_in_both_languages(everything):
    for lang, summary in (("pt", "verificações passaram"), ("en", "checks passed")):
        lines = format_table(everything, lang=lang).splitlines()
        assert len(lines) == 2 + len(everything) + 1  # header, rule, rows, summary
        assert lines[-1].startswith(f"{len(everything)} ") and summary in lines[-1]
        for line, result in zip(lines[2:-1], everything, strict=True):
            assert line.startswith(result.name + " ") and "✓" in line


def test_table_rejects_what_is_not_a_result():
    with pytest.raises(TypeError, match="expected CheckResult items"):
        format_table([("op: exp", True)])
    with pytest.raises(ValueError, match="lang must be 'pt' or 'en'"):
        format_table(ROWS, lang="fr")
