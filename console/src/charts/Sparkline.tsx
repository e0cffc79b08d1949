import { useMemo, useRef } from 'react';
import { Box, Text } from '@mantine/core';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { canvasAvailable } from './canvas';
import { useChartColors } from './colors';
import { alignSeries, describeSeries, formatChartNumber, summarize, type Point } from './series';
import { usePlot } from './use-plot';

export interface SparklineProps {
  /** `[epoch ms, value]`, any order. */
  points: ReadonlyArray<Point>;
  width?: number;
  height?: number;
  /** A theme colour name (`teal`, `teal.7`) or a CSS colour; the theme's blue by default. */
  color?: string;
  /** What the values are, for screen readers: `Trend of temperature`. */
  label?: string;
  'data-testid'?: string;
}

/**
 * A tiny line of recent values for a table cell: no axes, no legend, no cursor. Where a canvas
 * is not available it shows the range of the values as text (and `no history yet` when there
 * are none). Its accessible name gives the latest value and the range in words
 * (`latest 21.5, min 20.1, max 23 (120 points)`).
 */
export function Sparkline({ points, width = 120, height = 28, color, label, 'data-testid': testId }: SparklineProps) {
  const colors = useChartColors();
  const target = useRef<HTMLDivElement>(null);
  const canvas = canvasAvailable();
  const stroke = colors.resolve(color ?? 'blue');
  const data = useMemo<uPlot.AlignedData>(() => {
    const aligned = alignSeries([{ label: '', points }]);
    return [aligned.xs, aligned.ys[0] ?? []];
  }, [points]);
  const count = data[0].length;
  const single = count === 1;
  const draw = canvas && count > 0;
  const options = useMemo<Omit<uPlot.Options, 'width'> | null>(
    () =>
      draw
        ? {
            height,
            padding: [3, 2, 3, 2],
            legend: { show: false },
            cursor: { show: false },
            scales: { x: { time: false } },
            axes: [{ show: false }, { show: false }],
            series: [{}, { stroke, width: 1.5, points: { show: single, size: 3, fill: stroke } }],
          }
        : null,
    [draw, height, stroke, single],
  );
  usePlot(target, options, data, width);

  const summary = describeSeries(points);
  const name = label ? `${label}: ${summary}` : summary;
  return (
    <Box role="img" aria-label={name} title={name} data-testid={testId} data-points={summarize(points).count} w={width} h={draw ? height : undefined}>
      {draw ? <div ref={target} /> : <SparklineText points={points} />}
    </Box>
  );
}

function SparklineText({ points }: { points: ReadonlyArray<Point> }) {
  const s = summarize(points);
  if (s.latest === null || s.min === null || s.max === null) {
    return (
      <Text size="xs" c="dimmed">
        no history yet
      </Text>
    );
  }
  return (
    <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
      {formatChartNumber(s.min)} – {formatChartNumber(s.max)}
    </Text>
  );
}
