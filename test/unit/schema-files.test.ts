import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NoTopicForRecordError, SchemaFileError } from '../../src/streaming/errors.js';
import { loadSchemaFile, logicalTopicOfRecord } from '../../src/streaming/schema-files.js';
import { FRAUD_SCHEMA_DIRECTORY } from '../helpers/fraud-topics.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-schemas-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function schemaFile(name: string, content: string): string {
  const file = join(folder, name);
  writeFileSync(file, content);
  return file;
}

describe('schema files', () => {
  it('loads a schema as compact JSON with its record name', () => {
    const label = loadSchemaFile(join(FRAUD_SCHEMA_DIRECTORY, 'label.avsc'));
    expect(label.recordName).toBe('dev.tributary.events.Label');
    expect(label.text).not.toMatch(/\n/);
    expect(JSON.parse(label.text)).toMatchObject({ type: 'record', name: 'Label' });
  });

  it('names the file and the JSON parser\'s reason for a file that is not JSON', () => {
    const file = schemaFile('broken.avsc', '{"type": "record",');
    const attempt = (): unknown => loadSchemaFile(file);
    expect(attempt).toThrow(SchemaFileError);
    expect(attempt).toThrow(`schema file ${file} is not valid JSON: Expected double-quoted property name in JSON at position 18`);
  });

  it('names the file and avsc\'s reason for JSON that is not an Avro schema', () => {
    const file = schemaFile('typo.avsc', JSON.stringify({ type: 'record', name: 'Typo', fields: [{ name: 'amount', type: 'dubble' }] }));
    expect(() => loadSchemaFile(file)).toThrow(`schema file ${file} is not a valid Avro schema: undefined type name: dubble`);
  });

  it('names a file that cannot be read', () => {
    const file = join(folder, 'missing.avsc');
    expect(() => loadSchemaFile(file)).toThrow(`schema file ${file} cannot be read: ENOENT: no such file or directory, open '${file}'`);
  });

  it('refuses a schema without a name, which no topic could carry', () => {
    const file = schemaFile('anonymous.avsc', '"string"');
    expect(() => loadSchemaFile(file)).toThrow(`schema file ${file} is not usable as a topic value schema: its top-level type has no name; declare a record`);
  });

  it('finds the catalogue topic of a record by its name, and lists the known records otherwise', () => {
    const evolved = schemaFile('dead-letter-v2.avsc', JSON.stringify({ type: 'record', name: 'DeadLetter', namespace: 'dev.tributary.events', fields: [] }));
    expect(logicalTopicOfRecord(loadSchemaFile(evolved))).toBe('dlq');

    const stranger = loadSchemaFile(schemaFile('payment.avsc', JSON.stringify({ type: 'record', name: 'Payment', fields: [] })));
    expect(() => logicalTopicOfRecord(stranger)).toThrow(NoTopicForRecordError);
    expect(() => logicalTopicOfRecord(stranger)).toThrow(
      `no catalogue topic carries record Payment (from ${stranger.file}); name the topic with --topic, or use one of: ` +
        'dev.tributary.scores.Score (scores), dev.tributary.registry.ModelArtifact (models), ' +
        'dev.tributary.registry.RegistryEvent (model-registry-events), dev.tributary.deployments.ModelDeployment (deployments), dev.tributary.events.DeadLetter (dlq)',
    );
  });
});
