import { useMemo } from 'react';
import { useComputedColorScheme, useMantineTheme, type MantineTheme } from '@mantine/core';

export interface ChartColors {
  /** Axis labels and ticks. */
  axis: string;
  grid: string;
  /** One colour per series, in order, repeating. */
  series: readonly string[];
  /** A theme colour name (`teal`, `teal.7`) or any CSS colour, as a canvas can paint it. */
  resolve(color: string): string;
}

const PALETTE = ['blue', 'orange', 'teal', 'grape', 'red', 'lime', 'cyan', 'pink', 'yellow', 'indigo'] as const;

/**
 * Concrete colours for the current colour scheme. A canvas cannot read CSS variables, so the
 * theme's colours are looked up here, and a chart is redrawn when the scheme changes.
 */
export function chartColors(theme: MantineTheme, scheme: 'light' | 'dark'): ChartColors {
  const shade = scheme === 'dark' ? 4 : 6;
  const resolve = (color: string): string => {
    const [name, index] = color.split('.');
    const swatch = name !== undefined ? theme.colors[name] : undefined;
    if (!swatch) return color;
    const i = index === undefined ? shade : Number(index);
    return swatch[i] ?? swatch[shade] ?? color;
  };
  return {
    axis: scheme === 'dark' ? theme.colors.dark[1] : theme.colors.gray[7],
    grid: scheme === 'dark' ? theme.colors.dark[4] : theme.colors.gray[2],
    series: PALETTE.map((c) => resolve(c)),
    resolve,
  };
}

export function useChartColors(): ChartColors {
  const theme = useMantineTheme();
  const scheme = useComputedColorScheme('light');
  return useMemo(() => chartColors(theme, scheme), [theme, scheme]);
}
