/**
 * The checks a JSON Schema cannot make, all offline: referenced files exist, Avro schema files
 * parse, fields named in the definition are fields of the right schema with a type that fits
 * their use, encodings fit their field's Avro type, and task-specific settings match the task.
 *
 * They run on a definition that may have structural problems too, so each check first asks
 * whether the part it reads is structurally sound (`sound`), and skips it otherwise: the
 * structural problem is reported already, and a person gets every other problem in the same run.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { reasonOf } from '../errors/tributary-error.js';
import { describeAvroType, loadRecordFields, type AvroField } from './avro-fields.js';
import { didYouMean } from './closest-name.js';
import { formatPath, type DefinitionPath } from './definition-source.js';
import type { InputEncoding, ModelInput, ModelTask, PipelineDefinition, SourceDefinition } from './pipeline-definition.js';

/** What the checks report to. */
export interface ReferenceCheckContext {
  readonly baseDir: string;
  /** Whether the value at `path` and everything around it passed the structural check. */
  readonly sound: (path: DefinitionPath) => boolean;
  /** Reports a problem about the value at `path` (its key's line when `atKey`). */
  readonly report: (path: DefinitionPath, message: string, atKey?: boolean) => void;
}

/** Fields of a schema file, with the name the messages call the schema by. */
interface NamedFields {
  readonly name: string;
  readonly fields: ReadonlyMap<string, AvroField>;
}

const NUMBER_KINDS = ['int', 'long', 'float', 'double'];
const CATEGORY_KINDS = ['string', 'enum', 'int', 'long'];
const KEY_KINDS = ['string', 'int', 'long'];
const TIMESTAMP_LOGICAL_TYPES = [undefined, 'timestamp-millis', 'timestamp-micros', 'local-timestamp-millis', 'local-timestamp-micros'];

/** The Avro types each encoding reads; `missing-indicator` reads any nullable field. */
const ENCODING_KINDS: Readonly<Record<InputEncoding, { readonly kinds: readonly string[] | 'any'; readonly needs: string }>> = {
  raw: { kinds: NUMBER_KINDS, needs: 'a number (int, long, float or double)' },
  standardised: { kinds: NUMBER_KINDS, needs: 'a number (int, long, float or double)' },
  log1p: { kinds: NUMBER_KINDS, needs: 'a number (int, long, float or double)' },
  clipped: { kinds: NUMBER_KINDS, needs: 'a number (int, long, float or double)' },
  flag: { kinds: ['boolean'], needs: 'a boolean' },
  'one-hot': { kinds: CATEGORY_KINDS, needs: 'a category (string, enum, int or long)' },
  hashed: { kinds: CATEGORY_KINDS, needs: 'a category (string, enum, int or long)' },
  cyclic: { kinds: ['int', 'long'], needs: 'an int or long (an hour, a day of the week, or a timestamp)' },
  'missing-indicator': { kinds: 'any', needs: 'a nullable field (an Avro union with null)' },
};

/** Encodings that read the value and so need `fillNull` for a nullable field. */
const FILLED_ENCODINGS: readonly InputEncoding[] = ['raw', 'standardised', 'log1p', 'clipped', 'flag', 'cyclic'];

const CLASSIFIER_GATES = ['minRocAuc', 'minPrAuc', 'minRecall', 'maxFalsePositiveRate'] as const;
const REGRESSION_GATES = ['maxMae', 'maxRmse', 'minR2'] as const;
const TASK_METRICS: Readonly<Record<ModelTask, { readonly primary: readonly string[]; readonly live: readonly string[]; readonly gates: readonly string[] }>> = {
  'binary-classification': { primary: ['rocAuc', 'prAuc', 'brierScore'], live: ['precision', 'recall', 'falsePositiveRate'], gates: CLASSIFIER_GATES },
  regression: { primary: ['mae', 'rmse', 'r2'], live: ['mae', 'rmse'], gates: REGRESSION_GATES },
};

const quoted = (value: string): string => JSON.stringify(value);

