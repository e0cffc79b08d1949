// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import type uPlot from 'uplot';
import type { ReactElement } from 'react';
import { Sparkline } from './Sparkline';
import { TrendChart } from './TrendChart';
import type { Point } from './series';

/** Stands in for uPlot where happy-dom has no canvas: records what the components ask of it. */
const fake = vi.hoisted(() => {
  class FakePlot {
    static instances: FakePlot[] = [];
    width: number;
    height: number;
    data: uPlot.AlignedData;
    destroyed = false;
    constructor(
      readonly opts: uPlot.Options,
      data: uPlot.AlignedData,
      readonly target: HTMLElement,
    ) {
      this.width = opts.width;
      this.height = opts.height;
      this.data = data;
      FakePlot.instances.push(this);
    }
    setData(data: uPlot.AlignedData) {
      this.data = data;
    }
    setSize(size: { width: number; height: number }) {
      this.width = size.width;
      this.height = size.height;
    }
    destroy() {
      this.destroyed = true;
    }
  }
  return { FakePlot };
});
vi.mock('uplot', () => ({ default: fake.FakePlot }));
vi.mock('./canvas', () => ({ canvasAvailable: () => true }));

/** A ResizeObserver the test drives: happy-dom does no layout, so sizes come from here. */
const observers: Array<{ cb: ResizeObserverCallback; self: ResizeObserver }> = [];
class TestResizeObserver {
  constructor(private readonly cb: ResizeObserverCallback) {
    observers.push({ cb, self: this as unknown as ResizeObserver });
  }
  observe() {}
  unobserve() {}
  disconnect() {}
}
function resizeTo(width: number) {
  act(() => {
    for (const o of observers) o.cb([{ contentRect: { width, height: 300, x: 0, y: 0, top: 0, left: 0, bottom: 300, right: width } } as unknown as ResizeObserverEntry], o.self);
  });
}

const wrap = (ui: ReactElement) => render(<MantineProvider>{ui}</MantineProvider>);
const latest = () => fake.FakePlot.instances[fake.FakePlot.instances.length - 1];

beforeEach(() => {
  fake.FakePlot.instances = [];
  observers.length = 0;
  vi.stubGlobal('ResizeObserver', TestResizeObserver);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('TrendChart with a canvas', () => {
  const cpu: Point[] = [
    [1000, 10],
    [2000, 20],
  ];
  const mem: Point[] = [
    [1500, 50],
    [2000, 60],
  ];

  it('draws once its width is known, on one aligned time axis, and follows resizes', async () => {
    wrap(
      <TrendChart
        unit="%"
        series={[
          { label: 'CPU', points: cpu },
          { label: 'Memory', points: mem },
        ]}
      />,
    );
    expect(fake.FakePlot.instances).toHaveLength(0);
    resizeTo(640);
    await waitFor(() => expect(fake.FakePlot.instances).toHaveLength(1));
    const plot = latest();
    expect(plot?.width).toBe(640);
    expect(plot?.opts.ms).toBe(1);
    expect(plot?.opts.series.map((s) => s.label)).toEqual(['Time', 'CPU', 'Memory']);
    expect(plot?.data).toEqual([
      [1000, 1500, 2000],
      [10, undefined, 20],
      [null, 50, 60],
    ]);
    expect(screen.getByRole('img').getAttribute('aria-label')).toContain('CPU: latest 20 %, min 10 %, max 20 % (2 points)');

    resizeTo(800);
    await waitFor(() => expect(plot?.width).toBe(800));
    expect(fake.FakePlot.instances).toHaveLength(1);
  });

  it('feeds new points to the same chart, makes a new one when the series change, and cleans up', async () => {
    const view = wrap(<TrendChart series={[{ label: 'CPU', points: cpu }]} />);
    resizeTo(500);
    await waitFor(() => expect(fake.FakePlot.instances).toHaveLength(1));
    const first = latest();

    view.rerender(
      <MantineProvider>
        <TrendChart series={[{ label: 'CPU', points: [...cpu, [3000, 30]] }]} />
      </MantineProvider>,
    );
    expect(fake.FakePlot.instances).toHaveLength(1);
    expect(first?.data).toEqual([
      [1000, 2000, 3000],
      [10, 20, 30],
    ]);

    view.rerender(
      <MantineProvider>
        <TrendChart
          series={[
            { label: 'CPU', points: cpu },
            { label: 'Buffer', points: mem },
          ]}
        />
      </MantineProvider>,
    );
    expect(fake.FakePlot.instances).toHaveLength(2);
    expect(first?.destroyed).toBe(true);
    view.unmount();
    expect(latest()?.destroyed).toBe(true);
  });
});

describe('Sparkline with a canvas', () => {
  it('draws nothing until there is a value, and says so', () => {
    wrap(<Sparkline points={[]} data-testid="spark" />);
    expect(fake.FakePlot.instances).toHaveLength(0);
    expect(screen.getByTestId('spark').textContent).toBe('no history yet');
  });

  it('draws at its fixed size without axes or legend and updates in place', () => {
    const view = wrap(
      <Sparkline
        points={[
          [2000, 2],
          [1000, 1],
        ]}
        width={100}
        height={24}
        color="teal"
      />,
    );
    const plot = latest();
    expect(plot?.width).toBe(100);
    expect(plot?.height).toBe(24);
    expect(plot?.opts.legend?.show).toBe(false);
    expect(plot?.opts.axes?.every((a) => a.show === false)).toBe(true);
    expect(plot?.data).toEqual([
      [1000, 2000],
      [1, 2],
    ]);
    view.rerender(
      <MantineProvider>
        <Sparkline
          points={[
            [1000, 1],
            [2000, 2],
            [3000, 5],
          ]}
          width={100}
          height={24}
          color="teal"
        />
      </MantineProvider>,
    );
    expect(fake.FakePlot.instances).toHaveLength(1);
    expect(plot?.data).toEqual([
      [1000, 2000, 3000],
      [1, 2, 5],
    ]);
  });
});
