"""The command line of a script that writes a generated source file: write it, or with --check only
compare it with what would be written (spectral_tables.py, spectral_bench.py)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import numpy as np


def main(doc: str, output: Path, render: Callable[[], str], argv=None) -> int:
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help=f"only compare {output.name} with what would be written")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        if output.read_text() != text:
            print(f"{output} differs from what its generator writes: run it without --check", file=sys.stderr)
            return 1
        return 0
    output.write_text(text)
    return 0


def blob_words(name: str, comment: str, blob: bytes) -> str:
    """A model blob as a C array of little-endian words (so that it is 4-aligned), under its comment."""
    words = np.frombuffer(blob + b"\0" * (-len(blob) % 4), dtype="<u4")
    rows = "\n".join("    " + " ".join(f"0x{int(v):08x}u," for v in words[i:i + 8]) for i in range(0, len(words), 8))
    return f"\n/* {name}: {comment} */\nstatic const uint32_t {name}[{len(words)}] = {{\n{rows}\n}};\n"
