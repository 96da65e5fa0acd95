import { describe, expect, it } from 'vitest';
import { compileDemoOptions, DEMO_DEFAULTS, DemoOptionsError } from '../../examples/fraud/demo/demo-options.js';
import { createDemoReporter } from '../../examples/fraud/demo/demo-reporter.js';
import { DemoResources } from '../../examples/fraud/demo/demo-resources.js';

describe('demo options', () => {
  it('takes the defaults when no flag is given, and the flags when they are in range', () => {
    expect(compileDemoOptions({})).toEqual(DEMO_DEFAULTS);
    expect(compileDemoOptions({ duration: '90', rate: '1000', seed: '3', manual: true, keepRunning: true })).toEqual({
      durationSeconds: 90,
      rate: 1000,
      seed: 3,
      manual: true,
      keepRunning: true,
    });
  });

  it('names every bad flag with its value and what it accepts, all at once', () => {
    const refused = (): unknown => compileDemoOptions({ duration: '10', rate: 'fast', seed: '-1' });
    expect(refused).toThrow(DemoOptionsError);
    expect(refused).toThrow(
      ['--duration=10: expected a whole number from 60 to 86400', '--rate=fast: expected a whole number from 50 to 5000', '--seed=-1: expected a whole number from 0 to 2147483647'].join('\n'),
    );
    expect(() => compileDemoOptions({ duration: '' })).toThrow('--duration=: expected a whole number from 60 to 86400');
    expect(() => compileDemoOptions({ rate: '2.5' })).toThrow('--rate=2.5: expected a whole number from 50 to 5000');
  });
});

describe('demo reporter', () => {
  it('prints one stamped line per step and note, and redraws a progress bar in place on a terminal', () => {
    const written: string[] = [];
    const reporter = createDemoReporter((text) => written.push(text), true, Date.now());
    reporter.step('training');
    reporter.progress('examples', 50, 100, 'examples');
    reporter.progress('examples', 100, 100, 'examples');
    reporter.note('done');
    const output = written.join('');
    expect(output).toMatch(/^\[ +0\.\ds\] ▸ training\n/);
    expect(output).toContain('\r[');
    expect(output).toContain('[##############..............] 50/100 examples');
    expect(output).toContain('[############################] 100/100 examples\u001b[K\n');
    expect(output).toMatch(/\] {3}done\n$/);
  });

  it('prints progress as plain lines, at most one every few seconds, when not on a terminal', () => {
    const written: string[] = [];
    const reporter = createDemoReporter((text) => written.push(text), false);
    reporter.progress('scored', 1, 10, 'transactions');
    reporter.progress('scored', 2, 10, 'transactions');
    expect(written).toHaveLength(1);
    expect(written[0]).not.toContain('\r');
  });
});

describe('demo resources', () => {
  it('stops the newest first, keeps going past a failure and reports it', async () => {
    const stopped: string[] = [];
    const reports: string[] = [];
    const resources = new DemoResources();
    resources.add('topics', async () => stopped.push('topics'));
    resources.add('scorer', async () => {
      throw new Error('already gone');
    });
    resources.add('simulator', async () => stopped.push('simulator'));
    await resources.stopAll((line) => reports.push(line));
    await resources.stopAll((line) => reports.push(line));
    expect(stopped).toEqual(['simulator', 'topics']);
    expect(reports).toEqual(['stopping scorer failed: already gone']);
  });
});
