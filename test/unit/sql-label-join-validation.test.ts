/**
 * What `pipeline validate` checks for the generic label join: a training example is the features
 * record plus the label field and `label_time`, so neither name may already be a features field.
 * The delivery example's definition is validated with one schema changed at a time.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDefinition } from '../../src/pipelines/definition-source.js';
import { validatePipeline } from '../../src/pipelines/validate-pipeline.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/delivery/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'tributary-label-join-validation-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The example copied to a folder of its own, with the features schema given one more field. */
function problemsWithFeatureField(name: string, type: unknown): string[] {
  const dir = mkdtempSync(join(scratch, 'case-'));
  cpSync(EXAMPLE, dir, { recursive: true });
  const schemaFile = join(dir, 'schemas', 'delivery-features.avsc');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as { fields: unknown[] };
  writeFileSync(schemaFile, JSON.stringify({ ...schema, fields: [...schema.fields, { name, type }] }));
  const source = parseDefinition(readFileSync(join(dir, 'pipeline.yaml'), 'utf8'), 'pipeline.yaml', dir);
  const validation = validatePipeline(source.value, { baseDir: dir, source });
  return validation.problems.map((problem) => `${problem.line}: ${problem.message}`);
}

describe('pipeline validate and the label join', () => {
  it('accepts the delivery example as it is', () => {
    const source = parseDefinition(readFileSync(join(EXAMPLE, 'pipeline.yaml'), 'utf8'), 'pipeline.yaml', EXAMPLE);
    expect(validatePipeline(source.value, { baseDir: EXAMPLE, source }).problems).toEqual([]);
  });

  it('refuses a label field that is also a features field, at labels.field', () => {
    expect(problemsWithFeatureField('delivery_minutes', 'double')).toEqual([
      '44: labels.field "delivery_minutes" is also a field of the features schema; a training example is the features record plus the label, so rename one of them',
    ]);
  });

  it('refuses a features field named label_time, at features.schema', () => {
    expect(problemsWithFeatureField('label_time', 'long')).toEqual([
      '28: features.schema has a field "label_time", the field a training example adds for when its label became known; rename it',
    ]);
  });
});
