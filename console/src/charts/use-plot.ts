import { useEffect, useRef, type RefObject } from 'react';
import uPlot from 'uplot';

/**
 * A uPlot chart living in `target`: made when `options` change (a new chart: series, colours or
 * height changed), fed with `setData` when only `data` changes, sized with `setSize` when
 * `width` changes, destroyed on unmount. `options` null: no chart (no canvas, nothing to plot
 * yet, or no width measured yet).
 */
export function usePlot(target: RefObject<HTMLDivElement | null>, options: Omit<uPlot.Options, 'width'> | null, data: uPlot.AlignedData, width: number): void {
  const plot = useRef<uPlot | null>(null);
  const latest = useRef({ data, width });

  useEffect(() => {
    latest.current.data = data;
    plot.current?.setData(data);
  }, [data]);

  useEffect(() => {
    latest.current.width = width;
    const u = plot.current;
    if (u && width > 0 && u.width !== width) u.setSize({ width, height: u.height });
  }, [width]);

  const ready = options !== null && width > 0;
  useEffect(() => {
    const el = target.current;
    if (!ready || !options || !el) return undefined;
    const u = new uPlot({ ...options, width: latest.current.width }, latest.current.data, el);
    plot.current = u;
    return () => {
      u.destroy();
      plot.current = null;
    };
  }, [target, options, ready]);
}
