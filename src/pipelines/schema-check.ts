/**
 * The structural check of a definition against `pipeline.schema.json` with ajv, and the
 * translation of ajv's errors into one line each that says which value is wrong, what it is and
 * what would be accepted. Phrases the schema cannot express in its standard keywords (what a
 * pattern means) come from its `x-expected` annotations.
 */
import { Ajv, type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import schema from './pipeline.schema.json' with { type: 'json' };
import { didYouMean } from './closest-name.js';
import { formatPath, type DefinitionPath } from './definition-source.js';

/** The JSON Schema of a pipeline definition, as shipped. */
export const PIPELINE_SCHEMA: AnySchemaObject = schema;

/** A structural problem: what it is about, where its line is, and what it is. */
export interface SchemaIssue {
  /** The value the problem is about; for a missing field, the field's place. */
  readonly path: DefinitionPath;
  /** Where its line is: the value, or the enclosing one for a missing field. */
  readonly linePath: DefinitionPath;
  /** The problem is the key itself (an unknown field), so its line is the key's. */
  readonly atKey: boolean;
  readonly message: string;
}

let compiled: ValidateFunction | undefined;

/** Compiled once, on first use: compiling costs tens of milliseconds. */
function validator(): ValidateFunction {
  if (compiled === undefined) {
    const ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true });
    ajv.addVocabulary(['x-expected']);
    compiled = ajv.compile(PIPELINE_SCHEMA);
  }
  return compiled;
}

/** Every structural problem of `value`, in document order of ajv's walk; empty when it fits the schema. */
export function checkAgainstSchema(value: unknown): SchemaIssue[] {
  const validate = validator();
  if (validate(value)) return [];
  const issues = (validate.errors ?? []).flatMap((error) => {
    const issue = describe(error, value);
    return issue === undefined ? [] : [issue];
  });
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${formatPath(issue.path)}\n${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A JSON pointer as a path, with array indexes as numbers (decided by the data, since `"0"` may be a key). */
function pathOf(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let at: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(at) ? Number(segment) : segment;
    path.push(key);
    at = at !== null && typeof at === 'object' ? (at as Record<string | number, unknown>)[key] : undefined;
  }
  return path;
}

const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

const TYPE_PHRASES: Readonly<Record<string, string>> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping of fields',
  array: 'a list',
  null: 'null',
};

/** What the failing schema says a value should be, when it says it in words. */
const expectedOf = (error: ErrorObject): string | undefined => {
  const expected = (error.parentSchema as Record<string, unknown> | undefined)?.['x-expected'];
  return typeof expected === 'string' ? expected : undefined;
};

function describe(error: ErrorObject, root: unknown): SchemaIssue | undefined {
  const path = pathOf(error.instancePath, root);
  const at = formatPath(path);
  const subject = at === '' ? 'the definition' : at;
  const params = error.params as Record<string, unknown>;
  const issue = (message: string, about: DefinitionPath = path, atKey = false, linePath: DefinitionPath = about): SchemaIssue => ({ path: about, linePath, atKey, message });
  switch (error.keyword) {
    case 'required': {
      const field = String(params.missingProperty);
      return issue(`${formatPath([...path, field])} is required${misspeltTag(error, field)}`, [...path, field], false, path);
    }
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return issue(`${formatPath([...path, field])} is not a known field${didYouMean(field, known)}`, [...path, field], true);
    }
    case 'type': {
      const types = Array.isArray(params.type) ? (params.type as string[]) : [String(params.type)];
      const wanted = types.map((type) => TYPE_PHRASES[type] ?? type).join(' or ');
      return issue(`${subject} must be ${wanted}, got ${shown(error.data)}`);
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const hint = typeof error.data === 'string' ? didYouMean(error.data, allowed) : '';
      return issue(`${subject} must be one of ${allowed.join(', ')}, got ${shown(error.data)}${hint}`);
    }
    case 'const':
      return issue(`${subject} must be ${expectedOf(error) ?? shown(params.allowedValue)}, got ${shown(error.data)}`);
    case 'pattern':
      return issue(`${subject} must be ${expectedOf(error) ?? `text matching ${String(params.pattern)}`}, got ${shown(error.data)}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return issue(`${subject} must be ${expectedOf(error) ?? `${String(params.comparison)} ${String(params.limit)}`}, got ${shown(error.data)}`);
    case 'minLength':
      return issue(`${subject} must not be empty`);
    case 'minItems':
      return issue(`${subject} must list at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`);
    case 'uniqueItems':
      return issue(`${subject} lists ${shown((error.data as unknown[])[params.i as number])} more than once`);
    case 'minProperties':
    case 'maxProperties': {
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return issue(`${subject} must set exactly one of ${known.join(', ')}`);
    }
    case 'discriminator':
      return describeDiscriminator(error, path, subject);
    // The failure inside the branch is reported by its own keyword.
    case 'if':
      return undefined;
    default:
      return issue(`${subject} ${error.message ?? 'does not fit the schema'}`);
  }
}

/**
 * Without its tag (`encoding`, `kind`) an object matches no branch, so its other fields are not
 * checked and a misspelt tag would go unnamed: name a field close to the tag's name.
 */
function misspeltTag(error: ErrorObject, field: string): string {
  const tag = (error.parentSchema as { discriminator?: { propertyName?: string } } | undefined)?.discriminator?.propertyName;
  if (tag !== field || error.data === null || typeof error.data !== 'object') return '';
  const near = Object.keys(error.data).find((key) => didYouMean(key, [field]) !== '');
  return near === undefined ? '' : ` (is "${near}" a misspelling of it?)`;
}

/** A missing tag is reported by `required`; an unknown one lists the tags the branches accept. */
function describeDiscriminator(error: ErrorObject, path: DefinitionPath, subject: string): SchemaIssue | undefined {
  const params = error.params as { error: string; tag: string; tagValue?: unknown };
  if (params.error === 'tag' && (error.data === null || typeof error.data !== 'object' || !(params.tag in (error.data as object)))) return undefined;
  const branches = ((error.parentSchema as { oneOf?: AnySchemaObject[] } | undefined)?.oneOf ?? []).flatMap((branch) => {
    const tag = (branch.properties as Record<string, { const?: unknown; enum?: unknown[] }> | undefined)?.[params.tag];
    return tag?.const !== undefined ? [String(tag.const)] : (tag?.enum ?? []).map(String);
  });
  const value = (error.data as Record<string, unknown>)[params.tag];
  const hint = typeof value === 'string' ? didYouMean(value, branches) : '';
  return { path: [...path, params.tag], linePath: [...path, params.tag], atKey: false, message: `${subject === 'the definition' ? params.tag : `${subject}.${params.tag}`} must be one of ${branches.join(', ')}, got ${shown(value)}${hint}` };
}
