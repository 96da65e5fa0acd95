/**
 * Pipeline definition validation: each kind of mistake gives exactly its expected line, with the
 * line number counted by hand in the definition below. The Avro schemas and the SQL file it names
 * are in test/unit/fixtures/pipelines/.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDefinition } from '../../src/pipelines/definition-source.js';
import { formatProblem, PipelineDefinitionError } from '../../src/pipelines/errors.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { loadPipelineDefinition, validatePipeline } from '../../src/pipelines/validate-pipeline.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/pipelines/', import.meta.url));
const FILE = 'delivery.yaml';

/** A valid regression pipeline; line numbers in the expectations below count from its first line. */
const DELIVERY = `name: delivery
owner: logistics-ml
sources:
  - topic: orders
    schema: orders.avsc
    entityKey: courier_id
    eventTime: event_time
    pii: [customer_email]
features:
  topic: order-features
  schema: order-features.avsc
  entityKey: courier_id
  eventId: order_id
  eventTime: event_time
  job: { kind: sql, file: order-features.sql }
labels:
  topic: deliveries
  schema: deliveries.avsc
  joinKey: order_id
  field: delivery_minutes
  eventTime: label_time
model:
  task: regression
  inputs:
    - { field: distance_km, encoding: log1p }
    - { field: items, encoding: standardised }
    - { field: city, encoding: one-hot }
    - { field: courier_id, encoding: hashed, buckets: 64 }
    - { field: hour, encoding: cyclic, period: hour-of-day }
    - { field: is_rush_hour, encoding: flag }
    - { field: prev_delay_min, encoding: clipped, min: 0, max: 120, fillNull: 0 }
gates:
  maxMae: 10
  minImprovement: 0.1
`;

/** The definition with `from` replaced by `to` (which must occur exactly once). */
function edited(from: string, to: string, text = DELIVERY): string {
  expect(text.split(from), `"${from}" occurs once`).toHaveLength(2);
  return text.replace(from, to);
}

/** The problem lines of a definition text, as `tributary pipeline validate` prints them. */
function problemsOf(text: string): string[] {
  try {
    const source = parseDefinition(text, FILE, FIXTURES);
    return validatePipeline(source.value, { baseDir: FIXTURES, source }).problems.map(formatProblem);
  } catch (error) {
    if (error instanceof PipelineDefinitionError) return error.problems.map(formatProblem);
    throw error;
  }
}

describe('a valid definition', () => {
  it('has no problem', () => {
    expect(problemsOf(DELIVERY)).toEqual([]);
  });

  it('is returned typed, as written', () => {
    const source = parseDefinition(DELIVERY, FILE, FIXTURES);
    const validation = validatePipeline(source.value, { baseDir: FIXTURES, source });
    expect(validation.valid).toBe(true);
    if (!validation.valid) return;
    expect(validation.definition.model.inputs[3]).toEqual({ field: 'courier_id', encoding: 'hashed', buckets: 64 });
    expect(validation.definition.labels.field).toBe('delivery_minutes');
  });

  it('may serve in low-latency mode', () => {
    expect(problemsOf(`${DELIVERY}serving: { delivery: low-latency, batchSize: 200 }\n`)).toEqual([]);
  });

  it('may be JSON', () => {
    const json = JSON.stringify(parseDefinition(DELIVERY, FILE, FIXTURES).value, null, 2);
    expect(problemsOf(json)).toEqual([]);
  });

  it('is the shipped fraud example', () => {
    const definition = loadPipelineDefinition(fileURLToPath(new URL('../../examples/fraud/pipeline.yaml', import.meta.url)));
    expect(definition.name).toBe('fraud');
    expect(definition.model.task).toBe('binary-classification');
    expect(definition.model.inputs).toHaveLength(20);
  });
});

