"""Figures of the HTML report, each returned as a self-contained ``data:`` URI.

Figures are drawn on ``matplotlib.figure.Figure`` objects, never through pyplot, so no GUI
backend and no global figure state are involved (the report may be written from a worker
thread). Each figure is an SVG embedded as an ``<img>`` data URI: text stays sharp and
searchable, and separate SVG documents cannot clash over element ids the way inline ``<svg>``
blocks can. Curves are thinned to a bounded number of points so the HTML stays small even on
datasets with millions of pairs.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

#: most points drawn per curve; beyond this the curve is thinned evenly (endpoints kept)
MAX_CURVE_POINTS = 2_000

_RC = {"svg.fonttype": "none", "svg.hashsalt": "grnbench", "font.size": 9,
       "axes.spines.top": False, "axes.spines.right": False}


def figure_uri(fig: Figure) -> str:
    """Serialise a figure to an SVG ``data:`` URI (deterministic: no date, fixed id salt)."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _palette(names: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    colours = sns.color_palette("tab10" if len(names) <= 10 else "husl", len(names))
    return dict(zip(names, colours, strict=True))


def thin(x: np.ndarray, y: np.ndarray, limit: int = MAX_CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` evenly spaced points of a curve, first and last always kept."""
    if len(x) <= limit:
        return x, y
    keep = np.unique(np.linspace(0, len(x) - 1, limit).round().astype(int))
    return x[keep], y[keep]


def aupr_bars_figure(summary: pd.DataFrame, chance: dict[str, float],
                     control: dict[str, float] | None = None) -> Figure:
    """AUPR per method, grouped by dataset (the PSGRN paper's Fig. 4).

    ``summary`` has one row per (method, dataset) with ``aupr`` and ``aupr_sd``; the dashed
    line of each dataset is ``chance``: the expected AUPR of a random ranking of its test pairs,
    which on small test sets lies well above the positive rate, so a bar reaching the positive
    rate is not yet better than chance. ``control`` gives per dataset the AUPR of the
    ``degree-prior`` shortcut control, drawn dotted: the floor a supervised method must clear
    before its AUPR says anything about expression.
    """
    with matplotlib.rc_context(_RC):
        methods = list(dict.fromkeys(summary["method"]))
        datasets = list(dict.fromkeys(summary["dataset"]))
        fig = _figure(max(4.5, 0.6 * len(methods) * len(datasets) + 1.5), 3.4)
        ax = fig.subplots()
        width = 0.8 / len(datasets)
        colours = sns.color_palette("deep", len(datasets))
        x = np.arange(len(methods))
        for j, dataset in enumerate(datasets):
            part = summary[summary["dataset"] == dataset].set_index("method").reindex(methods)
            offset = (j - (len(datasets) - 1) / 2) * width
            sd = part["aupr_sd"]
            ax.bar(x + offset, part["aupr"], width * 0.9, yerr=sd.fillna(0) if sd.notna().any() else None,
                   capsize=2, color=colours[j], label=dataset)
            if dataset in chance and np.isfinite(chance[dataset]):
                ax.hlines(chance[dataset], x[0] + offset - width / 2, x[-1] + offset + width / 2,
                          colors=[colours[j]], linestyles="dashed", linewidth=1, gid=f"chance-{dataset}")
            if control and dataset in control and np.isfinite(control[dataset]):
                ax.hlines(control[dataset], x[0] + offset - width / 2, x[-1] + offset + width / 2,
                          colors=[colours[j]], linestyles="dotted", linewidth=1.5)
        ax.set_xticks(x, methods, rotation=30 if len(methods) > 4 else 0, ha="right" if len(methods) > 4 else "center")
        ax.set_ylabel("AUPR (test pairs)")
        ax.set_ylim(bottom=0)
        title = "dataset (dashed: random ranking" + ("; dotted: degree-prior)" if control else ")")
        ax.legend(title=title, fontsize=8, title_fontsize=8, frameon=False,
                  loc="upper left", bbox_to_anchor=(1.02, 1))
        return fig


def aupr_bars(summary: pd.DataFrame, chance: dict[str, float], control: dict[str, float] | None = None) -> str:
    """``aupr_bars_figure`` as an SVG data URI."""
    return figure_uri(aupr_bars_figure(summary, chance, control))


def curves(lines: dict[str, tuple[np.ndarray, np.ndarray]], kind: str, positive_rate: float) -> str:
    """PR (``kind='pr'``: recall, precision) or ROC (``kind='roc'``: FPR, TPR) curves, one line
    per method, with the chance level drawn for reference."""
    with matplotlib.rc_context(_RC):
        fig = _figure(4.6, 3.6)
        ax = fig.subplots()
        colours = _palette(list(lines))
        top = positive_rate * 3
        for name, (x, y) in lines.items():
            x, y = np.asarray(x), np.asarray(y)
            if kind == "pr" and len(y) > 1:
                # sklearn closes the curve with (recall 0, precision 1), a point no threshold
                # reaches; scale the axis to the real precisions so low-prevalence curves show
                top = max(top, float(y[:-1].max()))
            x, y = thin(x, y)
            ax.plot(x, y, drawstyle="steps-post" if kind == "pr" else "default",
                    color=colours[name], linewidth=1.2, label=name)
        if kind == "pr":
            ax.axhline(positive_rate, color="grey", linestyle="dashed", linewidth=1, label="chance (positive rate)")
            ax.set_xlabel("recall")
            ax.set_ylabel("precision")
            ax.set_ylim(0, min(1.02, top * 1.08))
        else:
            ax.plot([0, 1], [0, 1], color="grey", linestyle="dashed", linewidth=1, label="chance")
            ax.set_xlabel("false positive rate")
            ax.set_ylabel("true positive rate")
            ax.set_ylim(0, 1.02)
        ax.set_xlim(0, 1)
        # outside the axes: with many methods an inside legend hides the curves
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1))
        return figure_uri(fig)


def time_scaling(points: pd.DataFrame) -> str:
    """Wall time (fit + score) against the number of pairs a task used, per method, log–log.

    ``points`` has columns method, pairs, seconds (one row per finished task)."""
    with matplotlib.rc_context(_RC):
        fig = _figure(4.8, 3.4)
        ax = fig.subplots()
        colours = _palette(list(dict.fromkeys(points["method"])))
        for method, part in points.groupby("method", sort=False):
            mean = part.groupby("pairs")["seconds"].mean()
            ax.scatter(part["pairs"], part["seconds"], s=12, alpha=0.5, color=colours[method])
            ax.plot(mean.index, mean.values, marker="o", markersize=3, color=colours[method], label=method)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("pairs in the task (train + validation + test)")
        ax.set_ylabel("fit + score wall time (s)")
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1))
        return figure_uri(fig)


def repeat_spread(repeats: pd.DataFrame) -> str:
    """AUPR of every repeat per method and protocol: box of the repeats plus each repeat as a dot
    (the spread behind the paper's Table 3 mean ± sd)."""
    with matplotlib.rc_context(_RC):
        methods = list(dict.fromkeys(repeats["method"]))
        protocols = list(dict.fromkeys(repeats["protocol"]))
        fig = _figure(max(4.5, 0.9 * len(methods) * max(1, len(protocols) / 2) + 1.5), 3.4)
        ax = fig.subplots()
        sns.boxplot(data=repeats, x="method", y="aupr", hue="protocol", order=methods,
                    hue_order=protocols, ax=ax, fliersize=0, linewidth=0.8, palette="pastel")
        sns.stripplot(data=repeats, x="method", y="aupr", hue="protocol", order=methods,
                      hue_order=protocols, ax=ax, dodge=True, size=3, palette="dark", legend=False)
        _label_method_axes(ax, len(methods), "AUPR per repeat", "protocol")
        return figure_uri(fig)


def ablation_bars(summary: pd.DataFrame, chance: float | None, reference: str) -> str:
    """AUPR of a method (``reference``, in red) and each of its ablation variants, best first
    (the PSGRN paper's Fig. 6); dashed: ``chance``, the expected AUPR of a random ranking."""
    with matplotlib.rc_context(_RC):
        data = summary.sort_values("aupr", ascending=False)
        fig = _figure(5.0, 0.35 * len(data) + 1.2)
        ax = fig.subplots()
        colours = ["#c44e52" if m.split(":")[0] == reference else "#4c72b0" for m in data["method"]]
        sd = data["aupr_sd"]
        ax.barh(data["method"], data["aupr"], xerr=sd.fillna(0) if sd.notna().any() else None,
                color=colours, capsize=2)
        if chance is not None:
            ax.axvline(chance, color="grey", linestyle="dashed", linewidth=1, label="random ranking (expected AUPR)")
            ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1))
        ax.invert_yaxis()
        ax.set_xlabel("AUPR (test pairs)")
        return figure_uri(fig)


def chance_heatmap_figure(ratio: pd.DataFrame, low: pd.DataFrame, high: pd.DataFrame) -> Figure:
    """Method × dataset heatmap of AUPR over the expected AUPR of a random ranking of the same
    test pairs (1 = random), each cell annotated with its value and 95% interval: BEELINE's
    AUPR-ratio figure, but centred where a random ranking really lands.

    BEELINE divides by the positive rate, which is the random expectation only when positives
    are many; on a test part of 18 pairs with 2–4 positives a random ranking averages 1.5–2.2
    times the positive rate, and a heatmap centred on the positive rate paints ``random`` as a
    success.
    Colour is log2 of the value centred on 0 (value 1), so methods below random are a different
    hue from those above; cells without a finished task stay blank."""
    with matplotlib.rc_context(_RC):
        methods, datasets = list(ratio.index), list(ratio.columns)
        fig = _figure(max(4.5, 1.25 * len(datasets) + 2.2), max(2.2, 0.55 * len(methods) + 1.3))
        ax = fig.subplots()
        values = np.log2(ratio.to_numpy(dtype=float).clip(min=1e-3))
        bound = max(1.0, float(np.nanmax(np.abs(values)))) if np.isfinite(values).any() else 1.0
        image = ax.imshow(np.ma.masked_invalid(values), cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto")
        for i in range(len(methods)):
            for j in range(len(datasets)):
                r = ratio.iat[i, j]
                if not np.isfinite(r):
                    continue
                text = f"{r:.2f}"
                if np.isfinite(low.iat[i, j]) and np.isfinite(high.iat[i, j]):
                    text += f"\n[{low.iat[i, j]:.2f}, {high.iat[i, j]:.2f}]"
                dark = abs(values[i, j]) > 0.6 * bound
                ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
        ax.set_xticks(range(len(datasets)), datasets, rotation=30 if len(datasets) > 3 else 0,
                      ha="right" if len(datasets) > 3 else "center")
        ax.set_yticks(range(len(methods)), methods)
        ax.spines[:].set_visible(False)
        bar = fig.colorbar(image, ax=ax, shrink=0.8)
        ticks = np.arange(-np.floor(bound), np.floor(bound) + 1)
        bar.set_ticks(ticks, labels=[f"{2 ** t:g}" for t in ticks])
        bar.set_label("AUPR / random-ranking AUPR\n(log scale; 1 = random)")
        return fig


def chance_heatmap(ratio: pd.DataFrame, low: pd.DataFrame, high: pd.DataFrame) -> str:
    """``chance_heatmap_figure`` as an SVG data URI."""
    return figure_uri(chance_heatmap_figure(ratio, low, high))


def cliques(mean_rank: pd.Series, nemenyi: pd.DataFrame, alpha: float) -> list[list[str]]:
    """Maximal runs of methods, in mean-rank order, that the Nemenyi test does not separate
    (every pair's p-value at least ``alpha``): the thick bars of a critical-difference diagram.

    Runs of one method are left out (Demšar draws no bar for a method apart from all others),
    and so is a run inside a longer one."""
    order = list(mean_rank.sort_values(kind="stable").index)
    out: list[list[str]] = []
    reach = 0
    for i in range(len(order)):
        j = i
        while j + 1 < len(order) and all(nemenyi.loc[m, order[j + 1]] >= alpha for m in order[i:j + 1]):
            j += 1
        if j > i and j > reach:
            out.append(order[i:j + 1])
            reach = j
    return out


#: vertical layout of the critical-difference diagram, in label rows (one row per method)
_CD_ROW, _CD_CLIQUE, _CD_INCH = 1.0, 0.45, 0.24


def critical_difference_figure(mean_rank: pd.Series, nemenyi: pd.DataFrame, cd: float, alpha: float) -> Figure:
    """Critical-difference diagram in the layout of Demšar (2006, Fig. 1 and 2).

    One rank axis (1 = best, on the left); each method hangs from its mean rank by a leader
    line to its name, the better half named on the left, the worse half on the right; thick
    bars join methods the Nemenyi test does not separate at ``alpha``; the scale bar above the
    axis is the critical difference. Every method has its own label row, so methods with the
    same mean rank share a point on the axis but each name is drawn."""
    with matplotlib.rc_context(_RC):
        order = mean_rank.astype(float).sort_values(kind="stable")
        names, ranks = list(order.index), order.to_numpy()
        k = len(names)
        left, right = names[: (k + 1) // 2], names[(k + 1) // 2:]
        groups = cliques(order, nemenyi, alpha)
        top = 2.0 if np.isfinite(cd) else 0.9
        first_row = -0.9 - _CD_CLIQUE * len(groups)
        bottom = first_row - _CD_ROW * (max(len(left), len(right)) - 1) - 0.6
        fig = Figure(figsize=(6.4, (top - bottom) * _CD_INCH))
        ax = fig.add_axes((0.24, 0.0, 0.52, 1.0))
        ax.set_xlim(1, max(k, 2))
        ax.set_ylim(bottom, top)
        ax.set_axis_off()
        line = {"color": "k", "linewidth": 1, "clip_on": False}
        ax.plot([1, max(k, 2)], [0, 0], **line)
        for tick in range(1, max(k, 2) + 1):
            ax.plot([tick, tick], [0, 0.25], **line)
            ax.text(tick, 0.35, str(tick), ha="center", va="bottom", fontsize=9)
        for half in np.arange(1.5, max(k, 2)):
            ax.plot([half, half], [0, 0.12], **line)
        if np.isfinite(cd):
            ax.plot([1, 1 + cd], [1.45, 1.45], color="k", linewidth=1.5, clip_on=False)
            for x in (1, 1 + cd):
                ax.plot([x, x], [1.3, 1.6], **line)
            ax.text(1 + cd / 2, 1.7, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)
        position = dict(zip(names, ranks, strict=True))
        for i, group in enumerate(groups):
            y = -0.55 - _CD_CLIQUE * i
            ax.plot([position[group[0]] - 0.04, position[group[-1]] + 0.04], [y, y], color="k",
                    linewidth=3.5, solid_capstyle="round", clip_on=False)
        edge = 0.08 * (max(k, 2) - 1)
        for row, name in enumerate(left):
            y = first_row - _CD_ROW * row
            ax.plot([position[name], position[name], 1 - edge], [0, y, y], **line)
            ax.text(1 - edge - 0.03 * k, y, f"{name} ({position[name]:.2f})", ha="right", va="center", fontsize=9)
        for row, name in enumerate(reversed(right)):  # the worst at the top, so no lines cross
            y = first_row - _CD_ROW * row
            ax.plot([position[name], position[name], max(k, 2) + edge], [0, y, y], **line)
            ax.text(max(k, 2) + edge + 0.03 * k, y, f"({position[name]:.2f}) {name}", ha="left", va="center",
                    fontsize=9)
        ax.plot(ranks, np.zeros(k), "o", color="k", markersize=3, clip_on=False)
        return fig


def critical_difference(mean_rank: pd.Series, nemenyi: pd.DataFrame, cd: float, alpha: float) -> str:
    """``critical_difference_figure`` as an SVG data URI."""
    return figure_uri(critical_difference_figure(mean_rank, nemenyi, cd, alpha))


def _label_method_axes(ax, n_methods: int, ylabel: str, legend_title: str) -> None:
    """Method names on x (slanted when many), the y label, and the legend outside on the right."""
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    if n_methods > 4:
        ax.tick_params(axis="x", labelrotation=30)
    ax.legend(title=legend_title, fontsize=7, title_fontsize=8, frameon=False, loc="upper left",
              bbox_to_anchor=(1.02, 1))


def seed_spread(points: pd.DataFrame) -> str:
    """AUPR of each initialisation seed, per method (x) and dataset (colour), on one split: the
    spread a single draw hides. ``points`` has columns method, dataset, init_seed, aupr."""
    with matplotlib.rc_context(_RC):
        methods = list(dict.fromkeys(points["method"]))
        datasets = list(dict.fromkeys(points["dataset"]))
        fig = _figure(max(4.5, 0.8 * len(methods) * max(1, len(datasets) / 3) + 2.0), 3.4)
        ax = fig.subplots()
        sns.stripplot(data=points, x="method", y="aupr", hue="dataset", order=methods, hue_order=datasets,
                      dodge=len(datasets) > 1, jitter=0.15, size=4, ax=ax, palette="deep")
        _label_method_axes(ax, len(methods), "AUPR per initialisation seed", "dataset")
        return figure_uri(fig)