/** Runs every reference check on a definition that passed (some of) the structural check. */
export function checkReferences(definition: PipelineDefinition, context: ReferenceCheckContext): void {
  const { sound, report } = context;
  const schemaOf = (path: DefinitionPath, file: string | undefined, name: string): NamedFields | undefined =>
    file === undefined || !sound(path) ? undefined : loadSchema(path, file, name, context);

  // Each item is checked when it is sound itself: a problem in one source or input leaves the others checked.
  const sources: readonly SourceDefinition[] = Array.isArray(definition.sources) ? definition.sources : [];
  const sourceSchemas = sources.map((source, index) => schemaOf(['sources', index, 'schema'], source?.schema, `the schema of sources[${index}]`));
  const features = schemaOf(['features', 'schema'], definition.features?.schema, 'the features schema');
  const labels = schemaOf(['labels', 'schema'], definition.labels?.schema, 'the labels schema');

  sources.forEach((source, index) => {
    const schema = sourceSchemas[index];
    if (schema === undefined) return;
    const at = (...rest: (string | number)[]): DefinitionPath => ['sources', index, ...rest];
    checkKeyField(at('entityKey'), source.entityKey, schema, context);
    checkTimeField(at('eventTime'), source.eventTime, schema, context);
    (Array.isArray(source.pii) ? (source.pii as readonly string[]) : []).forEach((field, position) => {
      const found = checkField(at('pii', position), field, schema, context);
      if (found === undefined) return;
      if (found.kind !== 'string') report(at('pii', position), `${formatPath(at('pii', position))} ${quoted(field)} is ${describeAvroType(found)}; the keyed hash replaces text, so a PII field must be a string`);
      else if (features?.fields.has(field)) {
        report(at('pii', position), `${formatPath(at('pii', position))} ${quoted(field)} is personal data, but the features schema has a field of that name; features may carry only its keyed hash, under another name`);
      }
    });
  });
  checkTopicsDistinct(definition, context);

  if (features !== undefined) {
    checkKeyField(['features', 'entityKey'], definition.features.entityKey, features, context);
    checkKeyField(['features', 'eventId'], definition.features.eventId, features, context);
    checkTimeField(['features', 'eventTime'], definition.features.eventTime, features, context);
  }
  if (sound(['features', 'job'])) checkFeatureJob(definition, context);

  const task = sound(['model', 'task']) ? definition.model?.task : undefined;
  if (labels !== undefined) checkLabels(definition, labels, features, task, context);
  const inputs: readonly ModelInput[] = Array.isArray(definition.model?.inputs) ? definition.model.inputs : [];
  if (features !== undefined) {
    inputs.forEach((input, index) => {
      if (sound(['model', 'inputs', index])) checkInput(input, index, features, context);
    });
  }
  checkDuplicateInputs(inputs, context);
  checkModelOptions(definition, task, context);
  if (task !== undefined) checkTaskSettings(definition, task, context);
}

/** The record fields of a schema file, or undefined after reporting why they cannot be had. */
function loadSchema(path: DefinitionPath, file: string, name: string, { baseDir, report }: ReferenceCheckContext): NamedFields | undefined {
  const absolute = resolve(baseDir, file);
  const at = formatPath(path);
  if (!existsSync(absolute)) {
    report(path, `${at} ${quoted(file)} does not exist (looked for ${absolute})`);
    return undefined;
  }
  try {
    const loaded = loadRecordFields(absolute);
    if (loaded.fields === undefined) {
      report(path, `${at} ${quoted(file)} declares ${loaded.typeName === 'enum' ? 'an' : 'a'} ${loaded.typeName}; a topic's value schema must be a record`);
      return undefined;
    }
    return { name, fields: loaded.fields };
  } catch (error) {
    report(path, `${at} ${quoted(file)}: ${reasonOf(error)}`);
    return undefined;
  }
}

/** The field, or undefined after reporting that the schema has none of that name (with the nearest name). */
function checkField(path: DefinitionPath, name: string, schema: NamedFields, { sound, report }: ReferenceCheckContext): AvroField | undefined {
  // A name that is missing or malformed is reported by the structural check already.
  if (!sound(path)) return undefined;
  const field = schema.fields.get(name);
  if (field === undefined) report(path, `${formatPath(path)} ${quoted(name)} is not a field of ${schema.name}${didYouMean(name, schema.fields.keys())}`);
  return field;
}

