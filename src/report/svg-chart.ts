/**
 * The one chart the HTML report draws, in inline SVG: a line chart with axes (linear, log, or
 * given ticks such as the percentile "nines"), grid, optional whiskers, marked and labelled points,
 * reference lines and a legend. Every chart of the report is this one with different data, so
 * they all look and read alike. Styling comes from the page's CSS classes.
 */

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text for HTML and SVG alike: every piece of text from a document goes through here (URLs and options are user input). */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Axis ticks: 2500 → 2.5k, 1200000 → 1.2M. */
export function compact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

const trim = (value: number) => String(Number(value.toPrecision(3)));

export interface Point {
  x: number;
  y: number;
  /** Optional run-to-run spread, drawn as a whisker. */
  low?: number;
  high?: number;
  /** Shown when the pointer rests on the point (an SVG <title>: no script needed). */
  title?: string;
}

export interface Series {
  label: string;
  color: string;
  points: Point[];
  dashed?: boolean;
  noDots?: boolean;
  /** Dots alone: points that are separate measurements, not a curve (a search's probes). */
  noLine?: boolean;
}

export interface Tick {
  value: number;
  label: string;
}

export interface Axis {
  label: string;
  log?: boolean;
  /** Given ticks replace the computed ones (and bound the domain unless min/max say otherwise). */
  ticks?: Tick[];
  format?: (value: number) => string;
  min?: number;
  max?: number;
  /** Extra room each side, as a fraction of the span, so end points do not sit on the frame. */
  pad?: number;
}

export interface Mark {
  x: number;
  y: number;
  label: string;
}

export interface Guide {
  axis: "x" | "y";
  value: number;
  label: string;
}

export interface Chart {
  width: number;
  height: number;
  x: Axis;
  y: Axis;
  series: Series[];
  marks?: Mark[];
  guides?: Guide[];
}

interface Scale {
  map: (value: number) => number;
  ticks: Tick[];
}

const MARGIN = { left: 64, right: 34, top: 14, bottom: 46 };
const LEGEND_ROW_PX = 20;
/** Rough width of a 12 px sans-serif character, enough to lay out legend items without overlap. */
const CHAR_PX = 6.8;

