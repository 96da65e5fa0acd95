/**
 * Numbered lines of text input, in the chunks they arrive in: what `tributary produce` checks and
 * sends together. A chunk of a piped stream is what the writer has written so far, so records
 * typed or tailed into stdin go out as they come instead of waiting for a batch to fill.
 */

/** A non-blank line and its 1-based number in the input (blank lines are counted, not returned). */
export interface NumberedLine {
  readonly number: number;
  readonly text: string;
}

/**
 * Splits text chunks into lines at `\n` (a `\r` before it is dropped, as is a byte-order mark at
 * the start) and yields the complete non-blank lines of each chunk, at most `maxLines` at a time.
 * A last line without a newline comes at the end.
 */
export async function* lineChunks(chunks: AsyncIterable<string>, maxLines: number): AsyncGenerator<readonly NumberedLine[]> {
  let pending = '';
  let number = 0;
  let first = true;
  for await (const chunk of chunks) {
    const text = first ? chunk.replace(/^\uFEFF/, '') : chunk;
    first = false;
    const parts = (pending + text).split('\n');
    pending = parts.pop() ?? '';
    let batch: NumberedLine[] = [];
    for (const part of parts) {
      number += 1;
      const line = part.endsWith('\r') ? part.slice(0, -1) : part;
      if (line.trim() === '') continue;
      batch.push({ number, text: line });
      if (batch.length === maxLines) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
  if (pending.trim() !== '') yield [{ number: number + 1, text: pending.replace(/\r$/, '') }];
}
