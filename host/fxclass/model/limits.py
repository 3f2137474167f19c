"""The firmware build's limits (fx_core.h), for the host's reader, writer and feature sets.

They apply them as the firmware does; tests/test_limits.py compares them with the C headers."""

MAX_WINDOW_LEN = 2048
MAX_CHANNELS = 12
MAX_WINDOW_VALUES = 3072
MAX_FEATURES = 2016
MAX_LAYER_WIDTH = 128
MAX_LAYERS = 8
MAX_CLASSES = 32
MAX_MODEL_BYTES = 32768
MAX_FEATURE_WORK_BYTES = 32768  # the feature stage's working memory (a feature set's decode checks it)
