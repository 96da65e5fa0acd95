import { describe, expect, it } from 'vitest';
import { precisionRecallCurve, rocCurve, thinCurve } from '../../src/report/curves.js';
import { barChart, escapeHtml, evenTicks, lineChart, pathData, type Axis } from '../../src/report/svg-charts.js';

const unit: Axis = { label: 'x', min: 0, max: 1, ticks: evenTicks(0, 1, 2), format: (value) => value.toFixed(1) };

describe('ROC and precision-recall curves', () => {
  it('steps through every distinct score from the highest down', () => {
    // fraud 0.9, legit 0.8, fraud 0.7, legit 0.6
    const labels = [1, 0, 1, 0];
    const scores = [0.9, 0.8, 0.7, 0.6];
    expect(rocCurve(labels, scores)).toEqual([
      { x: 0, y: 0 },
      { x: 0, y: 0.5 },
      { x: 0.5, y: 0.5 },
      { x: 0.5, y: 1 },
      { x: 1, y: 1 },
    ]);
    expect(precisionRecallCurve(labels, scores)).toEqual([
      { x: 0, y: 1 },
      { x: 0.5, y: 1 },
      { x: 0.5, y: 0.5 },
      { x: 1, y: 2 / 3 },
      { x: 1, y: 0.5 },
    ]);
  });

  it('takes tied scores together (one diagonal step) and needs both classes', () => {
    expect(rocCurve([1, 0, 0], [0.5, 0.5, 0.1])).toEqual([
      { x: 0, y: 0 },
      { x: 0.5, y: 1 },
      { x: 1, y: 1 },
    ]);
    expect(rocCurve([1, 1], [0.2, 0.4])).toBeUndefined();
    expect(precisionRecallCurve([0, 0], [0.2, 0.4])).toBeUndefined();
    expect(() => rocCurve([1], [0.2, 0.3])).toThrow(/1 labels and 2 scores/);
  });

  it('thins a long curve to evenly spaced points, keeping both ends', () => {
    const points = Array.from({ length: 101 }, (_, index) => ({ x: index / 100, y: index / 100 }));
    const thinned = thinCurve(points, 5);
    expect(thinned.map((point) => point.x)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(thinCurve(points.slice(0, 3), 5)).toHaveLength(3);
    expect(() => thinCurve(points, 1)).toThrow(/>= 2/);
  });
});

describe('SVG charts', () => {
  it('maps curve points onto the plot area (x 60..524, y 284..52), clamping values outside the axis', () => {
    expect(pathData([{ x: 0, y: 0 }, { x: 0.5, y: 0.5 }, { x: 1, y: 1 }], unit, unit)).toBe('M60 284 L292 168 L524 52');
    expect(pathData([{ x: -1, y: 2 }], unit, unit)).toBe('M60 52');
  });

  it('draws one path per series with its name, and the reference dashed', () => {
    const svg = lineChart({
      id: 'roc',
      title: 'ROC',
      x: unit,
      y: unit,
      series: [{ name: 'v2 (champion)', colour: '#123456', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }],
      reference: { name: 'chance', colour: '#999', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
    });
    expect(svg).toMatch(/^<svg class="chart" data-chart="roc"/);
    expect(svg).toContain('<path class="series" data-series="v2 (champion)" d="M60 284 L524 52"');
    expect(svg).toContain('class="reference" data-series="chance"');
    expect(svg).toContain('stroke-dasharray');
  });

  it('draws a bar per value, whiskers for intervals and reference lines', () => {
    const svg = barChart({
      id: 'bars',
      title: 'Bars',
      categories: ['a', 'b'],
      y: unit,
      series: [{ name: 'v1', colour: '#111', values: [0.5, 1], intervals: [{ lower: 0.4, upper: 0.6 }, null] }],
      references: [{ label: 'threshold 0.25', value: 0.25 }],
    });
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(2);
    expect(svg.match(/class="whisker"/g)).toHaveLength(1);
    expect(svg).toContain('threshold 0.25');
    // The value 1 bar reaches the top of the plot area (y 52) from its baseline (284).
    expect(svg).toMatch(/y="52" width="[\d.]+" height="232"/);
  });

  it('escapes every character that could end text or an attribute', () => {
    expect(escapeHtml(`<b a="1" b='2'>&</b>`)).toBe('&lt;b a=&quot;1&quot; b=&#39;2&#39;&gt;&amp;&lt;/b&gt;');
    const svg = barChart({ id: 'x"><script>', title: '</title><script>', categories: ['<i>'], y: unit, series: [{ name: '"quoted"', colour: '#111', values: [0.1] }] });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<i>');
    expect(svg).toContain('data-series="&quot;quoted&quot;"');
  });
});
