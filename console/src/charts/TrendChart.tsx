import { useMemo, useRef } from 'react';
import { Box, ColorSwatch, Group, Stack, Text } from '@mantine/core';
import { useElementSize } from '@mantine/hooks';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { canvasAvailable } from './canvas';
import { useChartColors } from './colors';
import { alignSeries, describeSeries, downsample, formatChartNumber, withUnit, type NamedSeries } from './series';
import { usePlot } from './use-plot';

export interface TrendChartProps {
  /** Each series' `[epoch ms, value]` points; their timestamps need not match. */
  series: ReadonlyArray<NamedSeries>;
  /** Height of the plotting area with its axes, in px (the legend comes below). */
  height?: number;
  /** Appended to the values on the y axis and in the legend (`%`, `°C`, `MiB`). */
  unit?: string;
  title?: string;
  'data-testid'?: string;
}

/** uPlot draws every point it is given; past this many per series, it is thinned keeping peaks. */
const MAX_POINTS_PER_SERIES = 4_000;

/**
 * Several series over time on one time axis, with a legend showing each value under the
 * cursor, at the width of its container (it follows resizes). Series with different timestamps
 * are aligned; a line breaks only where its own series has a gap. Where a canvas is not
 * available, each series' latest value, lowest and highest are listed instead.
 */
export function TrendChart({ series, height = 220, unit, title, 'data-testid': testId }: TrendChartProps) {
  const canvas = canvasAvailable();
  const colors = useChartColors();
  const { ref: sizeRef, width } = useElementSize<HTMLDivElement>();
  const target = useRef<HTMLDivElement>(null);

  const data = useMemo<uPlot.AlignedData>(() => {
    const thinned = series.map((s) => ({ label: s.label, points: downsample(s.points, MAX_POINTS_PER_SERIES) }));
    const aligned = alignSeries(thinned, { bridge: 'auto' });
    return [aligned.xs, ...aligned.ys];
  }, [series]);
  const empty = data[0].length === 0;

  // A new chart only when what it shows changes (series names, unit, colours, height), not on every poll.
  const labelsKey = JSON.stringify(series.map((s) => s.label));
  const options = useMemo<Omit<uPlot.Options, 'width'> | null>(
    () => (canvas && !empty ? trendOptions(JSON.parse(labelsKey) as string[], unit, colors, Math.max(height, 80)) : null),
    [canvas, empty, labelsKey, unit, colors, height],
  );
  usePlot(target, options, data, Math.floor(width));

  const summary = series.map((s) => `${s.label}: ${describeSeries(s.points, unit)}`).join('; ');
  return (
    <Stack gap={4} data-testid={testId} ref={sizeRef} w="100%" style={{ minWidth: 0 }}>
      {title && (
        <Text fw={600} size="sm">
          {title}
        </Text>
      )}
      {empty ? (
        <Text size="sm" c="dimmed" h={height} style={{ display: 'flex', alignItems: 'center' }}>
          No data for this period yet.
        </Text>
      ) : canvas ? (
        <Box ref={target} role="img" aria-label={`${title ? `${title}. ` : ''}${summary}`} mih={height} />
      ) : (
        <Stack gap={2} aria-label={title ? `${title} (summary)` : 'Summary'} data-chart-fallback>
          {series.map((s, i) => (
            <Group key={`${i}-${s.label}`} gap={6} wrap="nowrap">
              <ColorSwatch color={colors.series[i % colors.series.length] ?? colors.axis} size={10} withShadow={false} />
              <Text size="sm">
                <Text span fw={500}>
                  {s.label}
                </Text>
                : {describeSeries(s.points, unit)}
              </Text>
            </Group>
          ))}
        </Stack>
      )}
    </Stack>
  );
}

function trendOptions(labels: string[], unit: string | undefined, colors: ReturnType<typeof useChartColors>, height: number): Omit<uPlot.Options, 'width'> {
  const show = (v: number | null | undefined) => (v === null || v === undefined ? '—' : withUnit(formatChartNumber(v), unit));
  const axis: uPlot.Axis = { stroke: colors.axis, grid: { stroke: colors.grid, width: 1 }, ticks: { stroke: colors.grid, width: 1 } };
  return {
    height,
    ms: 1,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [
      { ...axis },
      {
        ...axis,
        size: 64,
        values: (_u, splits) => splits.map((v) => withUnit(formatChartNumber(v), unit)),
      },
    ],
    series: [
      { label: 'Time' },
      ...labels.map<uPlot.Series>((label, i) => ({
        label,
        stroke: colors.series[i % colors.series.length],
        width: 1.5,
        points: { show: false },
        value: (_u, v) => show(v),
      })),
    ],
  };
}