/** An identifier: present, string/int/long, never null. */
function checkKeyField(path: DefinitionPath, name: string, schema: NamedFields, context: ReferenceCheckContext): void {
  const field = checkField(path, name, schema, context);
  if (field === undefined) return;
  if (!KEY_KINDS.includes(field.kind) || field.nullable) {
    context.report(path, `${formatPath(path)} ${quoted(name)} is ${describeAvroType(field)}; a key must be a string, int or long that is never null`);
  }
}

/** An event time: a long (epoch ms or a timestamp logical type), never null. */
function checkTimeField(path: DefinitionPath, name: string, schema: NamedFields, context: ReferenceCheckContext): void {
  const field = checkField(path, name, schema, context);
  if (field === undefined) return;
  if (field.kind !== 'long' || field.nullable || !TIMESTAMP_LOGICAL_TYPES.includes(field.logicalType)) {
    context.report(path, `${formatPath(path)} ${quoted(name)} is ${describeAvroType(field)}; an event time must be a long (epoch milliseconds, or a timestamp logical type) that is never null`);
  }
}

/** Each topic has one role: a source, the features or the labels. */
function checkTopicsDistinct(definition: PipelineDefinition, { sound, report }: ReferenceCheckContext): void {
  const seen = new Map<string, string>();
  const roles: [DefinitionPath, string | undefined][] = [
    ...((Array.isArray(definition.sources) ? definition.sources : []) as readonly SourceDefinition[]).map((source, index): [DefinitionPath, string | undefined] => [
      ['sources', index, 'topic'],
      sound(['sources', index, 'topic']) ? source?.topic : undefined,
    ]),
    [['features', 'topic'], sound(['features', 'topic']) ? definition.features?.topic : undefined],
    [['labels', 'topic'], sound(['labels', 'topic']) ? definition.labels?.topic : undefined],
  ];
  for (const [path, topic] of roles) {
    if (topic === undefined) continue;
    const first = seen.get(topic);
    if (first !== undefined) report(path, `${formatPath(path)} ${quoted(topic)} is also ${first}; each topic has one role in a pipeline`);
    else seen.set(topic, formatPath(path));
  }
}

function checkFeatureJob(definition: PipelineDefinition, { baseDir, report }: ReferenceCheckContext): void {
  const job = definition.features.job;
  const mustExist = (path: DefinitionPath, file: string, what: 'file' | 'folder' | 'any'): boolean => {
    const absolute = resolve(baseDir, file);
    const info = existsSync(absolute) ? statSync(absolute) : undefined;
    const fits = info !== undefined && (what === 'any' || (what === 'folder' ? info.isDirectory() : info.isFile()));
    if (!fits) report(path, `${formatPath(path)} ${quoted(file)} ${info === undefined ? 'does not exist' : `is not a ${what}`} (looked for ${absolute})`);
    return fits;
  };
  if (job.kind === 'sql') {
    mustExist(['features', 'job', 'file'], job.file, 'file');
    return;
  }
  if (job.build === undefined) {
    const absolute = resolve(baseDir, job.jar);
    if (!existsSync(absolute)) report(['features', 'job', 'jar'], `features.job.jar ${quoted(job.jar)} does not exist (looked for ${absolute}); build it first, or add features.job.build to build it`);
    return;
  }
  if (mustExist(['features', 'job', 'build', 'maven'], job.build.maven, 'folder') && !existsSync(join(resolve(baseDir, job.build.maven), 'pom.xml'))) {
    report(['features', 'job', 'build', 'maven'], `features.job.build.maven ${quoted(job.build.maven)} has no pom.xml`);
  }
  (job.build.inputs ?? []).forEach((input, index) => mustExist(['features', 'job', 'build', 'inputs', index], input, 'any'));
}

