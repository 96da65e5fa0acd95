/**
 * Finds every known PII value (card numbers, emails) that occurs verbatim in `text`.
 * Linear in the text: card numbers are looked up in every window of every long digit
 * run, emails around every "@", so tens of thousands of values cost no more than a few.
 */
export function findPii(text: string, values: Iterable<string>): string[] {
  const known = new Set(values);
  const cardLengths = new Set<number>();
  const emailShapes = new Map<string, { at: number; length: number }>();
  for (const value of known) {
    const at = value.indexOf('@');
    if (at >= 0) emailShapes.set(`${at}:${value.length}`, { at, length: value.length });
    else cardLengths.add(value.length);
  }
  const found = new Set<string>();
  for (const run of text.match(/\d{12,}/g) ?? []) {
    for (const length of cardLengths) {
      for (let start = 0; start + length <= run.length; start++) {
        const window = run.slice(start, start + length);
        if (known.has(window)) found.add(window);
      }
    }
  }
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    for (const shape of emailShapes.values()) {
      const candidate = text.slice(at - shape.at, at - shape.at + shape.length);
      if (known.has(candidate)) found.add(candidate);
    }
  }
  return [...found];
}
