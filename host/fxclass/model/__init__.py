"""The model: its shape, the bit-exact reference, the .fxm blob, training, quantization, evaluation.

validate.py compares a target's answers with the reference; nothing here talks to a device."""
