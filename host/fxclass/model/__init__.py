"""The model: the bit-exact numpy reference of the firmware's pipeline, the .fxm blob, float training,
quantization, evaluation and the target-versus-reference comparison. Needs nothing device-side."""
