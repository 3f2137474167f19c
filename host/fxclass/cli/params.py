"""Option types and checks that several commands share: finite numbers, class labels, output files."""
from __future__ import annotations

import math
from pathlib import Path

import click

from ..errors import DataError
from ..model.fxm import NAME_BYTES


class FiniteFloatRange(click.FloatRange):
    """click's FloatRange, which lets nan and inf through (every comparison with nan is false)."""

    name = "finite float range"

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def class_label(value: str, option: str = "--label") -> str:
    """A class name as a model stores it: one line of UTF-8 without commas, short enough to fit."""
    label = value.strip()
    try:
        size = len(label.encode("utf-8"))
    except UnicodeEncodeError:  # bytes that are not UTF-8 arrive as surrogates
        raise click.BadParameter("not UTF-8 text: give a label in UTF-8, such as Walking", param_hint=option) from None
    if not label or "," in label or "\n" in label or "\r" in label:
        raise click.BadParameter("give a label without commas or line breaks, such as Walking", param_hint=option)
    if size >= NAME_BYTES:
        raise click.BadParameter(f"a label of {size} bytes: a model keeps class names of at most {NAME_BYTES - 1} "
                                 "bytes, give a shorter one", param_hint=option)
    return label


def output_file(*suffixes: str):
    """A click callback for an option naming a file the command writes: the folder must exist (else a
    data error, exit 4, before any work is done) and the name end in one of suffixes (else exit 2)."""

    def check(ctx, param, value):
        if value is None:
            return value
        path = Path(value)
        option = param.opts[0] if param.opts else param.name
        if suffixes and path.suffix.lower() not in suffixes:
            raise click.BadParameter(f"{value!r}: give a file name ending in {' or '.join(suffixes)}",
                                     param_hint=option)
        folder = path.resolve().parent
        if not folder.is_dir():
            raise DataError(f"{option} {value}: the folder {folder} does not exist (create it first)")
        return value

    return check
