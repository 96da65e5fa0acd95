/**
 * Charts as inline SVG strings, so a report is one file that draws without a network or a chart
 * library. Every data-bearing element carries a class (`series`, `bar`) and its series name, and
 * each chart its id in `data-chart`, so a test (or a person's devtools) can find what was drawn.
 * Every text that came from data is escaped.
 */
import type { CurvePoint } from './curves.js';

const WIDTH = 540;
const HEIGHT = 330;
const MARGIN = { left: 60, right: 16, top: 52, bottom: 46 } as const;

/** Text made safe for HTML and SVG content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface Axis {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
  readonly format: (value: number) => string;
}

export interface LineSeries {
  readonly name: string;
  readonly colour: string;
  readonly points: readonly CurvePoint[];
}

export interface BarSeries {
  readonly name: string;
  readonly colour: string;
  readonly values: readonly number[];
  /** A confidence interval per value, drawn as a whisker; null where there is none. */
  readonly intervals?: readonly ({ readonly lower: number; readonly upper: number } | null)[];
}

export interface ReferenceLine {
  readonly label: string;
  readonly value: number;
}

/** `count + 1` evenly spaced ticks from `min` to `max`. */
export function evenTicks(min: number, max: number, count: number): number[] {
  return Array.from({ length: count + 1 }, (_, index) => min + ((max - min) * index) / count);
}

const round = (value: number): string => (Math.round(value * 10) / 10).toString();

/** Maps a data value of the axis onto pixels between `from` and `to`, clamped to the axis. */
function scale(axis: Axis, from: number, to: number): (value: number) => number {
  const span = axis.max - axis.min || 1;
  return (value) => from + ((Math.min(axis.max, Math.max(axis.min, value)) - axis.min) / span) * (to - from);
}

/** The SVG path data of a polyline through `points` on a line chart's axes (plot area x 60..524, y 284..52). */
export function pathData(points: readonly CurvePoint[], x: Axis, y: Axis): string {
  const toX = scale(x, MARGIN.left, WIDTH - MARGIN.right);
  const toY = scale(y, HEIGHT - MARGIN.bottom, MARGIN.top);
  return points.map((point, index) => `${index === 0 ? 'M' : 'L'}${round(toX(point.x))} ${round(toY(point.y))}`).join(' ');
}

function legend(entries: readonly { readonly name: string; readonly colour: string; readonly dashed?: boolean }[], width: number): string {
  let x = MARGIN.left;
  return entries
    .map(({ name, colour, dashed }) => {
      const item = `<g class="legend-item"><line x1="${x}" y1="36" x2="${x + 18}" y2="36" stroke="${colour}" stroke-width="3"${dashed === true ? ' stroke-dasharray="4 3"' : ''}/><text x="${x + 22}" y="40">${escapeHtml(name)}</text></g>`;
      x += 30 + name.length * 6.5;
      return x > width ? '' : item;
    })
    .join('');
}

function frame(id: string, title: string, width: number, height: number, body: string): string {
  return `<svg class="chart" data-chart="${escapeHtml(id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title><text class="chart-title" x="10" y="18">${escapeHtml(title)}</text>${body}</svg>`;
}

function yAxis(y: Axis, width: number, height: number, bottom: number): string {
  const toY = scale(y, height - bottom, MARGIN.top);
  const ticks = y.ticks
    .map((tick) => `<line class="grid" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${round(toY(tick))}" y2="${round(toY(tick))}"/><text class="tick" x="${MARGIN.left - 6}" y="${round(toY(tick) + 4)}" text-anchor="end">${escapeHtml(y.format(tick))}</text>`)
    .join('');
  const middle = (MARGIN.top + height - bottom) / 2;
  return `${ticks}<text class="axis-label" transform="translate(14 ${round(middle)}) rotate(-90)" text-anchor="middle">${escapeHtml(y.label)}</text><line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${height - bottom}"/>`;
}

