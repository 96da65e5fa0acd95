/**
 * The arithmetic of the encodings, on one value, shared by fitting (which standardises what these
 * produce) and by the compiled vectoriser. Computed in float64; the vector rounds to float32 once,
 * at the end.
 */
import { isSafeInteger } from './field-values.js';
import type { ClippedEntry, CyclicEntry, Standardisation } from './vectoriser-spec.js';

/**
 * sign(x)·ln(1 + |x|): spreads heavy-tailed amounts, durations and distances, is defined at 0,
 * and keeps negatives (refunds) defined instead of NaN.
 */
export function signedLog1p(x: number): number {
  return Math.sign(x) * Math.log1p(Math.abs(x));
}

/** What decides a numeric entry's value before standardisation: its encoding, and a clipped entry's bounds. */
export type Prescaling = { readonly encoding: 'raw' | 'standardised' | 'log1p' } | Pick<ClippedEntry, 'encoding' | 'min' | 'max'>;

/** A numeric entry's value before standardisation. */
export function unscaled(entry: Prescaling, x: number): number {
  switch (entry.encoding) {
    case 'log1p':
      return signedLog1p(x);
    case 'clipped':
      return Math.min(Math.max(x, entry.min), entry.max);
    case 'raw':
    case 'standardised':
      return x;
  }
}

export function standardise(x: number, scale: Standardisation | null): number {
  return scale === null ? x : (x - scale.mean) / scale.std;
}

/** How a cyclic entry reads its field and turns it into an angle. */
export interface CycleReading {
  readonly accepts: (value: unknown) => boolean;
  /** What `accepts` takes, for a problem's message. */
  readonly expected: string;
  /** The angle in radians of an accepted value: 2π·hour/24, or 2π·(weekday − 1)/7. */
  readonly angle: (value: number) => number;
}

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
/** 1970-01-01, epoch day 0, was a Thursday: ISO weekday 4. */
const EPOCH_ISO_WEEKDAY = 4;

/** a mod b in [0, b), exact for safe integers (`%` on doubles is exact). */
const positiveModulo = (a: number, b: number): number => ((a % b) + b) % b;
/** ⌊a / b⌋, exact for safe integers, where `Math.floor(a / b)` may round up near a multiple of b. */
const floorDivide = (a: number, b: number): number => (a - positiveModulo(a, b)) / b;

const hourAngle = (hour: number): number => (2 * Math.PI * hour) / 24;
const weekdayAngle = (isoWeekday: number): number => (2 * Math.PI * (isoWeekday - 1)) / 7;

function epochMillisAngle(period: CyclicEntry['period'], millis: number): number {
  if (period === 'hour-of-day') return hourAngle(positiveModulo(floorDivide(millis, MS_PER_HOUR), 24));
  return weekdayAngle(positiveModulo(floorDivide(millis, MS_PER_DAY) + EPOCH_ISO_WEEKDAY - 1, 7) + 1);
}

/** The reading of a cyclic entry's field, by its period and source. */
export function cycleReading({ period, source }: Pick<CyclicEntry, 'period' | 'source'>): CycleReading {
  switch (source) {
    case 'value':
      return period === 'hour-of-day'
        ? { accepts: (value) => isSafeInteger(value) && (value as number) >= 0 && (value as number) <= 23, expected: 'an hour, a whole number from 0 to 23', angle: hourAngle }
        : {
            accepts: (value) => isSafeInteger(value) && (value as number) >= 1 && (value as number) <= 7,
            expected: 'an ISO weekday, a whole number from 1 (Monday) to 7 (Sunday)',
            angle: weekdayAngle,
          };
    case 'epoch-millis':
      return { accepts: isSafeInteger, expected: 'a timestamp in milliseconds since the epoch', angle: (millis) => epochMillisAngle(period, millis) };
    case 'epoch-micros':
      return { accepts: isSafeInteger, expected: 'a timestamp in microseconds since the epoch', angle: (micros) => epochMillisAngle(period, floorDivide(micros, 1000)) };
  }
}