describe('structural mistakes, one line each', () => {
  it.each([
    ['a misspelt field name', edited('owner: logistics-ml', 'ownr: logistics-ml'), [
      `${FILE}:1: owner is required`,
      `${FILE}:2: ownr is not a known field (did you mean "owner"?)`,
    ]],
    ['an unknown option of an encoding', edited('{ field: distance_km, encoding: log1p }', '{ field: distance_km, encoding: log1p, standardize: false }'), [
      `${FILE}:25: model.inputs[0].standardize is not a known field (did you mean "standardise"?)`,
    ]],
    ['a misspelt encoding key', edited('{ field: items, encoding: standardised }', '{ field: items, encodng: standardised }'), [
      `${FILE}:26: model.inputs[1].encoding is required (is "encodng" a misspelling of it?)`,
    ]],
    ['a value of the wrong type', edited('  eventTime: event_time\n  job:', '  eventTime: event_time\n  parallelism: two\n  job:'), [
      `${FILE}:15: features.parallelism must be a whole number, got "two"`,
    ]],
    ['a misspelt task', edited('task: regression', 'task: regresion'), [
      `${FILE}:23: model.task must be one of binary-classification, regression, got "regresion" (did you mean "regression"?)`,
    ]],
    ['an unknown encoding', edited('encoding: one-hot', 'encoding: onehot'), [
      `${FILE}:27: model.inputs[2].encoding must be one of raw, standardised, log1p, clipped, flag, one-hot, hashed, cyclic, missing-indicator, got "onehot" (did you mean "one-hot"?)`,
    ]],
    ['a duration without a unit', edited('  eventTime: label_time\n', '  eventTime: label_time\n  horizon: 7 days\n'), [
      `${FILE}:22: labels.horizon must be a duration such as 500ms, 30s, 10m, 2h or 7d, got "7 days"`,
    ]],
    ['a name with capitals', edited('name: delivery', 'name: Delivery'), [
      `${FILE}:1: name must be a name of 1 to 100 lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, got "Delivery"`,
    ]],
    ['a missing field', edited('  eventId: order_id\n', ''), [`${FILE}:10: features.eventId is required`]],
    ['an encoding without its required option', edited(', buckets: 64', ''), [`${FILE}:28: model.inputs[3].buckets is required`]],
    ['a number out of range', edited('buckets: 64', 'buckets: 1'), [`${FILE}:28: model.inputs[3].buckets must be >= 2, got 1`]],
    ['a SHADOW step with traffic', `${DELIVERY}rollout:\n  plan:\n    steps:\n      - { mode: SHADOW, percent: 5, minSamples: 100, minDuration: 1h }\n`, [
      `${FILE}:38: rollout.plan.steps[0].percent must be 0 (a SHADOW step decides nothing with the challenger), got 5`,
    ]],
    ['a misspelt delivery mode', `${DELIVERY}serving: { delivery: low-latncy }\n`, [
      `${FILE}:35: serving.delivery must be one of exactly-once, at-least-once, low-latency, got "low-latncy" (did you mean "low-latency"?)`,
    ]],
    ['an unknown rollout preset', `${DELIVERY}rollout: { plan: fast }\n`, [`${FILE}:35: rollout.plan must be one of standard, quick, got "fast"`]],
    ['two decision policies', edited('  task: regression\n', '  task: binary-classification\n  decision: { targetRecall: 0.8, maxFalsePositiveRate: 0.01 }\n',
      edited('field: delivery_minutes', 'field: late', edited('  maxMae: 10\n', ''))), [
      `${FILE}:24: model.decision must set exactly one of targetRecall, maxFalsePositiveRate`,
    ]],
    ['a python trainer without its task queue', edited('  task: regression\n', '  task: regression\n  trainer: { kind: python, timeout: 10m }\n'), [
      `${FILE}:24: model.trainer.taskQueue is required`,
    ]],
    ['a python trainer with a timeout of no unit', edited('  task: regression\n', '  task: regression\n  trainer: { kind: python, taskQueue: delivery-python, timeout: 10min }\n'), [
      `${FILE}:24: model.trainer.timeout must be a duration such as 500ms, 30s, 10m, 2h or 7d, got "10min"`,
    ]],
    ['a misspelt trainer kind', edited('  task: regression\n', '  task: regression\n  trainer: { kind: pyhton, taskQueue: delivery-python, timeout: 10m }\n'), [
      `${FILE}:24: model.trainer.kind must be one of built-in, python, got "pyhton" (did you mean "python"?)`,
    ]],
    ['a task queue on the built-in trainer', edited('  task: regression\n', '  task: regression\n  trainer: { kind: built-in, taskQueue: delivery-python }\n'), [
      `${FILE}:24: model.trainer.taskQueue is not a known field`,
    ]],
    ['a task queue with a space', edited('  task: regression\n', '  task: regression\n  trainer: { kind: python, taskQueue: delivery python, timeout: 10m }\n'), [
      `${FILE}:24: model.trainer.taskQueue must be a Temporal task queue name of letters, digits, '.', '_' and '-', got "delivery python"`,
    ]],
    ['a misspelt runtime to serve the trained network with', edited('  task: regression\n', '  task: regression\n  serveAs: onxx\n'), [
      `${FILE}:24: model.serveAs must be one of onnx, tfjs, got "onxx" (did you mean "onnx"?)`,
    ]],
    ['a tab as indentation (not YAML)', edited('    schema: orders.avsc', '\tschema: orders.avsc'), [`${FILE}:5: not valid YAML or JSON: Tabs are not allowed as indentation`]],
    ['a flow mapping left open (not YAML)', edited('order-features.sql }', 'order-features.sql'), [
      `${FILE}:16: not valid YAML or JSON: Flow map in block collection must be sufficiently indented and end with a }`,
    ]],
    ['a key given twice', edited('owner: logistics-ml\n', 'owner: logistics-ml\nowner: data\n'), [`${FILE}:3: not valid YAML or JSON: Map keys must be unique`]],
    ['an empty file', '', [`${FILE}: the definition must be a mapping of fields, got null`]],
  ])('%s', (_, text, expected) => {
    expect(problemsOf(text)).toEqual(expected);
  });
});

