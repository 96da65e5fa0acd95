import { describe, expect, it } from 'vitest';
import { scorerDeadLetter } from '../../src/serving/dead-letters.js';
import { loadSchemaFile } from '../../src/streaming/schema-files.js';
import { schemaFilePath, topicDeclaration } from '../../src/streaming/topic-catalogue.js';

const deadLetterType = loadSchemaFile(schemaFilePath(topicDeclaration('dlq').valueSchema)).type;

describe('scorer dead letters', () => {
  const input = {
    source: { topic: 'tributary.features', partition: 2, offset: '41' },
    key: Buffer.from('card-7'),
    value: Buffer.from([0x00, 0x00, 0x00, 0x00, 0x05, 0xff]),
    errorType: 'UNDECODABLE',
    reason: 'bytes do not match writer schema id 5 (Feature): truncated buffer',
    failedAt: 1_700_000_000_123,
  };

  it('keeps the original bytes, the reason and the source position, keyed by that position', () => {
    expect(scorerDeadLetter(input)).toEqual({
      key: 'tributary.features:2:41',
      value: {
        source_topic: 'tributary.features',
        source_partition: 2,
        source_offset: 41,
        original_key: Buffer.from('card-7'),
        original_value: Buffer.from([0x00, 0x00, 0x00, 0x00, 0x05, 0xff]),
        error_type: 'UNDECODABLE',
        reason: 'bytes do not match writer schema id 5 (Feature): truncated buffer',
        component: 'scorer',
        failed_at: 1_700_000_000_123,
      },
    });
  });

  it('is a valid dead-letter.avsc record, also for a tombstone without key or value, and round-trips', () => {
    const tombstone = scorerDeadLetter({ ...input, key: null, value: null, errorType: 'NULL_VALUE', reason: 'the record has no value (a tombstone)' });
    for (const letter of [scorerDeadLetter(input), tombstone]) {
      expect(deadLetterType.isValid(letter.value)).toBe(true);
      expect(deadLetterType.fromBuffer(deadLetterType.toBuffer(letter.value))).toEqual(letter.value);
    }
  });
});
