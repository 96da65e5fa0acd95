/**
 * `tributary pipeline validate`, run in-process through runCli (the binary's own path): what it
 * prints and its exit code for a valid definition, one with problems, and a file that is missing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runTributaryInProcess } from '../helpers/in-process-cli.js';

const FRAUD = fileURLToPath(new URL('../../examples/fraud/pipeline.yaml', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/pipelines/', import.meta.url));

const tributary = runTributaryInProcess;

describe('tributary pipeline validate', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-pipeline-cli-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('says the fraud example is valid, with what it holds, exit 0', async () => {
    expect(await tributary('pipeline', 'validate', FRAUD)).toEqual({
      exitCode: 0,
      stdout: `${FRAUD}: valid (1 source, 20 inputs, task binary-classification)\n`,
      stderr: '',
    });
  });

  it('prints every problem on its own line with its line in the file, exit 2', async () => {
    const file = join(scratch, 'delivery.json');
    // JSON, one field per line, so each problem's line is easy to count.
    const definition = {
      name: 'delivery',
      owner: 'logistics-ml',
      sources: [{ topic: 'orders', schema: join(FIXTURES, 'orders.avsc'), entityKey: 'courier_id', eventTime: 'event_time' }],
      features: {
        topic: 'order-features',
        schema: join(FIXTURES, 'order-features.avsc'),
        entityKey: 'courier_id',
        eventId: 'order_id',
        eventTime: 'event_time',
        job: { kind: 'sql', file: join(FIXTURES, 'order-features.sql') },
      },
      labels: { topic: 'deliveries', schema: join(FIXTURES, 'deliveries.avsc'), joinKey: 'order_id', field: 'delivery_minutes', eventTime: 'label_time' },
      model: { task: 'regression', inputs: [{ field: 'distance_km', encoding: 'one-hot' }, { field: 'itemz', encoding: 'standardised' }] },
      gates: { minRocAuc: 0.8 },
    };
    const text = JSON.stringify(definition, null, 2);
    writeFileSync(file, text);
    const lineOf = (needle: string): number => text.split('\n').findIndex((line) => line.includes(needle)) + 1;
    expect(await tributary('pipeline', 'validate', file)).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: [
        `error: ${file}:${lineOf('"encoding": "one-hot"')}: model.inputs[0].encoding "one-hot" needs a category (string, enum, int or long); "distance_km" is double (encodings that fit: raw, standardised, log1p, clipped)`,
        `error: ${file}:${lineOf('"itemz"')}: model.inputs[1].field "itemz" is not a field of the features schema (did you mean "items"?)`,
        `error: ${file}:${lineOf('"minRocAuc"')}: gates.minRocAuc is a binary-classification gate; model.task is regression (its gates: maxMae, maxRmse, minR2)`,
        '',
      ].join('\n'),
    });
  });

  it('names a file that cannot be read in one line, exit 2', async () => {
    const file = join(scratch, 'no-such.yaml');
    expect(await tributary('pipeline', 'validate', file)).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `error: ${file}: cannot be read: ENOENT: no such file or directory, open '${file}'\n`,
    });
  });
});

describe('tributary pipeline plan | apply with a definition that cannot be used', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-pipeline-cli-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // Kafka at an address nothing listens on: a command that connected would fail with another message.
  const unreachable = { TRIBUTARY_KAFKA_BROKERS: '127.0.0.1:1', TRIBUTARY_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' };

  it.each(['plan', 'apply'])('%s prints the problems of the file, one a line, exit 2, before connecting to anything', async (action) => {
    const file = join(scratch, 'broken.yaml');
    writeFileSync(file, 'name: Broken Name\nowner: x\n');
    vi.stubEnv('TRIBUTARY_KAFKA_BROKERS', unreachable.TRIBUTARY_KAFKA_BROKERS);
    vi.stubEnv('TRIBUTARY_SCHEMA_REGISTRY_URL', unreachable.TRIBUTARY_SCHEMA_REGISTRY_URL);
    try {
      const outcome = await tributary('pipeline', action, file);
      expect(outcome).toEqual({
        exitCode: 2,
        stdout: '',
        stderr: [
          ...['sources', 'features', 'labels', 'model'].map((field) => `error: ${file}:1: ${field} is required`),
          `error: ${file}:1: name must be a name of 1 to 100 lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, got "Broken Name"`,
          '',
        ].join('\n'),
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('apply names a file that cannot be read in one line, exit 2', async () => {
    const file = join(scratch, 'no-such.yaml');
    expect(await tributary('pipeline', 'apply', file)).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `error: ${file}: cannot be read: ENOENT: no such file or directory, open '${file}'\n`,
    });
  });
});
