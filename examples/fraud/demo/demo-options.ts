/**
 * The demo's knobs, checked before anything starts: one line per bad flag, naming it, the value
 * and what it accepts.
 */
import { TributaryError } from '../../../src/errors/tributary-error.js';

export interface DemoOptions {
  /** Seconds the simulator streams; the story's steps happen inside this time. */
  readonly durationSeconds: number;
  /** Events per second the simulator writes (and transactions per second of simulated time). */
  readonly rate: number;
  /** Wait for a person to type `tributary promote` instead of promoting automatically. */
  readonly manual: boolean;
  /** Leave the demo's workers, scorer, Flink job and topics running at the end. */
  readonly keepRunning: boolean;
  /** Seeds the simulator, so a run can be repeated. */
  readonly seed: number;
}

export const DEMO_DEFAULTS: DemoOptions = { durationSeconds: 240, rate: 400, manual: false, keepRunning: false, seed: 7 };

/** Bounds of the numeric options: below them the story cannot happen, above them this machine cannot keep up. */
export const DEMO_LIMITS = {
  durationSeconds: { min: 60, max: 86_400 },
  rate: { min: 50, max: 5_000 },
} as const;

export class DemoOptionsError extends TributaryError {
  override readonly name = 'DemoOptionsError';

  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

export interface DemoFlags {
  readonly duration?: string;
  readonly rate?: string;
  readonly manual?: boolean;
  readonly keepRunning?: boolean;
  readonly seed?: string;
}

function wholeNumber(flag: string, given: string | undefined, fallback: number, min: number, max: number, problems: string[]): number {
  if (given === undefined) return fallback;
  const value = Number(given);
  if (given.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${flag}=${given}: expected a whole number from ${min} to ${max}`);
    return fallback;
  }
  return value;
}

/** The options of the demo (`npm run demo`); throws {@link DemoOptionsError} with every problem at once. */
export function compileDemoOptions(flags: DemoFlags): DemoOptions {
  const problems: string[] = [];
  const options: DemoOptions = {
    durationSeconds: wholeNumber('--duration', flags.duration, DEMO_DEFAULTS.durationSeconds, DEMO_LIMITS.durationSeconds.min, DEMO_LIMITS.durationSeconds.max, problems),
    rate: wholeNumber('--rate', flags.rate, DEMO_DEFAULTS.rate, DEMO_LIMITS.rate.min, DEMO_LIMITS.rate.max, problems),
    manual: flags.manual ?? DEMO_DEFAULTS.manual,
    keepRunning: flags.keepRunning ?? DEMO_DEFAULTS.keepRunning,
    seed: wholeNumber('--seed', flags.seed, DEMO_DEFAULTS.seed, 0, 2 ** 31 - 1, problems),
  };
  if (problems.length > 0) throw new DemoOptionsError(problems);
  return options;
}