describe('reference mistakes, one line each', () => {
  it.each([
    ['a model input that is not a features field', edited('field: distance_km, encoding: log1p', 'field: distnce_km, encoding: log1p'), [
      `${FILE}:25: model.inputs[0].field "distnce_km" is not a field of the features schema (did you mean "distance_km"?)`,
    ]],
    ['one-hot on a double', edited('{ field: distance_km, encoding: log1p }', '{ field: distance_km, encoding: one-hot }'), [
      `${FILE}:25: model.inputs[0].encoding "one-hot" needs a category (string, enum, int or long); "distance_km" is double (encodings that fit: raw, standardised, log1p, clipped)`,
    ]],
    ['a flag on an enum', edited('{ field: city, encoding: one-hot }', '{ field: city, encoding: flag }'), [
      `${FILE}:27: model.inputs[2].encoding "flag" needs a boolean; "city" is enum (encodings that fit: one-hot, hashed)`,
    ]],
    ['a cycle on a double', edited('{ field: hour, encoding: cyclic, period: hour-of-day }', '{ field: distance_km, encoding: cyclic, period: hour-of-day }'), [
      `${FILE}:29: model.inputs[4].encoding "cyclic" needs an int or long (an hour, a day of the week, or a timestamp); "distance_km" is double (encodings that fit: raw, standardised, log1p, clipped)`,
    ]],
    ['a missing indicator of a field that is never null', edited('{ field: items, encoding: standardised }', '{ field: items, encoding: missing-indicator }'), [
      `${FILE}:26: model.inputs[1].encoding "missing-indicator" needs a nullable field (an Avro union with null); "items" is int (encodings that fit: raw, standardised, log1p, clipped, one-hot, hashed, cyclic)`,
    ]],
    ['missingIndicator on a field that is never null', edited('{ field: items, encoding: standardised }', '{ field: items, encoding: standardised, missingIndicator: true }'), [
      `${FILE}:26: model.inputs[1].missingIndicator needs a nullable field (an Avro union with null); "items" is int`,
    ]],
    ['a nullable field without fillNull', edited(', fillNull: 0 }', ' }'), [
      `${FILE}:31: model.inputs[6].field "prev_delay_min" is nullable (["null", "double"]); set model.inputs[6].fillNull, the value used for a null`,
    ]],
    ['fillNull on a field that is never null', edited('{ field: items, encoding: standardised }', '{ field: items, encoding: standardised, fillNull: 0 }'), [
      `${FILE}:26: model.inputs[1].fillNull is set, but "items" is never null (int); remove it`,
    ]],
    ['a union of several types', edited('{ field: city, encoding: one-hot }', '{ field: promo_code, encoding: one-hot }'), [
      `${FILE}:27: model.inputs[2].field "promo_code" is a union of several types; a model input needs one type (and optionally null)`,
    ]],
    ['clipping bounds the wrong way round', edited('min: 0, max: 120', 'min: 120, max: 0'), [`${FILE}:31: model.inputs[6].max must be above min (120), got 0`]],
    ['the same input twice', edited('    - { field: is_rush_hour, encoding: flag }\n', '    - { field: is_rush_hour, encoding: flag }\n    - { field: items, encoding: standardised }\n'), [
      `${FILE}:31: model.inputs[6] repeats model.inputs[1] ("items" as standardised)`,
    ]],
    ['a label join key that is not in the features', edited('joinKey: order_id', 'joinKey: late'), [`${FILE}:19: labels.joinKey "late" is not a field of the features schema`]],
    ['a label join key that is not in the labels', edited('joinKey: order_id', 'joinKey: courier_id'), [`${FILE}:19: labels.joinKey "courier_id" is not a field of the labels schema (did you mean "order_id"?)`]],
    ['a boolean label for a regression model', edited('field: delivery_minutes', 'field: late'), [
      `${FILE}:20: labels.field "late" is boolean; the label of a regression model must be a number (int, long, float or double) that is never null`,
    ]],
    ['a regression gate on a classifier', edited('task: regression', 'task: binary-classification', edited('field: delivery_minutes', 'field: late')), [
      `${FILE}:33: gates.maxMae is a regression gate; model.task is binary-classification (its gates: minRocAuc, minPrAuc, minRecall, maxFalsePositiveRate)`,
    ]],
    ['a classifier metric as the primary metric of a regression model', edited('  maxMae: 10\n', '  maxMae: 10\n  primaryMetric: prAuc\n'), [
      `${FILE}:34: gates.primaryMetric "prAuc" is not a regression metric; use one of mae, rmse, r2`,
    ]],
    ['a decision policy on a regression model', edited('  task: regression\n', '  task: regression\n  decision: { targetRecall: 0.9 }\n'), [
      `${FILE}:24: model.decision sets a classification threshold; a regression model has none, remove it`,
    ]],
    ['class weights on a regression model', edited('  task: regression\n', '  task: regression\n  training: { classWeight: balanced }\n'), [
      `${FILE}:24: model.training.classWeight applies to binary-classification only; remove it for a regression model`,
    ]],
    ['a classifier rollout metric on a regression model', `${DELIVERY}rollout:\n  plan:\n    promotion: { metric: recall }\n`, [
      `${FILE}:37: rollout.plan.promotion.metric "recall" is not a live metric of a regression model; use one of mae, rmse`,
    ]],
    ['positive labels counted for a regression model', `${DELIVERY}trigger: { threshold: 500, minPositives: 10 }\n`, [
      `${FILE}:35: trigger.minPositives counts positive labels; a regression model has none, remove it`,
    ]],
    ['a split that does not add up to 1', edited('  task: regression\n', '  task: regression\n  split: { train: 0.7, validation: 0.2, test: 0.15 }\n'), [
      `${FILE}:24: model.split adds up to 1.05; train + validation + test must be 1`,
    ]],
    ['an entity key that is not a key type', edited('    entityKey: courier_id\n    eventTime: event_time\n    pii', '    entityKey: distance_km\n    eventTime: event_time\n    pii'), [
      `${FILE}:6: sources[0].entityKey "distance_km" is double; a key must be a string, int or long that is never null`,
    ]],
    ['an event time that is text', edited('    eventTime: event_time\n    pii', '    eventTime: created_at\n    pii'), [
      `${FILE}:7: sources[0].eventTime "created_at" is string; an event time must be a long (epoch milliseconds, or a timestamp logical type) that is never null`,
    ]],
    ['a misspelt event time in the features', edited('  eventTime: event_time\n  job', '  eventTime: event_tim\n  job'), [
      `${FILE}:14: features.eventTime "event_tim" is not a field of the features schema (did you mean "event_time"?)`,
    ]],
    ['a PII field that reaches the features unhashed', edited('pii: [customer_email]', 'pii: [customer_email, courier_id]'), [
      `${FILE}:8: sources[0].pii[1] "courier_id" is personal data, but the features schema has a field of that name; features may carry only its keyed hash, under another name`,
    ]],
    ['a topic with two roles', edited('topic: deliveries', 'topic: orders'), [`${FILE}:17: labels.topic "orders" is also sources[0].topic; each topic has one role in a pipeline`]],
    ['a schema file that does not exist', edited('schema: deliveries.avsc', 'schema: delivery.avsc'), [
      `${FILE}:18: labels.schema "delivery.avsc" does not exist (looked for ${join(FIXTURES, 'delivery.avsc')})`,
    ]],
    ['a schema file that is not an Avro record', edited('schema: deliveries.avsc', 'schema: not-a-record.avsc'), [
      `${FILE}:18: labels.schema "not-a-record.avsc" declares an enum; a topic's value schema must be a record`,
    ]],
    ['a SQL file that does not exist', edited('file: order-features.sql', 'file: features.sql'), [
      `${FILE}:15: features.job.file "features.sql" does not exist (looked for ${join(FIXTURES, 'features.sql')})`,
    ]],
    ['a jar that does not exist and is not built', edited('job: { kind: sql, file: order-features.sql }', 'job: { kind: jar, jar: job.jar, mainClass: com.example.Job }'), [
      `${FILE}:15: features.job.jar "job.jar" does not exist (looked for ${join(FIXTURES, 'job.jar')}); build it first, or add features.job.build to build it`,
    ]],
    ['a Maven module without pom.xml', edited('job: { kind: sql, file: order-features.sql }', 'job: { kind: jar, jar: target/job.jar, mainClass: com.example.Job, build: { maven: . } }'), [
      `${FILE}:15: features.job.build.maven "." has no pom.xml`,
    ]],
  ])('%s', (_, text, expected) => {
    expect(problemsOf(text)).toEqual(expected);
  });

  it('names a schema file that is not JSON with the parser\'s reason', () => {
    const [line, ...rest] = problemsOf(edited('schema: deliveries.avsc', 'schema: not-json.avsc'));
    expect(rest).toEqual([]);
    expect(line).toMatch(new RegExp(`^${FILE}:18: labels\\.schema "not-json\\.avsc": schema file ${join(FIXTURES, 'not-json.avsc').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON: .+$`));
  });

  it('reports every problem of a file in one run, in the order of the file', () => {
    const text = edited('task: regression', 'task: regresion', edited('field: items,', 'field: itemz,', edited('owner: logistics-ml', 'ownr: logistics-ml')));
    expect(problemsOf(text)).toEqual([
      `${FILE}:1: owner is required`,
      `${FILE}:2: ownr is not a known field (did you mean "owner"?)`,
      `${FILE}:23: model.task must be one of binary-classification, regression, got "regresion" (did you mean "regression"?)`,
      `${FILE}:26: model.inputs[1].field "itemz" is not a field of the features schema (did you mean "items"?)`,
    ]);
  });
});