function checkLabels(definition: PipelineDefinition, labels: NamedFields, features: NamedFields | undefined, task: ModelTask | undefined, context: ReferenceCheckContext): void {
  const { joinKey, field, eventTime } = definition.labels;
  const { report } = context;
  const key = checkField(['labels', 'joinKey'], joinKey, labels, context);
  if (key !== undefined && features !== undefined) {
    const featureKey = features.fields.get(joinKey);
    if (featureKey === undefined) report(['labels', 'joinKey'], `labels.joinKey ${quoted(joinKey)} is not a field of the features schema${didYouMean(joinKey, features.fields.keys())}`);
    else if (featureKey.kind !== key.kind) {
      report(['labels', 'joinKey'], `labels.joinKey ${quoted(joinKey)} is ${describeAvroType(key)} in the labels schema but ${describeAvroType(featureKey)} in the features schema; a join needs the same type on both sides`);
    }
  }
  checkTimeField(['labels', 'eventTime'], eventTime, labels, context);
  const label = checkField(['labels', 'field'], field, labels, context);
  // A training example is the features record plus the label and label_time (src/flink/label-join.ts): names must not collide.
  if (label !== undefined && features?.fields.has(field)) {
    report(['labels', 'field'], `labels.field ${quoted(field)} is also a field of the features schema; a training example is the features record plus the label, so rename one of them`);
  }
  if (features?.fields.has('label_time')) {
    report(['features', 'schema'], 'features.schema has a field "label_time", the field a training example adds for when its label became known; rename it');
  }
  if (label === undefined || task === undefined) return;
  const fits = task === 'binary-classification' ? ['boolean', 'int'].includes(label.kind) : NUMBER_KINDS.includes(label.kind);
  if (!fits || label.nullable) {
    const wanted = task === 'binary-classification' ? 'a boolean (or an int, 0 or 1)' : 'a number (int, long, float or double)';
    report(['labels', 'field'], `labels.field ${quoted(field)} is ${describeAvroType(label)}; the label of a ${task} model must be ${wanted} that is never null`);
  }
}

function checkInput(input: ModelInput, index: number, features: NamedFields, context: ReferenceCheckContext): void {
  const { report } = context;
  const at = (...rest: string[]): DefinitionPath => ['model', 'inputs', index, ...rest];
  const field = checkField(at('field'), input.field, features, context);
  if (field === undefined) return;
  const name = quoted(input.field);
  if (field.kind === 'union') {
    report(at('field'), `${formatPath(at('field'))} ${name} is a union of several types; a model input needs one type (and optionally null)`);
    return;
  }
  const { kinds, needs } = ENCODING_KINDS[input.encoding];
  if (input.encoding === 'missing-indicator' ? !field.nullable : kinds !== 'any' && !kinds.includes(field.kind)) {
    const fitting = (Object.keys(ENCODING_KINDS) as InputEncoding[]).filter((encoding) => {
      const accepted = ENCODING_KINDS[encoding].kinds;
      return encoding === 'missing-indicator' ? field.nullable : accepted !== 'any' && accepted.includes(field.kind);
    });
    report(at('encoding'), `${formatPath(at('encoding'))} ${quoted(input.encoding)} needs ${needs}; ${name} is ${describeAvroType(field)}${fitting.length > 0 ? ` (encodings that fit: ${fitting.join(', ')})` : ''}`);
    return;
  }
  const options = input as Partial<Record<'fillNull' | 'missingIndicator' | 'min' | 'max', unknown>>;
  if (FILLED_ENCODINGS.includes(input.encoding)) {
    if (field.nullable && options.fillNull === undefined) {
      report(at('field'), `${formatPath(at('field'))} ${name} is nullable (${describeAvroType(field)}); set ${formatPath(at('fillNull'))}, the value used for a null`);
    }
    if (!field.nullable && options.fillNull !== undefined) {
      report(at('fillNull'), `${formatPath(at('fillNull'))} is set, but ${name} is never null (${describeAvroType(field)}); remove it`, true);
    }
    if (!field.nullable && options.missingIndicator === true) {
      report(at('missingIndicator'), `${formatPath(at('missingIndicator'))} needs a nullable field (an Avro union with null); ${name} is ${describeAvroType(field)}`, true);
    }
  }
  if (input.encoding === 'clipped' && !(input.min < input.max)) {
    report(at('max'), `${formatPath(at('max'))} must be above min (${input.min}), got ${input.max}`);
  }
}

