#!/usr/bin/env python3
"""Plots corey results files as standalone SVG (standard library only, no matplotlib).

  kernel-sweep    chunk-latency curves with CI bands, one line per chunk mode, the single call as a dashed
                  line (tables *.chunk_sweep)
  routed-ablation the decisions of every row: chunk shares and entropy range (records' metrics.rows[].decisions);
                  ablation bars of vs_best_static with CI whiskers (table routed_ablation.matrix)
  mixed-regime    per-regime static sweeps, latency (or the ratio to the regime's best chunk) against chunk with
                  CI bands (tables with regime and chunk or static_chunk_<N> arms); the feature scan's chunk
                  shares per (statistic, regime) (table *.feature_scan)

A results file without a table a plot needs is skipped with a message, never an error.

Usage: /usr/bin/python3 tools/plot_results.py RESULTS.json... --out DIR
"""
import argparse
import json
import math
import re
import sys
from pathlib import Path
from xml.sax.saxutils import escape

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf"]


def fmt(value):
    """Short tick / label text."""
    if value == 0:
        return "0"
    if abs(value) >= 1000 or abs(value) < 0.01:
        return f"{value:.3g}"
    return f"{value:.4g}"


class Scale:
    """Maps data values to pixels, linearly or on a log axis (base 2 or 10)."""

    def __init__(self, lo, hi, px_lo, px_hi, log_base=None):
        if log_base:
            lo, hi = math.log(lo, log_base), math.log(hi, log_base)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        self.lo, self.hi, self.px_lo, self.px_hi, self.log_base = lo, hi, px_lo, px_hi, log_base

    def __call__(self, value):
        v = math.log(value, self.log_base) if self.log_base else value
        return self.px_lo + (v - self.lo) / (self.hi - self.lo) * (self.px_hi - self.px_lo)

    def ticks(self):
        if self.log_base:
            first, last = math.floor(self.lo), math.ceil(self.hi)
            step = max(1, (last - first) // 8)
            # Under two decades of base 10 the powers alone leave the axis bare: add 2 and 5.
            mantissas = (1, 2, 5) if self.log_base == 10 and self.hi - self.lo < 2 else (1,)
            return [m * self.log_base ** e for e in range(first, last + 1, step) for m in mantissas
                    if self.lo - 1e-9 <= math.log(m * self.log_base ** e, self.log_base) <= self.hi + 1e-9]
        span = self.hi - self.lo
        raw = span / 6
        mag = 10 ** math.floor(math.log10(raw))
        step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
        start = math.ceil(self.lo / step) * step
        return [start + i * step for i in range(int((self.hi - start) / step + 1e-9) + 1)]


class Svg:
    """A plot area with axes, title and legend; elements are SVG strings."""

    def __init__(self, width=720, height=440, left=80, right=200, top=50, bottom=60):
        self.width, self.height = width, height
        self.x0, self.x1, self.y0, self.y1 = left, width - right, height - bottom, top
        self.items = []
        self.legend = []

    def add(self, element):
        self.items.append(element)

    def text(self, x, y, text, size=12, anchor="start", extra=""):
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {extra}>'
                 f'{escape(str(text))}</text>')

    def axes(self, xs, ys, title, xlabel, ylabel, xtick_labels=None, subtitle=""):
        """Axes with ticks; `ys` None draws no y ticks (bar charts label their rows themselves)."""
        self.text(self.width / 2, 22, title, 14, "middle", 'font-weight="bold"')
        if subtitle:
            self.text(self.width / 2, 38, subtitle, 11, "middle")
        self.add(f'<line x1="{self.x0}" y1="{self.y0}" x2="{self.x1}" y2="{self.y0}" stroke="black"/>')
        self.add(f'<line x1="{self.x0}" y1="{self.y0}" x2="{self.x0}" y2="{self.y1}" stroke="black"/>')
        for t in (xtick_labels or [(v, fmt(v)) for v in xs.ticks()]):
            x = xs(t[0])
            self.add(f'<line x1="{x:.1f}" y1="{self.y0}" x2="{x:.1f}" y2="{self.y0 + 5}" stroke="black"/>')
            self.text(x, self.y0 + 18, t[1], 11, "middle")
        for v in (ys.ticks() if ys else []):
            y = ys(v)
            self.add(f'<line x1="{self.x0 - 5}" y1="{y:.1f}" x2="{self.x1}" y2="{y:.1f}" stroke="#dddddd"/>')
            self.text(self.x0 - 8, y + 4, fmt(v), 11, "end")
        self.text((self.x0 + self.x1) / 2, self.height - 18, xlabel, 12, "middle")
        self.text(18, (self.y0 + self.y1) / 2, ylabel, 12, "middle",
                  f'transform="rotate(-90 18 {(self.y0 + self.y1) / 2:.1f})"')

    def series(self, name, color, points, dashed=False, band=None):
        """A named line through (x, y) pixels, with an optional CI band polygon (lower then upper pixels)."""
        group = [f'<g class="series" data-name="{escape(name, {chr(34): "&quot;"})}">']
        if band:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in band)
            group.append(f'<polygon points="{pts}" fill="{color}" fill-opacity="0.18" stroke="none"/>')
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        dash = ' stroke-dasharray="6,4"' if dashed else ""
        group.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for x, y in points:
            group.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
        group.append("</g>")
        self.add("\n".join(group))
        self.legend.append((name, color, dashed))

    def render(self):
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
               f'viewBox="0 0 {self.width} {self.height}" font-family="sans-serif">',
               f'<rect width="{self.width}" height="{self.height}" fill="white"/>']
        out += self.items
        for i, (name, color, dashed) in enumerate(self.legend):
            y = self.y1 + 10 + 18 * i
            dash = ' stroke-dasharray="6,4"' if dashed else ""
            out.append(f'<line x1="{self.x1 + 15}" y1="{y}" x2="{self.x1 + 40}" y2="{y}" stroke="{color}" '
                       f'stroke-width="2"{dash}/>')
            out.append(f'<text x="{self.x1 + 45}" y="{y + 4}" font-size="11">{escape(name)}</text>')
        out.append("</svg>")
        return "\n".join(out) + "\n"


