/**
 * Durations as a pipeline definition and the CLI's options write them: a whole number and a unit,
 * `500ms`, `30s`, `10m`, `2h`, `7d`. The definition's JSON Schema (`definitions.duration` in
 * pipeline.schema.json) checks the same form before anything reads it; this turns it into
 * milliseconds. A regular expression, not a library: the form is this one pattern.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What a duration looks like, for the messages that refuse one. */
export const DURATION_EXPECTED = 'a duration such as 500ms, 30s, 10m, 2h or 7d';

/** `text` (e.g. `10m`) in milliseconds, or `undefined` when it is not a duration; each caller words its refusal. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  return match === null ? undefined : Number(match[1]) * UNIT_MS[match[2]!]!;
}
