import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DURATION_EXPECTED, parseDuration } from '../../src/pipelines/duration.js';

describe('parseDuration', () => {
  it.each([
    ['0s', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['3h', 10_800_000],
    ['7d', 604_800_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 'ms', '1.5s', '-1s', '10 m', ' 10m', '10M', '7days', '1w'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it("accepts what the definition's JSON Schema accepts, and says what it expects in the same words", () => {
    const schema = JSON.parse(readFileSync(new URL('../../src/pipelines/pipeline.schema.json', import.meta.url), 'utf8')) as {
      definitions: { duration: { pattern: string; 'x-expected': string } };
    };
    const pattern = new RegExp(schema.definitions.duration.pattern);
    for (const text of ['500ms', '30s', '10m', '2h', '7d', '10', '1.5s', '10 m', '1w']) {
      expect(parseDuration(text) !== undefined, text).toBe(pattern.test(text));
    }
    expect(schema.definitions.duration['x-expected']).toBe(DURATION_EXPECTED);
  });
});
