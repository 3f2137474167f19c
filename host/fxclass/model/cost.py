"""Estimated Cortex-M4 instructions of one inference, before a model is built (`--instr-budget`).

The cost model of `fxclass train --features auto --instr-budget`.
The feature stage's estimate is its set's (features.FeatureSet.instructions, each set's module
calibrated on its kernel); the other stages' constants are fitted here to `make bench`'s figures
(bench/results.json): the input scaling 8.2 instructions per feature (standard stage,
feature_scaling_instructions_per_feature); a dense layer 1.1 per multiply-accumulate plus 260 per
layer (dense_instructions and the spectral models' dense stages, within 15 %, erring high on the
largest layer, which the whole-layer variant runs at 1.07); softmax 37.9 per class plus 34
(softmax_instructions_per_class, _fixed); the rest of fx_model_run 52. tests/test_select.py holds
the estimates to the measured figures."""
from __future__ import annotations

from . import features

SCALING_PER_FEATURE = 8.2
DENSE_PER_MAC = 1.1
DENSE_PER_LAYER = 260.0
SOFTMAX_PER_CLASS = 37.9
SOFTMAX_FIXED = 34.0
REST = 52.0


def head_instructions(n_features: int, hidden: tuple[int, ...], n_classes: int) -> float:
    """Input scaling, dense layers and softmax for a head of hidden widths over n_features."""
    sizes = [n_features, *hidden, n_classes]
    dense = sum(DENSE_PER_MAC * a * b + DENSE_PER_LAYER for a, b in zip(sizes, sizes[1:]))
    return SCALING_PER_FEATURE * n_features + dense + SOFTMAX_PER_CLASS * n_classes + SOFTMAX_FIXED + REST


def rocket_stage(params) -> float:
    """The rocket feature stage, for the rocket module, which carries no estimate of its own: 3.28
    instructions per kernel, block and sample and 118 per kernel and block, fitted to `make bench`'s two
    rocket models with one bias per block (about 300,000 at 100 x 6 and 3.3 million at 1,460 x 1, as
    the README gives them); each further bias of a block adds the count's step, about one instruction
    per kernel and sample (from the kernel's inner loop, not measured)."""
    K, L = len(params.kernels), params.window_len
    return sum(K * L * (2.28 + 1.0 * b.n_biases) + 118.0 * K for b in params.blocks)


# Stage estimates for the registered sets whose modules carry no `instructions` of their own.
STAGE_MODELS = {"rocket": rocket_stage}


def feature_instructions(feature_set: int, params) -> float | None:
    """The feature stage: the set's own estimate, else this module's, else None (unknown)."""
    fset = features.get(feature_set)
    own = fset.instructions(params)
    if own is not None:
        return own
    model = STAGE_MODELS.get(fset.name)
    return None if model is None else float(model(params))


def inference_instructions(feature_set: int, params, hidden: tuple[int, ...], n_classes: int) -> float | None:
    """The whole inference; None when the feature set has no cost model."""
    fset = features.get(feature_set)
    stage = feature_instructions(feature_set, params)
    if stage is None:
        return None
    return stage + head_instructions(fset.n_features(params), hidden, n_classes)


__all__ = ["STAGE_MODELS", "feature_instructions", "head_instructions", "inference_instructions", "rocket_stage"]
