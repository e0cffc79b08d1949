let available: boolean | undefined;

/**
 * Whether this browser can draw a uPlot chart: a 2D canvas context and `Path2D`. Without them
 * (happy-dom, some locked-down kiosks) uPlot's constructor succeeds but its first draw, a
 * microtask later, throws on the missing context; the charts show a text summary instead.
 */
export function canvasAvailable(): boolean {
  if (available === undefined) {
    try {
      available = typeof document !== 'undefined' && typeof Path2D !== 'undefined' && document.createElement('canvas').getContext('2d') !== null;
    } catch {
      available = false;
    }
  }
  return available;
}