def table_rows(table):
    """Rows of a results table as dicts keyed by column name."""
    names = [c["name"] for c in table["columns"]]
    return [dict(zip(names, r["cells"])) for r in table["rows"]]


def slug(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("_")


def number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# ---------------------------------------------------------------- kernel-sweep

def plot_chunk_sweeps(results, stem, out_dir):
    tables = [t for t in results.get("tables", []) if t["table"].endswith("chunk_sweep")]
    if not tables:
        return [f"{stem}: no chunk_sweep table, no chunk-latency plot"]
    notes, written = [], []
    for table in tables:
        rows = [r for r in table_rows(table) if number(r.get("latency")) and number(r.get("chunk"))]
        columns = [c["name"] for c in table["columns"]]
        group_keys = [k for k in ("workload", "dtype", "batch", "d_inner", "seq_len", "dist", "impl") if k in columns]
        groups = {}
        for r in rows:
            groups.setdefault(tuple(r[k] for k in group_keys), []).append(r)
        varying = [i for i, k in enumerate(group_keys) if len({key[i] for key in groups}) > 1]
        for key, members in groups.items():
            label = ", ".join(f"{k}={v}" for k, v in zip(group_keys, key))
            file_label = "_".join(f"{group_keys[i]}{key[i]}" for i in varying) or "all"
            static = [r for r in members if r.get("policy") == "static" and r.get("chunk_mode") != "single"]
            single = [r for r in members if r.get("chunk_mode") == "single"]
            if not static:
                notes.append(f"{stem}: {label}: no static rows to plot")
                continue
            bounds = [v for r in members for v in (r.get("ci_lo"), r.get("ci_hi")) if number(v) and v > 0]
            lat = [r["latency"] for r in members] + bounds
            chunks = [r["chunk"] for r in static]
            svg = Svg()
            xs = Scale(min(chunks) / 1.3, max(chunks) * 1.3, svg.x0, svg.x1, 2)
            ys = Scale(min(lat) / 1.2, max(lat) * 1.2, svg.y0, svg.y1, 10)
            svg.axes(xs, ys, f"Chunk sweep: {stem}", "chunk (tokens, log2)", "latency (ms, log10; band: CI)",
                     [(c, str(c)) for c in sorted(set(chunks))], label)
            modes = sorted({r["chunk_mode"] for r in static})
            for i, mode in enumerate(modes):
                pts = sorted((r for r in static if r["chunk_mode"] == mode), key=lambda r: r["chunk"])
                line = [(xs(r["chunk"]), ys(r["latency"])) for r in pts]
                band = None
                if all(number(r.get("ci_lo")) and number(r.get("ci_hi")) and r["ci_lo"] > 0 for r in pts):
                    band = [(xs(r["chunk"]), ys(r["ci_lo"])) for r in pts] + \
                           [(xs(r["chunk"]), ys(r["ci_hi"])) for r in reversed(pts)]
                svg.series(f"{mode} (static)", COLORS[i % len(COLORS)], line, band=band)
            for r in single[:1]:
                y = ys(r["latency"])
                svg.series("single call", "black", [(svg.x0, y), (svg.x1, y)], dashed=True)
            name = out_dir / f"{stem}__chunk_sweep__{slug(file_label)}.svg"
            name.write_text(svg.render())
            written.append(name)
    return notes + [f"wrote {p}" for p in written]


# ---------------------------------------------------------------- routed-ablation

def routed_rows(results):
    for record in results.get("results", []):
        for row in (record.get("metrics") or {}).get("rows", []) or []:
            if isinstance(row, dict) and isinstance(row.get("decisions"), dict):
                yield record, row


def share_bars(title, xlabel, bars, path):
    """One stacked horizontal bar per (label, {chunk: count}), as shares of the bar's total."""
    chunks = sorted({c for _, hist in bars for c in hist})
    svg = Svg(width=860, height=130 + 26 * len(bars), left=230, right=200, top=50, bottom=60)
    xs = Scale(0, 1, svg.x0, svg.x1)
    svg.axes(xs, None, title, xlabel, "")
    for i, (label, hist) in enumerate(bars):
        total = sum(hist.values()) or 1
        y = svg.y1 + 10 + 26 * i
        svg.text(svg.x0 - 8, y + 14, label, 11, "end")
        x = svg.x0
        for j, c in enumerate(chunks):
            w = xs(hist.get(c, 0) / total) - svg.x0
            if w > 0:
                svg.add(f'<rect class="bar" data-row="{escape(label)}" data-chunk="{c}" x="{x:.1f}" y="{y}" '
                        f'width="{w:.1f}" height="18" fill="{COLORS[j % len(COLORS)]}"/>')
            x += w
    for j, c in enumerate(chunks):
        svg.legend.append((f"chunk {c}", COLORS[j % len(COLORS)], False))
    path.write_text(svg.render())


def plot_decisions(results, stem, out_dir):
    rows = [(rec, row) for rec, row in routed_rows(results) if not row.get("is_static")]
    if not rows:
        return [f"{stem}: no routed decisions in the records, no decision plot"]
    bars = [(row["row"], {int(k): v for k, v in row["decisions"].get("histogram", {}).items()}) for _, row in rows]
    if not any(hist for _, hist in bars):
        return [f"{stem}: routed rows recorded no decisions, no decision plot"]
    written = [out_dir / f"{stem}__decisions.svg"]
    share_bars(f"Chunk decisions per row (share of decisions): {stem}", "share of decisions (warm-ups excluded)",
               bars, written[0])
    # Entropy range per row (min, median, max of the decisions' statistic).
    with_entropy = [(rec, row) for rec, row in rows
                    if all(number((row["decisions"].get("entropy") or {}).get(k)) for k in ("min", "median", "max"))]
    if with_entropy:
        svg = Svg(width=820, height=130 + 26 * len(with_entropy), left=190, right=200, top=50, bottom=60)
        values = [row["decisions"]["entropy"][k] for _, row in with_entropy for k in ("min", "max")]
        xs = Scale(min(values) - 0.1, max(values) + 0.1, svg.x0, svg.x1)
        svg.axes(xs, None, f"Statistic per decision (min / median / max): {stem}",
                 "entropy (nats)", "")
        for i, (_, row) in enumerate(with_entropy):
            e = row["decisions"]["entropy"]
            y = svg.y1 + 19 + 26 * i
            svg.text(svg.x0 - 8, y + 4, row["row"], 11, "end")
            svg.add(f'<g class="series" data-name="{escape(row["row"])}"><line x1="{xs(e["min"]):.1f}" y1="{y}" '
                    f'x2="{xs(e["max"]):.1f}" y2="{y}" stroke="{COLORS[0]}" stroke-width="2"/>'
                    f'<circle cx="{xs(e["median"]):.1f}" cy="{y}" r="4" fill="{COLORS[1]}"/></g>')
        path = out_dir / f"{stem}__entropy.svg"
        path.write_text(svg.render())
        written.append(path)
    return [f"wrote {p}" for p in written]


def plot_ablation(results, stem, out_dir):
    table = next((t for t in results.get("tables", []) if t["table"].endswith("matrix")
                  and "vs_best_static" in [c["name"] for c in t["columns"]]), None)
    if table is None:
        return [f"{stem}: no routed matrix table with vs_best_static, no ablation plot"]
    rows = [r for r in table_rows(table) if number(r.get("vs_best_static"))]
    if not rows:
        return [f"{stem}: the matrix has no vs_best_static values, no ablation plot"]
    values = [r["vs_best_static"] for r in rows] + \
             [r[k] for r in rows for k in ("vs_best_static_lo", "vs_best_static_hi") if number(r.get(k))] + [1.0]
    svg = Svg(width=820, height=130 + 26 * len(rows), left=190, right=60, top=50, bottom=60)
    # One slow outlier (e.g. a host-side per-token histogram at 10x) would flatten every other bar: switch
    # to a log axis once the ratios span more than 2x.
    wide = max(values) / min(values) > 2
    span = max(values) - min(values)
    xs = (Scale(min(values) / 1.05, max(values) * 1.05, svg.x0, svg.x1, log_base=10) if wide
          else Scale(min(values) - 0.1 * span, max(values) + 0.1 * span, svg.x0, svg.x1))
    svg.axes(xs, None, f"Routed time vs best static row (median ratio, CI): {stem}",
             "ratio to the best static row (< 1 is faster" + ("; log10)" if wide else ")"), "")
    one = xs(1.0)
    svg.add(f'<line x1="{one:.1f}" y1="{svg.y1}" x2="{one:.1f}" y2="{svg.y0}" stroke="black" stroke-dasharray="4,3"/>')
    for i, r in enumerate(rows):
        y = svg.y1 + 10 + 26 * i
        x = xs(r["vs_best_static"])
        color = COLORS[2] if r["vs_best_static"] <= 1 else COLORS[1]
        several_prompts = len({q.get("prompt") for q in rows}) > 1
        svg.text(svg.x0 - 8, y + 14, f'{r.get("prompt")} {r["row"]}' if several_prompts else r["row"], 11, "end")
        svg.add(f'<rect class="bar" data-row="{escape(str(r["row"]))}" x="{min(one, x):.1f}" y="{y}" '
                f'width="{abs(x - one):.1f}" height="18" fill="{color}" fill-opacity="0.7"/>')
        if number(r.get("vs_best_static_lo")) and number(r.get("vs_best_static_hi")):
            lo, hi = xs(r["vs_best_static_lo"]), xs(r["vs_best_static_hi"])
            svg.add(f'<line x1="{lo:.1f}" y1="{y + 9}" x2="{hi:.1f}" y2="{y + 9}" stroke="black"/>'
                    f'<line x1="{lo:.1f}" y1="{y + 4}" x2="{lo:.1f}" y2="{y + 14}" stroke="black"/>'
                    f'<line x1="{hi:.1f}" y1="{y + 4}" x2="{hi:.1f}" y2="{y + 14}" stroke="black"/>')
    path = out_dir / f"{stem}__ablation.svg"
    path.write_text(svg.render())
    return [f"wrote {path}"]


# ---------------------------------------------------------------- mixed-regime

def latency_column(table):
    names = [c["name"] for c in table["columns"]]
    for preferred in ("latency", "median_ms", "latency_ms", "mean_ms", "time_ms"):
        if preferred in names:
            return preferred
    return next((c["name"] for c in table["columns"] if c.get("unit") == "ms"), None)


def static_chunk(row):
    """The chunk of a static arm: a `chunk` column, else an arm named static_chunk_<N>."""
    if number(row.get("chunk")):
        return row["chunk"]
    match = re.fullmatch(r"static_chunk_(\d+)", str(row.get("arm", "")))
    return int(match.group(1)) if match else None


def plot_regimes(results, stem, out_dir):
    written = []
    for table in results.get("tables", []):
        names = [c["name"] for c in table["columns"]]
        lat = latency_column(table)
        if "regime" not in names or not ("chunk" in names or "arm" in names) or lat is None:
            continue
        # Regimes differ in length, so their latencies differ in scale: plot each against its own best arm
        # when the table has that ratio.
        y_col = "vs_regime_best" if "vs_regime_best" in names else lat
        lo_col, hi_col = (f"{y_col}_lo", f"{y_col}_hi") if y_col != "median_ms" else ("median_lo", "median_hi")
        rows = [r for r in table_rows(table) if static_chunk(r) is not None and number(r.get(y_col))]
        for split in sorted({str(r.get("split", "")) for r in rows}):
            members = [r for r in rows if str(r.get("split", "")) == split]
            svg = Svg()
            chunks = sorted({static_chunk(r) for r in members})
            values = [r[y_col] for r in members] + [r[k] for r in members for k in (lo_col, hi_col) if number(r.get(k))]
            span = (max(values) - min(values)) or abs(max(values)) * 0.1 or 1.0
            xs = Scale(min(chunks) / 1.3, max(chunks) * 1.3, svg.x0, svg.x1, 2)
            ys = Scale(min(values) - 0.05 * span, max(values) + 0.05 * span, svg.y0, svg.y1)
            unit = "x, vs the regime's best static chunk" if y_col == "vs_regime_best" else "ms"
            svg.axes(xs, ys, f"Per-regime static sweep: {stem}", "chunk (tokens, log2)", f"{y_col} ({unit})",
                     [(c, str(c)) for c in chunks], f"table {table['table']}" + (f", split {split}" if split else ""))
            for i, regime in enumerate(sorted({str(r["regime"]) for r in members})):
                pts = sorted((r for r in members if str(r["regime"]) == regime), key=static_chunk)
                band = None
                if all(number(r.get(lo_col)) and number(r.get(hi_col)) for r in pts):
                    band = [(xs(static_chunk(r)), ys(r[lo_col])) for r in pts] + \
                           [(xs(static_chunk(r)), ys(r[hi_col])) for r in reversed(pts)]
                svg.series(regime, COLORS[i % len(COLORS)], [(xs(static_chunk(r)), ys(r[y_col])) for r in pts],
                           band=band)
            suffix = f"__{slug(split)}" if split else ""
            path = out_dir / f"{stem}__regimes__{slug(table['table'])}{suffix}.svg"
            path.write_text(svg.render())
            written.append(path)
    if not written:
        return [f"{stem}: no table with regime, chunk (or static arms) and latency columns, no per-regime plot"]
    return [f"wrote {p}" for p in written]


def plot_feature_scan(results, stem, out_dir):
    table = next((t for t in results.get("tables", []) if t["table"].endswith("feature_scan")
                  and "chunk_counts" in [c["name"] for c in t["columns"]]), None)
    if table is None:
        return [f"{stem}: no feature_scan table, no feature-scan plot"]
    bars = []
    for r in table_rows(table):
        hist = {}
        for item in str(r.get("chunk_counts") or "").split():
            chunk, _, count = item.partition(":")
            if chunk.isdigit() and count.isdigit():
                hist[int(chunk)] = int(count)
        bars.append((f'{r.get("mode")} / {r.get("regime")}', hist))
    if not any(hist for _, hist in bars):
        return [f"{stem}: the feature scan recorded no decisions, no feature-scan plot"]
    path = out_dir / f"{stem}__feature_scan.svg"
    share_bars(f"Feature scan: chunk decisions per (statistic, regime): {stem}", "share of layer decisions", bars,
               path)
    return [f"wrote {path}"]


PLOTS = {
    "kernel-sweep": [plot_chunk_sweeps],
    "routed-ablation": [plot_decisions, plot_ablation],
    "mixed-regime": [plot_regimes, plot_feature_scan],
}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="corey.results/1 files")
    parser.add_argument("--out", type=Path, required=True, help="folder for the SVG files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    status = 0
    for path in args.results:
        try:
            results = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            print(f"{path}: cannot read ({error})", file=sys.stderr)
            status = 1
            continue
        if not isinstance(results, dict) or not str(results.get("schema", "")).startswith("corey.results/"):
            print(f"{path}: not a corey results file, skipped")
            continue
        experiment = results.get("run", {}).get("experiment", "")
        stem = slug(results.get("run", {}).get("name") or path.stem)
        plots = PLOTS.get(experiment)
        if not plots:
            print(f"{path}: nothing to plot for experiment '{experiment}'")
            continue
        for plot in plots:
            for line in plot(results, stem, args.out):
                print(line)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
