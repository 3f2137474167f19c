"""Plots of a run's records: class probabilities over time and the confusion matrix (matplotlib)."""
from __future__ import annotations

import numpy as np

from ..errors import ToolError, file_error
from .runner import Record, score


PLOT_SUFFIXES = (".png", ".svg", ".pdf")  # what matplotlib writes by the name's suffix


def plot_results(records: list[Record], class_names: list[str], path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ToolError("plotting needs matplotlib: pip install 'fxclass[plot]'") from exc
    prob = np.array([r.prob for r in records])
    scored = score(records, class_names)
    fig, axes = plt.subplots(1, 2 if scored else 1, figsize=(12 if scored else 7, 4), squeeze=False)
    ax = axes[0][0]
    for c, name in enumerate(class_names):
        ax.plot(prob[:, c], label=name)
    ax.set_xlabel("window")
    ax.set_ylabel("probability")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title("class probabilities")
    if scored:
        cm = scored.confusion
        ax = axes[0][1]
        ax.imshow(cm, cmap="Blues")
        ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
        ax.set_yticks(range(len(class_names)), class_names)
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, str(v), ha="center", va="center")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title("confusion matrix")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        raise file_error(path, exc) from None
    finally:
        plt.close(fig)
