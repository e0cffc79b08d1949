/**
 * Pure helpers behind the charts: putting several time series on one shared time axis (uPlot
 * draws every series against a single x array), thinning long series, and the text summary
 * shown where a canvas is not available.
 */

/** One sample: `[epoch ms, value]`. */
export type Point = readonly [number, number];

export interface NamedSeries {
  label: string;
  points: ReadonlyArray<Point>;
}

/** A missing point: `null` breaks the line (a real gap), `undefined` is drawn across. */
export type AlignedValue = number | null | undefined;

export interface AlignedSeries {
  /** Every timestamp of every series, ascending, each once. */
  xs: number[];
  /** Per series, its value at each of `xs`. */
  ys: AlignedValue[][];
}

export interface AlignOptions {
  /**
   * Where a series has no point at a timestamp it is `null` (uPlot breaks its line there). With
   * `bridge`, a missing point between two points of the same series at most this many ms apart
   * is `undefined` instead, so the line runs on across the other series' timestamps and breaks
   * only where the series itself stopped reporting. `'auto'`: three times the series' median
   * step between points.
   */
  bridge?: number | 'auto';
}

/** The finite points of a series, in time order, one per timestamp (the last one given wins). */
export function cleanPoints(points: ReadonlyArray<Point>): Point[] {
  const finite = points.filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v));
  let sorted = true;
  for (let i = 1; i < finite.length; i++) {
    if ((finite[i] as Point)[0] < (finite[i - 1] as Point)[0]) {
      sorted = false;
      break;
    }
  }
  // A stable sort keeps points of equal time in the order given, so the last one given wins below.
  const ordered = sorted ? finite : [...finite].sort((a, b) => a[0] - b[0]);
  const out: Point[] = [];
  for (const p of ordered) {
    const last = out[out.length - 1];
    if (last && last[0] === p[0]) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}

/** The median time between consecutive points, or null with fewer than two. */
export function medianStep(points: ReadonlyArray<Point>): number | null {
  const clean = cleanPoints(points);
  if (clean.length < 2) return null;
  const steps: number[] = [];
  for (let i = 1; i < clean.length; i++) steps.push((clean[i] as Point)[0] - (clean[i - 1] as Point)[0]);
  steps.sort((a, b) => a - b);
  const mid = Math.floor(steps.length / 2);
  return steps.length % 2 === 1 ? (steps[mid] as number) : ((steps[mid - 1] as number) + (steps[mid] as number)) / 2;
}

/** Puts every series on the union of their timestamps (see `AlignOptions` for missing points). */
export function alignSeries(series: ReadonlyArray<NamedSeries>, options: AlignOptions = {}): AlignedSeries {
  const cleaned = series.map((s) => cleanPoints(s.points));
  const all = new Set<number>();
  for (const points of cleaned) for (const [t] of points) all.add(t);
  const xs = [...all].sort((a, b) => a - b);
  const index = new Map<number, number>();
  xs.forEach((x, i) => index.set(x, i));

  const ys = cleaned.map((points) => {
    const row: AlignedValue[] = new Array<AlignedValue>(xs.length).fill(null);
    for (const [t, v] of points) row[index.get(t) as number] = v;
    const bridge = options.bridge === 'auto' ? autoBridge(points) : options.bridge;
    if (bridge !== undefined && bridge > 0) {
      for (let k = 1; k < points.length; k++) {
        const [t0] = points[k - 1] as Point;
        const [t1] = points[k] as Point;
        if (t1 - t0 > bridge) continue;
        const from = index.get(t0) as number;
        const to = index.get(t1) as number;
        for (let i = from + 1; i < to; i++) row[i] = undefined;
      }
    }
    return row;
  });
  return { xs, ys };
}

function autoBridge(points: ReadonlyArray<Point>): number | undefined {
  const step = medianStep(points);
  return step === null ? undefined : step * 3;
}

/**
 * At most about `maxPoints` points (never fewer than the first and last): the series is cut into
 * buckets and each bucket keeps its lowest and highest point, in time order, so spikes survive
 * (an average would flatten the one-second pressure peak an engineer is looking for).
 */
export function downsample(points: ReadonlyArray<Point>, maxPoints: number): ReadonlyArray<Point> {
  if (points.length <= maxPoints || maxPoints < 4) return points;
  const first = points[0] as Point;
  const last = points[points.length - 1] as Point;
  const inner = points.length - 2;
  const buckets = Math.floor((maxPoints - 2) / 2);
  const size = inner / buckets;
  const out: Point[] = [first];
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor(b * size);
    const end = Math.min(1 + Math.floor((b + 1) * size), points.length - 1);
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      const v = (points[i] as Point)[1];
      if (v < (points[lo] as Point)[1]) lo = i;
      if (v > (points[hi] as Point)[1]) hi = i;
    }
    if (lo === hi) out.push(points[lo] as Point);
    else if (lo < hi) out.push(points[lo] as Point, points[hi] as Point);
    else out.push(points[hi] as Point, points[lo] as Point);
  }
  out.push(last);
  return out;
}

export interface SeriesSummary {
  count: number;
  /** The most recent point. */
  latest: Point | null;
  min: number | null;
  max: number | null;
}

/** What the text fallback says about a series: its latest value, lowest and highest. */
export function summarize(points: ReadonlyArray<Point>): SeriesSummary {
  let latest: Point | null = null;
  let min: number | null = null;
  let max: number | null = null;
  let count = 0;
  for (const p of points) {
    const [t, v] = p;
    if (!Number.isFinite(t) || !Number.isFinite(v)) continue;
    count++;
    if (latest === null || t >= latest[0]) latest = p;
    if (min === null || v < min) min = v;
    if (max === null || v > max) max = v;
  }
  return { count, latest, min, max };
}

/**
 * A number as a chart label: whole numbers as they are, others with the decimals their size
 * needs (1234.5, 12.35, 0.1235, 0.000123).
 */
export function formatChartNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs < 0.01) return String(Number(v.toPrecision(3)));
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 4;
  return String(Number(v.toFixed(digits)));
}

/** `12.5 °C`, or the bare number without a unit. */
export function withUnit(text: string, unit: string | undefined): string {
  return unit ? `${text} ${unit}` : text;
}

/** `latest 21.5 °C, min 20.1 °C, max 23 °C (120 points)`, or `no data`. */
export function describeSeries(points: ReadonlyArray<Point>, unit?: string): string {
  const s = summarize(points);
  if (s.latest === null || s.min === null || s.max === null) return 'no data';
  const f = (v: number) => withUnit(formatChartNumber(v), unit);
  return `latest ${f(s.latest[1])}, min ${f(s.min)}, max ${f(s.max)} (${s.count} ${s.count === 1 ? 'point' : 'points'})`;
}