describe('malformed parts', () => {
  it.each([
    ['a source that is not a mapping, and PII that is not a list', edited('pii: [customer_email]', 'pii: customer_email', edited('sources:\n', 'sources:\n  - 5\n')), [
      `${FILE}:4: sources[0] must be a mapping of fields, got 5`,
      `${FILE}:9: sources[1].pii must be a list, got "customer_email"`,
    ]],
    ['inputs that are not a list', edited('  inputs:\n', '  inputs: none\n  unused:\n'), [
      `${FILE}:24: model.inputs must be a list, got "none"`,
      `${FILE}:25: model.unused is not a known field`,
    ]],
    ['gates and a rollout plan of the wrong shape, on a classifier', `${edited('task: regression', 'task: binary-classification', edited('field: delivery_minutes', 'field: late', edited('gates:\n  maxMae: 10\n  minImprovement: 0.1\n', 'gates: 3\n')))}rollout: { plan: [1] }\n`, [
      `${FILE}:32: gates must be a mapping of fields, got 3`,
      `${FILE}:33: rollout.plan must be a mapping of fields, got [1]`,
    ]],
    ['a bad step beside a metric of the wrong task', `${DELIVERY}rollout:\n  plan:\n    steps: [{ mode: SPLIT, percent: 0, minSamples: 1, minDuration: 1m }]\n    promotion: { metric: recall }\n`, [
      `${FILE}:37: rollout.plan.steps[0].percent must be above 0 for a SPLIT step (or use mode SHADOW), got 0`,
      `${FILE}:38: rollout.plan.promotion.metric "recall" is not a live metric of a regression model; use one of mae, rmse`,
    ]],
  ])('%s: reported, the rest still checked', (_, text, expected) => {
    expect(problemsOf(text)).toEqual(expected);
  });
});