/** A line chart of series over numeric axes, with an optional dashed reference curve (e.g. the ROC diagonal). */
export function lineChart(options: { readonly id: string; readonly title: string; readonly x: Axis; readonly y: Axis; readonly series: readonly LineSeries[]; readonly reference?: LineSeries }): string {
  const { id, title, x, y, series, reference } = options;
  const toX = scale(x, MARGIN.left, WIDTH - MARGIN.right);
  // The last label ends at its tick, so it stays inside the chart.
  const xTicks = x.ticks
    .map((tick, index) => `<text class="tick" x="${round(toX(tick))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="${index === x.ticks.length - 1 ? 'end' : 'middle'}">${escapeHtml(x.format(tick))}</text>`)
    .join('');
  const xAxis = `<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom}"/>${xTicks}<text class="axis-label" x="${round((MARGIN.left + WIDTH - MARGIN.right) / 2)}" y="${HEIGHT - 8}" text-anchor="middle">${escapeHtml(x.label)}</text>`;
  const referencePath =
    reference === undefined ? '' : `<path class="reference" data-series="${escapeHtml(reference.name)}" d="${pathData(reference.points, x, y)}" fill="none" stroke="${reference.colour}" stroke-width="1.5" stroke-dasharray="4 3"/>`;
  const paths = series
    .map((line) => `<path class="series" data-series="${escapeHtml(line.name)}" d="${pathData(line.points, x, y)}" fill="none" stroke="${line.colour}" stroke-width="2.5"><title>${escapeHtml(line.name)}</title></path>`)
    .join('');
  const entries = [...series, ...(reference === undefined ? [] : [{ ...reference, dashed: true }])];
  return frame(id, title, WIDTH, HEIGHT, `${yAxis(y, WIDTH, HEIGHT, MARGIN.bottom)}${xAxis}${referencePath}${paths}${legend(entries, WIDTH)}`);
}

/** Grouped vertical bars, one group per category, with optional whiskers and horizontal reference lines (thresholds). */
export function barChart(options: {
  readonly id: string;
  readonly title: string;
  readonly categories: readonly string[];
  readonly y: Axis;
  readonly series: readonly BarSeries[];
  readonly references?: readonly ReferenceLine[];
  /** Category labels turned 40° for long names. @default false */
  readonly slantedLabels?: boolean;
}): string {
  const { id, title, categories, y, series, references = [], slantedLabels = false } = options;
  const longest = Math.max(0, ...categories.map((category) => category.length));
  const bottom = slantedLabels ? Math.min(150, 24 + longest * 4.4) : MARGIN.bottom;
  const width = Math.max(WIDTH, MARGIN.left + MARGIN.right + categories.length * Math.max(24, series.length * 14));
  const height = HEIGHT - MARGIN.bottom + bottom;
  const toY = scale(y, height - bottom, MARGIN.top);
  const groupWidth = (width - MARGIN.left - MARGIN.right) / Math.max(1, categories.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, series.length);
  const bars = categories
    .map((category, categoryIndex) => {
      const groupLeft = MARGIN.left + categoryIndex * groupWidth + groupWidth * 0.1;
      const centre = MARGIN.left + (categoryIndex + 0.5) * groupWidth;
      const labelY = height - bottom + 14;
      const label = slantedLabels
        ? `<text class="tick" transform="translate(${round(centre)} ${labelY}) rotate(-40)" text-anchor="end">${escapeHtml(category)}</text>`
        : `<text class="tick" x="${round(centre)}" y="${labelY}" text-anchor="middle">${escapeHtml(category)}</text>`;
      const rects = series
        .map((bar, seriesIndex) => {
          const value = bar.values[categoryIndex] ?? 0;
          const left = groupLeft + seriesIndex * barWidth;
          const top = toY(value);
          const interval = bar.intervals?.[categoryIndex] ?? null;
          const whisker =
            interval === null
              ? ''
              : `<line class="whisker" x1="${round(left + barWidth / 2)}" x2="${round(left + barWidth / 2)}" y1="${round(toY(interval.lower))}" y2="${round(toY(interval.upper))}" stroke="#222" stroke-width="1.5"/>`;
          return `<rect class="bar" data-series="${escapeHtml(bar.name)}" x="${round(left)}" y="${round(top)}" width="${round(Math.max(1, barWidth - 2))}" height="${round(height - bottom - top)}" fill="${bar.colour}"><title>${escapeHtml(`${bar.name} · ${category}: ${y.format(value)}`)}</title></rect>${whisker}`;
        })
        .join('');
      return `${rects}${label}`;
    })
    .join('');
  const lines = references
    .map(
      (line) =>
        `<line class="reference" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${round(toY(line.value))}" y2="${round(toY(line.value))}" stroke="#c0392b" stroke-dasharray="5 4"/><text class="tick" x="${width - MARGIN.right}" y="${round(toY(line.value) - 4)}" text-anchor="end">${escapeHtml(line.label)}</text>`,
    )
    .join('');
  const baseline = `<line class="axis" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${height - bottom}" y2="${height - bottom}"/>`;
  return frame(id, title, width, height, `${yAxis(y, width, height, bottom)}${baseline}${bars}${lines}${legend(series, width)}`);
}
