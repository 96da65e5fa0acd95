/** The topics table of docs/data-in.md names every topic of the catalogue, with its value schema file, and no other. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { topicCatalogue } from '../../src/streaming/topic-catalogue.js';

const DATA_IN = readFileSync(new URL('../../docs/data-in.md', import.meta.url), 'utf8');

describe("docs/data-in.md's topics table", () => {
  it('lists the catalogue: each topic once, with its schema file', () => {
    const table = DATA_IN.slice(DATA_IN.indexOf('| topic | holds | notes |'));
    const rows = table
      .split('\n')
      .slice(2)
      .filter((_, index, lines) => lines.slice(0, index + 1).every((line) => line.startsWith('|')))
      .map((line) => ({ topic: /^\| `([^`]+)` \|/.exec(line)?.[1], schema: /\(`schemas\/([^`]+)`\)/.exec(line)?.[1] }));
    const catalogue = topicCatalogue({ topics: { prefix: '' } }).map((topic) => ({ topic: topic.name, schema: topic.valueSchema.file }));
    expect(rows).toEqual(catalogue);
  });
});
