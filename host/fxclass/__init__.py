"""fxclass: train, quantize and run fixed-point sensor classifiers on STM32F4 firmware."""

__version__ = "0.1.0"
