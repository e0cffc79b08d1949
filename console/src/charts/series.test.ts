import { describe, expect, it } from 'vitest';
import { alignSeries, cleanPoints, describeSeries, downsample, formatChartNumber, medianStep, summarize, type Point } from './series';

describe('alignSeries', () => {
  it('merges the timestamps of every series and leaves null where a series has no point', () => {
    const cpu: Point[] = [
      [1000, 10],
      [3000, 30],
    ];
    const mem: Point[] = [
      [2000, 200],
      [3000, 300],
      [4000, 400],
    ];
    expect(alignSeries([{ label: 'cpu', points: cpu }, { label: 'mem', points: mem }])).toEqual({
      xs: [1000, 2000, 3000, 4000],
      ys: [
        [10, null, 30, null],
        [null, 200, 300, 400],
      ],
    });
  });

  it('sorts, drops non-finite values and keeps the last of two points at the same time', () => {
    const aligned = alignSeries([
      {
        label: 'a',
        points: [
          [3000, 3],
          [1000, 1],
          [2000, Number.NaN],
          [1000, 1.5],
        ],
      },
    ]);
    expect(aligned).toEqual({ xs: [1000, 3000], ys: [[1.5, 3]] });
  });

  it('bridges a missing point between two close points of the same series, but not a real gap', () => {
    // a reports every second and then stops for 10 s; b reports at the half seconds.
    const a: Point[] = [
      [0, 1],
      [1000, 2],
      [2000, 3],
      [12_000, 4],
    ];
    const b: Point[] = [
      [500, 10],
      [1500, 11],
      [7000, 12],
    ];
    const { xs, ys } = alignSeries(
      [
        { label: 'a', points: a },
        { label: 'b', points: b },
      ],
      { bridge: 1500 },
    );
    expect(xs).toEqual([0, 500, 1000, 1500, 2000, 7000, 12_000]);
    // undefined: drawn across; null: the line breaks.
    expect(ys[0]).toEqual([1, undefined, 2, undefined, 3, null, 4]);
    expect(ys[1]).toEqual([null, 10, undefined, 11, null, 12, null]);
  });

  it("bridges 'auto' at three times the series' median step", () => {
    const a: Point[] = [0, 1000, 2000, 3000, 6000, 10_000].map((t): Point => [t, 1]);
    const b: Point[] = [
      [4500, 5],
      [8000, 6],
    ];
    const { xs, ys } = alignSeries(
      [
        { label: 'a', points: a },
        { label: 'b', points: b },
      ],
      { bridge: 'auto' },
    );
    expect(xs).toEqual([0, 1000, 2000, 3000, 4500, 6000, 8000, 10_000]);
    // Median step of a: 1 s, so 3000→6000 (3 s) is bridged and 6000→10000 (4 s) is a gap.
    expect(ys[0]).toEqual([1, 1, 1, 1, undefined, 1, null, 1]);
  });

  it('handles no series and empty series', () => {
    expect(alignSeries([])).toEqual({ xs: [], ys: [] });
    expect(alignSeries([{ label: 'x', points: [] }])).toEqual({ xs: [], ys: [[]] });
  });
});

describe('cleanPoints and medianStep', () => {
  it('orders points and finds the typical step', () => {
    expect(
      cleanPoints([
        [2, 1],
        [1, 0],
      ]),
    ).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect(
      medianStep([
        [0, 0],
        [1000, 0],
        [2000, 0],
        [10_000, 0],
      ]),
    ).toBe(1000);
    expect(
      medianStep([
        [0, 0],
        [1000, 0],
        [3000, 0],
      ]),
    ).toBe(1500);
    expect(medianStep([[0, 0]])).toBeNull();
  });
});

describe('downsample', () => {
  const ramp = (n: number): Point[] => Array.from({ length: n }, (_, i) => [i * 1000, Math.sin(i / 10)] as const);

  it('returns a short series unchanged', () => {
    const pts = ramp(10);
    expect(downsample(pts, 100)).toBe(pts);
  });

  it('keeps at most about maxPoints, the first and last point, time order, and every spike', () => {
    const pts = ramp(10_000).map(([t, v], i): Point => [t, i === 4321 ? 99 : i === 7777 ? -99 : v]);
    const out = downsample(pts, 500);
    expect(out.length).toBeLessThanOrEqual(500);
    expect(out.length).toBeGreaterThan(400);
    expect(out[0]).toEqual(pts[0]);
    expect(out[out.length - 1]).toEqual(pts[pts.length - 1]);
    for (let i = 1; i < out.length; i++) expect((out[i] as Point)[0]).toBeGreaterThan((out[i - 1] as Point)[0]);
    expect(out).toContainEqual([4321_000, 99]);
    expect(out).toContainEqual([7777_000, -99]);
  });
});

describe('summaries', () => {
  it('gives the latest value by time, the lowest and the highest', () => {
    expect(
      summarize([
        [2000, 5],
        [3000, 2],
        [1000, 9],
        [4000, Number.NaN],
      ]),
    ).toEqual({ count: 3, latest: [3000, 2], min: 2, max: 9 });
    expect(summarize([])).toEqual({ count: 0, latest: null, min: null, max: null });
  });

  it('describes a series in words, with its unit', () => {
    expect(
      describeSeries(
        [
          [1, 20.123],
          [2, 23],
          [3, 21.5],
        ],
        '°C',
      ),
    ).toBe('latest 21.5 °C, min 20.12 °C, max 23 °C (3 points)');
    expect(describeSeries([])).toBe('no data');
  });

  it('formats numbers with the decimals their size needs', () => {
    expect(formatChartNumber(42)).toBe('42');
    expect(formatChartNumber(1234.56)).toBe('1234.6');
    expect(formatChartNumber(12.3456)).toBe('12.35');
    expect(formatChartNumber(0.123456)).toBe('0.1235');
    expect(formatChartNumber(0.000123456)).toBe('0.000123');
  });
});
