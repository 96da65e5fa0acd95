/**
 * The check of a stored spec before it is compiled: its layout version first (a spec of another
 * version gets a line saying so, not a list of shape errors), then its shape against
 * `vectoriser-spec.schema.json` with ajv, then what a schema cannot say: a clipped range that is
 * empty, a vocabulary with a repeated value or a value of the other type, a cyclic fill outside
 * its cycle, and column names that the entries do not make.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import schema from './vectoriser-spec.schema.json' with { type: 'json' };
import { cycleReading } from './encodings.js';
import { VectoriserSpecError } from './errors.js';
import { columnsOf, VECTORISER_LAYOUT_VERSION, type SpecEntry, type VectoriserSpec } from './vectoriser-spec.js';

let compiled: ValidateFunction | undefined;

/** Compiled once, on first use: compiling costs tens of milliseconds. */
function validator(): ValidateFunction {
  // allowUnionTypes: a vocabulary holds text or whole numbers; verbose: errors carry the value, for the message.
  compiled ??= new Ajv({ discriminator: true, allowUnionTypes: true, verbose: true }).compile(schema);
  return compiled;
}

/** `/inputs/2/scale` as `inputs[2].scale`. */
function placeOf(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((segment, index) => (/^\d+$/.test(segment) ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
    .join('');
}

function describe(error: ErrorObject): string {
  const place = placeOf(error.instancePath) || 'the spec';
  if (error.keyword === 'additionalProperties') return `${place} has an unknown key "${String(error.params.additionalProperty)}"`;
  if (error.keyword === 'discriminator') {
    const { tagValue } = error.params as { readonly tagValue?: unknown };
    return `${place}.encoding ${JSON.stringify(tagValue) ?? '(missing)'} is not an encoding of layout version ${VECTORISER_LAYOUT_VERSION}`;
  }
  if (error.keyword === 'const') return `${place} ${JSON.stringify(error.data)} must be ${JSON.stringify(error.params.allowedValue)}`;
  if (error.keyword === 'enum') return `${place} ${JSON.stringify(error.data)} must be one of ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
  return `${place} ${error.message ?? 'does not fit the spec schema'}`;
}

/** The first thing a schema cannot check that is wrong with an entry, or undefined. */
function entryProblem(entry: SpecEntry, place: string): string | undefined {
  switch (entry.encoding) {
    case 'clipped':
      return entry.min < entry.max ? undefined : `${place}.max (${entry.max}) must be above min (${entry.min})`;
    case 'one-hot': {
      const seen = new Set<string | number>();
      for (const [index, value] of entry.vocabulary.entries()) {
        const fits = entry.values === 'string' ? typeof value === 'string' : Number.isSafeInteger(value);
        if (!fits) return `${place}.vocabulary[${index}] ${JSON.stringify(value)} is not ${entry.values === 'string' ? 'text' : 'a whole number'}, as values says`;
        if (seen.has(value)) return `${place}.vocabulary[${index}] ${JSON.stringify(value)} repeats an earlier value`;
        seen.add(value);
      }
      return undefined;
    }
    case 'cyclic': {
      const reading = cycleReading(entry);
      return entry.nulls === null || reading.accepts(entry.nulls.fill) ? undefined : `${place}.nulls.fill ${entry.nulls.fill} is not ${reading.expected}`;
    }
    default:
      return undefined;
  }
}

/** The spec, checked; throws {@link VectoriserSpecError} with one line naming the first problem. */
export function checkVectoriserSpec(value: unknown): VectoriserSpec {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new VectoriserSpecError('it is not a JSON object');
  const { layoutVersion } = value as { readonly layoutVersion?: unknown };
  if (layoutVersion !== VECTORISER_LAYOUT_VERSION) {
    const found = layoutVersion === undefined ? 'it has no layoutVersion' : `its layoutVersion is ${JSON.stringify(layoutVersion)}`;
    throw new VectoriserSpecError(`${found}; this build reads layout version ${VECTORISER_LAYOUT_VERSION} (serve the model with a build that reads its version, or retrain it)`);
  }
  const validate = validator();
  if (!validate(value)) {
    // The deepest error is the most specific: of `scale: null | {mean, std}`, "mean must be number" rather than "must be null".
    const deepest = validate.errors!.reduce((best, error) => (error.instancePath.split('/').length > best.instancePath.split('/').length ? error : best));
    throw new VectoriserSpecError(describe(deepest));
  }
  const spec = value as VectoriserSpec;
  for (const [index, entry] of spec.inputs.entries()) {
    const problem = entryProblem(entry, `inputs[${index}]`);
    if (problem !== undefined) throw new VectoriserSpecError(problem);
  }
  const expected = spec.inputs.flatMap(columnsOf);
  const differs = spec.columns.findIndex((name, index) => index < expected.length && name !== expected[index]);
  if (differs >= 0) throw new VectoriserSpecError(`columns[${differs}] is ${JSON.stringify(spec.columns[differs])}; the inputs make ${JSON.stringify(expected[differs])} there`);
  if (spec.columns.length !== expected.length) throw new VectoriserSpecError(`columns has ${spec.columns.length} names; the inputs make ${expected.length} columns`);
  return spec;
}