describe('any value of another shape', () => {
  /** Every place in a value, from the root. */
  const placesOf = (value: unknown, at: (string | number)[] = []): (string | number)[][] =>
    value !== null && typeof value === 'object'
      ? [at, ...Object.entries(value).flatMap(([key, inner]) => placesOf(inner, [...at, Array.isArray(value) ? Number(key) : key]))]
      : [at];
  const base = parseDefinition(DELIVERY, FILE, FIXTURES).value;
  const replaced = (path: readonly (string | number)[], replacement: unknown): unknown => {
    if (path.length === 0) return replacement;
    const copy = structuredClone(base) as Record<string | number, unknown>;
    let parent = copy;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    parent[path[path.length - 1]!] = replacement;
    return copy;
  };

  it('gives problems with a line each, never an exception', () => {
    const places = placesOf(base);
    expect(places.length).toBeGreaterThan(50);
    for (const path of places) {
      for (const replacement of [null, 7, 'x', [], {}, [{}]]) {
        // Written back as text (JSON, which the YAML parser reads), so every problem can be located in it.
        const text = JSON.stringify(replaced(path, replacement), null, 2);
        const problems = (() => {
          const source = parseDefinition(text, FILE, FIXTURES);
          return validatePipeline(source.value, { baseDir: FIXTURES, source }).problems;
        })();
        for (const problem of problems) expect(problem.line, `${JSON.stringify(path)} = ${JSON.stringify(replacement)}: ${problem.message}`).toBeGreaterThan(0);
      }
    }
  });
});