/** The same field with the same encoding twice adds identical columns. */
function checkDuplicateInputs(inputs: readonly ModelInput[], { sound, report }: ReferenceCheckContext): void {
  const first = new Map<string, number>();
  inputs.forEach((input, index) => {
    if (!sound(['model', 'inputs', index])) return;
    const key = `${input.field}\n${input.encoding}`;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, index);
    else report(['model', 'inputs', index], `model.inputs[${index}] repeats model.inputs[${earlier}] (${quoted(input.field)} as ${input.encoding})`);
  });
}

function checkModelOptions(definition: PipelineDefinition, task: ModelTask | undefined, { sound, report }: ReferenceCheckContext): void {
  const split = sound(['model', 'split']) ? definition.model?.split : undefined;
  if (split !== undefined) {
    const total = split.train + split.validation + split.test;
    // Shares written with two or three decimals add up to 1 only up to rounding of binary fractions.
    if (Math.abs(total - 1) > 1e-9) report(['model', 'split'], `model.split adds up to ${Number(total.toFixed(9))}; train + validation + test must be 1`);
  }
  if (task === 'regression') {
    if (sound(['model', 'decision']) && definition.model.decision !== undefined) {
      report(['model', 'decision'], 'model.decision sets a classification threshold; a regression model has none, remove it', true);
    }
    if (sound(['model', 'training', 'classWeight']) && definition.model.training?.classWeight !== undefined) {
      report(['model', 'training', 'classWeight'], 'model.training.classWeight applies to binary-classification only; remove it for a regression model', true);
    }
  }
}

/** Gates, trigger and rollout settings that belong to one task only. */
function checkTaskSettings(definition: PipelineDefinition, task: ModelTask, { sound, report }: ReferenceCheckContext): void {
  const metrics = TASK_METRICS[task];
  const other: ModelTask = task === 'regression' ? 'binary-classification' : 'regression';
  const gates = (definition.gates ?? {}) as Readonly<Record<string, unknown>>;
  for (const gate of TASK_METRICS[other].gates) {
    if (gates[gate] !== undefined && sound(['gates', gate])) {
      report(['gates', gate], `gates.${gate} is a ${other} gate; model.task is ${task} (its gates: ${metrics.gates.join(', ')})`, true);
    }
  }
  const primary = gates.primaryMetric;
  if (typeof primary === 'string' && sound(['gates', 'primaryMetric']) && !metrics.primary.includes(primary)) {
    report(['gates', 'primaryMetric'], `gates.primaryMetric ${quoted(primary)} is not a ${task} metric; use one of ${metrics.primary.join(', ')}`);
  }
  if (task === 'regression' && definition.trigger?.minPositives !== undefined && sound(['trigger', 'minPositives'])) {
    report(['trigger', 'minPositives'], 'trigger.minPositives counts positive labels; a regression model has none, remove it', true);
  }
  const plan = definition.rollout?.plan;
  // Each metric is checked when its own place is sound, so a bad step leaves the metrics checked.
  if (plan === null || typeof plan !== 'object') return;
  for (const metric of Object.keys(plan.guardrails?.maxWorse ?? {})) {
    if (!metrics.live.includes(metric) && sound(['rollout', 'plan', 'guardrails', 'maxWorse', metric])) {
      report(['rollout', 'plan', 'guardrails', 'maxWorse', metric], `rollout.plan.guardrails.maxWorse.${metric} is not a live metric of a ${task} model (its metrics: ${metrics.live.join(', ')})`, true);
    }
  }
  const promotion = plan.promotion?.metric;
  if (promotion !== undefined && sound(['rollout', 'plan', 'promotion', 'metric']) && !metrics.live.includes(promotion)) {
    report(['rollout', 'plan', 'promotion', 'metric'], `rollout.plan.promotion.metric ${quoted(promotion)} is not a live metric of a ${task} model; use one of ${metrics.live.join(', ')}`);
  }
}
