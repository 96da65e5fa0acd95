/**
 * A value as a person would type it in an error message: `NaN`, `Infinity`, `null`, `"text"`,
 * `{"a":1}`, and `missing` (the caller's word) when absent. It never throws: it runs while a
 * record is being rejected, and a throw there would fail the whole chunk or training step, retried
 * for ever, instead of naming the one bad value.
 */
export function shownValue(value: unknown, missing: string): string {
  if (value === undefined) return missing;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // A BigInt inside, or a cycle.
    return String(value);
  }
}