export function lineChart(chart: Chart): string {
  const { width, height } = chart;
  const plot = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom };
  const legend = legendLayout(chart.series, plot.left, plot.right - plot.left);
  const totalHeight = height + legend.height;
  const visible = (axis: Axis, value: number) => Number.isFinite(value) && (!axis.log || value > 0);
  const series = chart.series.map((s) => ({ ...s, points: s.points.filter((p) => visible(chart.x, p.x) && visible(chart.y, p.y)) }));
  const all = series.flatMap((s) => s.points);
  const xs = [...all.map((p) => p.x), ...guideValues(chart, "x")];
  const ys = [...all.flatMap((p) => [p.y, p.high ?? p.y]), ...guideValues(chart, "y")];
  const x = scale(chart.x, xs, plot.left, plot.right);
  const y = scale(chart.y, ys, plot.bottom, plot.top);
  const px = (v: number) => round(x.map(v));
  const py = (v: number) => round(y.map(v));

  const parts: string[] = [];
  for (const tick of y.ticks) {
    parts.push(`<line class="grid" x1="${plot.left}" x2="${plot.right}" y1="${py(tick.value)}" y2="${py(tick.value)}"/>`);
    parts.push(`<text class="tick" x="${plot.left - 8}" y="${py(tick.value) + 4}" text-anchor="end">${esc(tick.label)}</text>`);
  }
  for (const tick of x.ticks) {
    parts.push(`<line class="grid" x1="${px(tick.value)}" x2="${px(tick.value)}" y1="${plot.top}" y2="${plot.bottom}"/>`);
    parts.push(`<text class="tick" x="${px(tick.value)}" y="${plot.bottom + 17}" text-anchor="middle">${esc(tick.label)}</text>`);
  }
  parts.push(`<rect class="frame" x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}"/>`);
  parts.push(`<text class="axis-label" x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 38}" text-anchor="middle">${esc(chart.x.label)}</text>`);
  parts.push(`<text class="axis-label" transform="translate(16 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(chart.y.label)}</text>`);

  for (const guide of chart.guides ?? []) {
    if (guide.axis === "y") {
      const at = py(guide.value);
      parts.push(`<line class="guide" x1="${plot.left}" x2="${plot.right}" y1="${at}" y2="${at}"/>`);
      // At the left, where load is low and curves usually run below a latency line.
      parts.push(`<text class="guide-label" x="${plot.left + 6}" y="${at - 5}">${esc(guide.label)}</text>`);
    } else {
      const at = px(guide.value);
      parts.push(`<line class="guide" x1="${at}" x2="${at}" y1="${plot.top}" y2="${plot.bottom}"/>`);
      parts.push(`<text class="guide-label" x="${at - 5}" y="${plot.top + 14}" text-anchor="end">${esc(guide.label)}</text>`);
    }
  }

  for (const s of series) {
    if (s.points.length === 0) continue;
    for (const p of s.points) {
      if (p.low === undefined || p.high === undefined || p.low === p.high) continue;
      const cx = px(p.x);
      parts.push(`<path class="whisker" stroke="${s.color}" d="M${cx} ${py(p.low)}V${py(p.high)}M${cx - 4} ${py(p.low)}h8M${cx - 4} ${py(p.high)}h8"/>`);
    }
    const d = s.points.map((p, i) => `${i === 0 ? "M" : "L"}${px(p.x)} ${py(p.y)}`).join("");
    if (!s.noLine) parts.push(`<path class="line${s.dashed ? " dashed" : ""}" stroke="${s.color}" d="${d}"/>`);
    for (const p of s.points) {
      if (p.title !== undefined) parts.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="5" fill="transparent"><title>${esc(p.title)}</title></circle>`);
    }
    // Sparse series (sweep points, load levels) are measurements: show where each one is.
    if (!s.noDots && s.points.length <= 30) {
      for (const p of s.points) parts.push(`<circle class="dot" cx="${px(p.x)}" cy="${py(p.y)}" r="3" fill="${s.dashed ? "#fff" : s.color}" stroke="${s.color}"/>`);
    }
  }

  // Labels keep clear of each other, of the marked points and of the measured points.
  const around = (cx: number, cy: number, r: number): Box => ({ left: cx - r, right: cx + r, top: cy - r, bottom: cy + r });
  const placed: Box[] = [
    ...(chart.marks ?? []).map((mark) => around(px(mark.x), py(mark.y), 8)),
    ...series.filter((s) => s.points.length <= 30).flatMap((s) => s.points.map((p) => around(px(p.x), py(p.y), 4))),
  ];
  for (const mark of chart.marks ?? []) {
    const cx = px(mark.x);
    const cy = py(mark.y);
    const label = placeLabel(mark.label, cx, cy, plot, placed);
    placed.push(label.box);
    parts.push(`<circle class="mark" cx="${cx}" cy="${cy}" r="7"/>`);
    parts.push(`<text class="mark-label" x="${label.x}" y="${label.y}" text-anchor="${label.anchor}">${esc(mark.label)}</text>`);
  }

  legend.items.forEach((item, i) => {
    const s = chart.series[i]!;
    const top = height + 10 + item.row * LEGEND_ROW_PX;
    if (s.noLine) parts.push(`<circle class="dot" cx="${item.x + 12}" cy="${top}" r="4" fill="${s.dashed ? "#fff" : s.color}" stroke="${s.color}"/>`);
    else parts.push(`<path class="line${s.dashed ? " dashed" : ""}" stroke="${s.color}" d="M${item.x} ${top}h24"/>`);
    parts.push(`<text class="legend" x="${item.x + 30}" y="${top + 4}">${esc(s.label)}</text>`);
  });

  if (all.length === 0) parts.push(`<text class="tick" x="${(plot.left + plot.right) / 2}" y="${(plot.top + plot.bottom) / 2}" text-anchor="middle">no data</text>`);
  return `<svg viewBox="0 0 ${width} ${totalHeight}" role="img" aria-label="${esc(`${chart.y.label} by ${chart.x.label}`)}">${parts.join("")}</svg>`;
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * A mark's label beside its point, inside the plot and clear of the labels placed before it:
 * above or below (the side away from the plot edge first), nudged further out when two collide —
 * a knee and a best point are often neighbours.
 */
