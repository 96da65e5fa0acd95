/** Numbered lines of `tributary produce`'s input: blank lines counted but skipped, chunks kept as they arrive. */
import { describe, expect, it } from 'vitest';
import { lineChunks, type NumberedLine } from '../../src/streaming/line-chunks.js';

async function* chunksOf(...chunks: string[]): AsyncGenerator<string> {
  yield* chunks;
}

async function collect(chunks: AsyncIterable<string>, maxLines = 100): Promise<(readonly NumberedLine[])[]> {
  const batches: (readonly NumberedLine[])[] = [];
  for await (const batch of lineChunks(chunks, maxLines)) batches.push(batch);
  return batches;
}

describe('lineChunks', () => {
  it('skips blank and whitespace-only lines but counts them, so later numbers match the file', async () => {
    expect(await collect(chunksOf('{"a":1}\n\n   \n{"a":2}\n'))).toEqual([
      [
        { number: 1, text: '{"a":1}' },
        { number: 4, text: '{"a":2}' },
      ],
    ]);
  });

  it('joins a line split across chunks and yields each chunk\'s complete lines together', async () => {
    expect(await collect(chunksOf('{"a":1}\n{"a"', ':2}\n{"a":3}\n'))).toEqual([[{ number: 1, text: '{"a":1}' }], [{ number: 2, text: '{"a":2}' }, { number: 3, text: '{"a":3}' }]]);
  });

  it('keeps a last line without a newline, drops \\r before \\n and a byte-order mark at the start', async () => {
    expect(await collect(chunksOf('\uFEFF{"a":1}\r\n{"a":2}'))).toEqual([[{ number: 1, text: '{"a":1}' }], [{ number: 2, text: '{"a":2}' }]]);
  });

  it('splits a chunk into batches of at most maxLines', async () => {
    const batches = await collect(chunksOf('1\n2\n3\n4\n5\n'), 2);
    expect(batches.map((batch) => batch.map((line) => line.number))).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('yields nothing for empty or blank input', async () => {
    expect(await collect(chunksOf())).toEqual([]);
    expect(await collect(chunksOf('\n \n', '\t'))).toEqual([]);
  });
});
