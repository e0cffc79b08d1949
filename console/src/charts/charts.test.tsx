// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import type { ReactElement } from 'react';
import { canvasAvailable } from './canvas';
import { Sparkline } from './Sparkline';
import { TrendChart } from './TrendChart';
import type { Point } from './series';

const wrap = (ui: ReactElement) => render(<MantineProvider>{ui}</MantineProvider>);
const pts = (...values: number[]): Point[] => values.map((v, i) => [1_700_000_000_000 + i * 1000, v]);

afterEach(cleanup);

// happy-dom has no 2D canvas: uPlot would throw on its first draw (a microtask after its
// constructor), failing the run with an unhandled error. The charts must notice and show text.
describe('charts without a canvas', () => {
  it('knows the canvas is missing', () => {
    expect(canvasAvailable()).toBe(false);
  });

  it('Sparkline shows the range and names latest, min and max for screen readers', () => {
    wrap(<Sparkline points={pts(3, 9, 1, 4)} label="Trend of pressure" data-testid="spark" />);
    const el = screen.getByTestId('spark');
    expect(el.getAttribute('data-points')).toBe('4');
    expect(el.getAttribute('aria-label')).toBe('Trend of pressure: latest 4, min 1, max 9 (4 points)');
    expect(el.textContent).toBe('1 – 9');
    expect(el.querySelector('canvas')).toBeNull();
  });

  it('Sparkline says when there is no history yet', () => {
    wrap(<Sparkline points={[]} data-testid="spark" />);
    expect(screen.getByTestId('spark').textContent).toBe('no history yet');
  });

  it('TrendChart lists each series with its latest value, min and max, in its unit', () => {
    wrap(
      <TrendChart
        title="CPU and memory"
        unit="%"
        data-testid="trend"
        series={[
          { label: 'CPU', points: pts(10, 55.5, 20) },
          { label: 'Memory', points: pts(40, 41) },
        ]}
      />,
    );
    const el = screen.getByTestId('trend');
    expect(el.textContent).toContain('CPU and memory');
    expect(el.textContent).toContain('CPU: latest 20 %, min 10 %, max 55.5 % (3 points)');
    expect(el.textContent).toContain('Memory: latest 41 %, min 40 %, max 41 % (2 points)');
  });

  it('TrendChart says when there is nothing to plot', () => {
    wrap(<TrendChart series={[{ label: 'CPU', points: [] }]} data-testid="trend" />);
    expect(screen.getByTestId('trend').textContent).toContain('No data for this period yet.');
  });
});
