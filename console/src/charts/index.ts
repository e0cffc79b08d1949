export { Sparkline, type SparklineProps } from './Sparkline';
export { TrendChart, type TrendChartProps } from './TrendChart';
export { alignSeries, cleanPoints, describeSeries, downsample, formatChartNumber, medianStep, summarize, type AlignedSeries, type NamedSeries, type Point, type SeriesSummary } from './series';
export { canvasAvailable } from './canvas';