function placeLabel(text: string, cx: number, cy: number, plot: Box, placed: Box[]): { x: number; y: number; anchor: string; box: Box } {
  const widthPx = text.length * CHAR_PX;
  // Anchored away from whichever side edge is close, so the text stays inside the frame.
  const anchor = cx + widthPx / 2 > plot.right - 4 ? "end" : cx - widthPx / 2 < plot.left + 4 ? "start" : "middle";
  const x = anchor === "end" ? cx + 6 : anchor === "start" ? cx - 6 : cx;
  const left = anchor === "end" ? x - widthPx : anchor === "start" ? x : x - widthPx / 2;
  const above = [-13, -29, -45];
  const below = [22, 38, 54];
  const [first, second] = cy < (plot.top + plot.bottom) / 2 ? [below, above] : [above, below];
  const offsets = first.flatMap((dy, i) => [dy, second[i]!]);
  const boxAt = (y: number): Box => ({ left, right: left + widthPx, top: y - 12, bottom: y + 3 });
  // Its own point is in `placed` too; the offsets already keep the text off it.
  const own = (other: Box) => other.left < cx && cx < other.right && other.top < cy && cy < other.bottom;
  const fits = (box: Box) => box.top >= plot.top && box.bottom <= plot.bottom && !placed.some((other) => !own(other) && overlaps(box, other));
  const y = offsets.map((dy) => cy + dy).find((candidate) => fits(boxAt(candidate))) ?? cy - 13;
  return { x, y, anchor, box: boxAt(y) };
}

const overlaps = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

function guideValues(chart: Chart, axis: "x" | "y"): number[] {
  return (chart.guides ?? []).filter((g) => g.axis === axis).map((g) => g.value);
}

function legendLayout(series: Series[], left: number, widthPx: number): { items: { x: number; row: number }[]; height: number } {
  const items: { x: number; row: number }[] = [];
  let x = left;
  let row = 0;
  for (const s of series) {
    const itemPx = 30 + s.label.length * CHAR_PX + 22;
    if (x > left && x + itemPx > left + widthPx) {
      row++;
      x = left;
    }
    items.push({ x, row });
    x += itemPx;
  }
  return { items, height: series.length > 0 ? (row + 1) * LEGEND_ROW_PX + 10 : 0 };
}

/** Maps values onto pixels from `from` (the axis minimum) to `to`. */
function scale(axis: Axis, values: number[], from: number, to: number): Scale {
  const format = axis.format ?? compact;
  const given = axis.ticks?.map((t) => t.value) ?? [];
  const data = values.length > 0 ? values : axis.log ? [1, 10] : [0, 1];
  let lo = axis.min ?? Math.min(...data, ...given);
  let hi = axis.max ?? Math.max(...data, ...given);
  const transform = axis.log ? Math.log10 : (v: number) => v;
  let ticks = axis.ticks;
  if (!ticks) {
    if (axis.log) {
      lo = 10 ** Math.floor(Math.log10(lo));
      hi = 10 ** Math.ceil(Math.log10(hi));
      if (hi <= lo) hi = lo * 10;
      ticks = logTicks(lo, hi).map((value) => ({ value, label: format(value) }));
    } else {
      // Rates and latencies read best against zero: a curve that starts mid-axis exaggerates.
      lo = Math.min(0, lo);
      if (hi <= lo) hi = lo + 1;
      const values = niceTicks(lo, hi);
      lo = values[0]!;
      hi = values.at(-1)!;
      ticks = values.map((value) => ({ value, label: format(value) }));
    }
  }
  let t0 = transform(lo);
  let t1 = transform(hi);
  if (t1 <= t0) t1 = t0 + 1;
  const pad = (t1 - t0) * (axis.pad ?? 0);
  t0 -= pad;
  t1 += pad;
  return { map: (value) => from + ((transform(value) - t0) / (t1 - t0)) * (to - from), ticks };
}

/** About five ticks at 1, 2, 2.5 or 5 × a power of ten, covering [lo, hi]. */
function niceTicks(lo: number, hi: number): number[] {
  const rough = (hi - lo) / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v < hi + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Decades, with 2 and 5 between them when the span is short enough for them to fit. */
function logTicks(lo: number, hi: number): number[] {
  const steps = Math.log10(hi / lo) <= 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    for (const m of steps) if (decade * m <= hi * 1.0001) ticks.push(Number((decade * m).toPrecision(12)));
  }
  return ticks;
}

const round = (v: number) => Math.round(v * 10) / 10;
