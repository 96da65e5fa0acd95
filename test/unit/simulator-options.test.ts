import { describe, expect, it } from 'vitest';
import { SimulatorOptionsError } from '../../examples/fraud/simulator/errors.js';
import { simulateEvents } from '../../examples/fraud/simulator/event-generator.js';
import { compileSimulatorOptions, SIMULATOR_DEFAULTS, type SimulatorOptions } from '../../examples/fraud/simulator/simulator-options.js';

const START = Date.UTC(2025, 0, 15);

/** The error message compileSimulatorOptions throws for `input`, or a note that it did not throw. */
function problems(input: unknown): string {
  try {
    compileSimulatorOptions(input as SimulatorOptions);
    return 'no error';
  } catch (error) {
    expect(error).toBeInstanceOf(SimulatorOptionsError);
    return (error as Error).message;
  }
}

describe('compileSimulatorOptions', () => {
  it('fills in every default', () => {
    expect(compileSimulatorOptions({ startTime: START })).toEqual({
      seed: 1,
      startTime: START,
      count: undefined,
      rate: 50,
      cardCount: 10_000,
      merchantCount: 2_000,
      fraudRate: 0.01,
      driftAfter: undefined,
      labelShare: 0.3,
      chargebackDelay: { medianMs: 1_200_000, sigma: 0.9 },
      legitimateLabelDelay: { medianMs: 1_800_000, sigma: 0.6 },
      labelDelayScale: 1,
      outOfOrderMs: 2_000,
      outOfOrderShare: 0.1,
      lateShare: 0.002,
      lateByMs: { min: 5_000, max: 60_000 },
    });
    expect(compileSimulatorOptions({ startTime: START })).toEqual({ startTime: START, ...SIMULATOR_DEFAULTS });
  });

  it('keeps given values, nested ones included', () => {
    const compiled = compileSimulatorOptions({ startTime: START, seed: 0, count: 0, fraudRate: 0.2, labelShare: 1, chargebackDelay: { sigma: 0 }, lateByMs: { max: 5_000 } });
    expect(compiled).toMatchObject({ seed: 0, count: 0, fraudRate: 0.2, labelShare: 1, chargebackDelay: { medianMs: 1_200_000, sigma: 0 }, lateByMs: { min: 5_000, max: 5_000 } });
  });

  it('lists every bad option on its own line with its value and what is expected', () => {
    expect(
      problems({
        startTime: -1,
        seed: 2 ** 32,
        count: 2.5,
        rate: 0,
        cardCount: -3,
        merchantCount: 10,
        fraudRate: 0.5,
        driftAfter: -1,
        labelShare: 1.5,
        chargebackDelay: { medianMs: 0, sigma: 4 },
        legitimateLabelDelay: 'soon',
        labelDelayScale: Number.NaN,
        outOfOrderMs: 1.5,
        outOfOrderShare: -0.1,
        lateShare: 2,
        lateByMs: { min: 0 },
      }),
    ).toBe(
      [
        'invalid simulator options (17 problems):',
        '  startTime=-1: expected epoch milliseconds, a whole number ≥ 0',
        '  seed=4294967296: expected a whole number from 0 to 4294967295',
        '  count=2.5: expected a whole number ≥ 0',
        '  rate=0: expected a number > 0',
        '  cardCount=-3: expected a whole number ≥ 1',
        '  merchantCount=10: expected a whole number ≥ 140 (one merchant per city and category)',
        '  fraudRate=0.5: expected a number from 0 to 0.2',
        '  driftAfter=-1: expected a whole number ≥ 0',
        '  labelShare=1.5: expected a share from 0 to 1',
        '  chargebackDelay.medianMs=0: expected a number > 0',
        '  chargebackDelay.sigma=4: expected a number from 0 to 3',
        '  legitimateLabelDelay="soon": expected an object with medianMs, sigma',
        '  labelDelayScale=NaN: expected a number > 0',
        '  outOfOrderMs=1.5: expected a whole number ≥ 0',
        '  outOfOrderShare=-0.1: expected a share from 0 to 1',
        '  lateShare=2: expected a share from 0 to 1',
        '  lateByMs.min=0: expected a whole number ≥ 1',
      ].join('\n'),
    );
  });

  it('reports a missing start time and unknown keys', () => {
    expect(problems({ fraudrate: 0.1, lateByMs: { mn: 1 } })).toBe(
      [
        'invalid simulator options (3 problems):',
        '  fraudrate=0.1: expected one of the known options: seed, startTime, count, rate, cardCount, merchantCount, fraudRate, driftAfter, labelShare, chargebackDelay, legitimateLabelDelay, labelDelayScale, outOfOrderMs, outOfOrderShare, lateShare, lateByMs',
        '  startTime=(missing): expected epoch milliseconds, a whole number ≥ 0',
        '  lateByMs.mn=1: expected one of the known options: min, max',
      ].join('\n'),
    );
  });

  it('checks options against each other once each is valid on its own', () => {
    expect(problems({ startTime: START, outOfOrderShare: 0.7, lateShare: 0.4, lateByMs: { min: 10_000, max: 5_000 } })).toBe(
      [
        'invalid simulator options (2 problems):',
        '  lateShare=0.4: expected a share from 0 to 0.3 (1 − outOfOrderShare)',
        '  lateByMs.max=5000: expected a whole number ≥ lateByMs.min (10000)',
      ].join('\n'),
    );
    expect(problems({ startTime: START, outOfOrderShare: 2, lateShare: 0.4 })).toBe(
      ['invalid simulator options (1 problem):', '  outOfOrderShare=2: expected a share from 0 to 1'].join('\n'),
    );
  });

  it('makes simulateEvents fail at the call, before any event is asked for', () => {
    expect(() => simulateEvents({ startTime: START, fraudRate: 1 })).toThrow(SimulatorOptionsError);
  });

  it('says the error is not retriable and carries the issues', () => {
    try {
      compileSimulatorOptions({ startTime: START, rate: -1 });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ name: 'SimulatorOptionsError', retriable: false, issues: [{ key: 'rate', value: -1, expected: 'a number > 0' }] });
    }
  });
});