describe('a definition built in code', () => {
  it('gets the same problems, without a file or line', () => {
    const definition = parseDefinition(edited('field: items,', 'field: itemz,'), FILE, FIXTURES).value as PipelineDefinition;
    const validation = validatePipeline(definition, { baseDir: FIXTURES });
    expect(validation.problems.map(formatProblem)).toEqual(['model.inputs[1].field "itemz" is not a field of the features schema (did you mean "items"?)']);
  });
});

describe('loadPipelineDefinition', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-pipeline-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('throws every problem with the file as named', () => {
    const file = join(scratch, 'delivery.yaml');
    writeFileSync(file, edited('schema: orders.avsc', `schema: ${join(FIXTURES, 'orders.avsc')}`, edited('task: regression', 'task: regresion')));
    expect(() => loadPipelineDefinition(file)).toThrow(PipelineDefinitionError);
    try {
      loadPipelineDefinition(file);
    } catch (error) {
      // The other schema paths are relative to the file's folder, where they are not.
      expect((error as PipelineDefinitionError).problems.map(formatProblem)).toEqual([
        `${file}:11: features.schema "order-features.avsc" does not exist (looked for ${join(scratch, 'order-features.avsc')})`,
        `${file}:15: features.job.file "order-features.sql" does not exist (looked for ${join(scratch, 'order-features.sql')})`,
        `${file}:18: labels.schema "deliveries.avsc" does not exist (looked for ${join(scratch, 'deliveries.avsc')})`,
        `${file}:23: model.task must be one of binary-classification, regression, got "regresion" (did you mean "regression"?)`,
      ]);
    }
  });

  it('names a file that cannot be read', () => {
    const file = join(scratch, 'missing.yaml');
    expect(() => loadPipelineDefinition(file)).toThrow(`${file}: cannot be read: ENOENT: no such file or directory, open '${file}'`);
  });
});
