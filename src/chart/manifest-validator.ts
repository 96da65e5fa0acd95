/**
 * Validates the objects `helm template` renders against the schemas of the API server and the
 * operators that will receive them (schema-installation.ts), as the API server would with
 * strict field validation (kubectl's default since 1.27): unknown fields are refused, as are
 * wrong types, missing required fields and values outside an enum.
 *
 * Two documented departures from the raw documents, both ones kubeconform makes too:
 * `IntOrString` and `Quantity` accept a number or a string (the API server's Go decoders do;
 * the OpenAPI document says string only); and the Flink operator's `flinkVersion` enum gains the
 * Flink 2 versions of the operator releases after the pinned API jar (see chart-versions.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { SCHEMA_FILE_SHA256 } from './chart-versions.js';
import { SchemaSetError } from './errors.js';
import { schemaSetProblem } from './schema-installation.js';

/** The flinkVersion values the operator releases after API 1.10.0 added; the chart sets one of them. */
export const FLINK_VERSIONS_AFTER_PINNED_API = ['v2_0', 'v2_1', 'v2_2'] as const;

/** One reason an object would be refused. */
export interface ManifestProblem {
  /** `Kind/name`, as kubectl names it. */
  readonly object: string;
  /** JSON pointer into the object; '' for the object itself. */
  readonly path: string;
  readonly message: string;
}

/** `Kind/name path: message`, one line. */
export const formatProblem = (p: ManifestProblem): string => `${p.object} ${p.path || '/'}: ${p.message}`;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const KUBERNETES_ID = 'kubernetes';
const OBJECT_META = `${KUBERNETES_ID}#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;
const INT_OR_STRING = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { anyOf: [{ type: 'string' }, { type: 'number' }] };

/**
 * Closes every object schema that lists its properties (additionalProperties false), except
 * where the schema keeps unknown fields on purpose, and gives int-or-string fields both types.
 * Returns a new schema; recursion follows every sub-schema keyword.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'enum' || key === 'required' || key === 'example' || key === 'default') out[key] = value;
    else if (key === 'properties' && isObject(value)) out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, strict(sub)]));
    else out[key] = strict(value);
  }
  if (out['x-kubernetes-int-or-string'] === true && out.type === undefined) Object.assign(out, INT_OR_STRING);
  const keepsUnknown = out['x-kubernetes-preserve-unknown-fields'] === true;
  if (isObject(out.properties) && out.additionalProperties === undefined && !keepsUnknown) out.additionalProperties = false;
  return out;
}

interface Gvk {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

const apiVersionOf = ({ group, version }: Gvk): string => (group === '' ? version : `${group}/${version}`);

/** The Kubernetes OpenAPI (v2) document as one schema whose definitions reference each other; the kinds it defines. */
function kubernetesSchema(swagger: Json): { schema: Json; kinds: Map<string, string> } {
  const definitions = isObject(swagger.definitions) ? swagger.definitions : {};
  const kinds = new Map<string, string>();
  const out: Json = {};
  for (const [name, definition] of Object.entries(definitions)) {
    if (!isObject(definition)) continue;
    for (const gvk of (definition['x-kubernetes-group-version-kind'] ?? []) as Gvk[]) kinds.set(`${apiVersionOf(gvk)} ${gvk.kind}`, name);
    out[name] = strict(definition);
  }
  out['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = INT_OR_STRING;
  out['io.k8s.apimachinery.pkg.api.resource.Quantity'] = QUANTITY;
  return { schema: { $id: KUBERNETES_ID, definitions: out }, kinds };
}

/** The schema of one served version of a CRD: its openAPIV3Schema, closed, with ObjectMeta for metadata. */
function customResourceSchema(kind: string, apiVersion: string, openApi: Json): Json {
  const schema = strict(openApi) as Json;
  const properties = isObject(schema.properties) ? schema.properties : {};
  properties.metadata = { $ref: OBJECT_META };
  properties.apiVersion = { const: apiVersion };
  properties.kind = { const: kind };
  if (kind === 'FlinkDeployment') {
    const spec = properties.spec as Json | undefined;
    const flinkVersion = isObject(spec?.properties) ? (spec.properties as Json).flinkVersion : undefined;
    if (isObject(flinkVersion) && Array.isArray(flinkVersion.enum)) flinkVersion.enum = [...flinkVersion.enum, ...FLINK_VERSIONS_AFTER_PINNED_API];
  }
  return { ...schema, properties, required: [...new Set([...((schema.required as string[] | undefined) ?? []), 'apiVersion', 'kind', 'metadata'])] };
}

function describeError(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `unknown field "${String(params.additionalProperty)}"`;
  if (error.keyword === 'enum') return `${error.message ?? 'not allowed'}: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return error.message ?? error.keyword;
}

/** Validates rendered objects against one pinned schema set. */
export class ManifestValidator {
  private constructor(
    private readonly ajv: Ajv,
    /** `apiVersion kind` → schema reference. */
    private readonly refs: ReadonlyMap<string, string>,
    private readonly compiled = new Map<string, ValidateFunction>(),
  ) {}

  /** Opens the schema set in `dir`, after checking every file against its pinned SHA-256. */
  static async open(dir: string): Promise<ManifestValidator> {
    const problem = await schemaSetProblem(dir);
    if (problem) throw problem;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, allowUnionTypes: true });
    const refs = new Map<string, string>();
    for (const file of Object.keys(SCHEMA_FILE_SHA256)) {
      const path = join(dir, file);
      const text = await readFile(path, 'utf8');
      try {
        if (file.endsWith('.json')) {
          const { schema, kinds } = kubernetesSchema(JSON.parse(text) as Json);
          ajv.addSchema(schema);
          for (const [key, name] of kinds) refs.set(key, `${KUBERNETES_ID}#/definitions/${name}`);
          continue;
        }
        for (const document of parseAllDocuments(text)) {
          const crd = document.toJS() as Json | null;
          if (!isObject(crd) || crd.kind !== 'CustomResourceDefinition') continue;
          const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Json } }[] };
          for (const version of spec.versions.filter((v) => v.served && v.schema?.openAPIV3Schema)) {
            const apiVersion = `${spec.group}/${version.name}`;
            const id = `${file}#${apiVersion}`;
            ajv.addSchema({ ...customResourceSchema(spec.names.kind, apiVersion, version.schema!.openAPIV3Schema!), $id: id });
            refs.set(`${apiVersion} ${spec.names.kind}`, id);
          }
        }
      } catch (error) {
        throw new SchemaSetError(path, `not a schema this validator can read (${error instanceof Error ? error.message : String(error)})`, error);
      }
    }
    return new ManifestValidator(ajv, refs);
  }

  /** The `apiVersion kind` pairs this set has a schema for. */
  get kinds(): readonly string[] {
    return [...this.refs.keys()].sort();
  }

  /** Every reason the API server (or the operator's CRD) would refuse this object; empty when it would accept it. */
  validate(object: unknown): ManifestProblem[] {
    if (!isObject(object)) return [{ object: '(not an object)', path: '', message: `a rendered document is ${JSON.stringify(object)}, not an object` }];
    const kind = typeof object.kind === 'string' ? object.kind : '(no kind)';
    const metadata = isObject(object.metadata) ? object.metadata : {};
    const name = `${kind}/${typeof metadata.name === 'string' ? metadata.name : '(no name)'}`;
    const key = `${String(object.apiVersion)} ${kind}`;
    const ref = this.refs.get(key);
    if (ref === undefined) return [{ object: name, path: '', message: `no schema for apiVersion ${String(object.apiVersion)} kind ${kind} in the pinned set` }];
    const problems: ManifestProblem[] = [];
    if (typeof metadata.name !== 'string' || metadata.name === '') problems.push({ object: name, path: '/metadata/name', message: 'missing' });
    let validate = this.compiled.get(ref);
    if (validate === undefined) {
      validate = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, validate);
    }
    if (!validate(object)) {
      const seen = new Set<string>();
      for (const error of validate.errors ?? []) {
        // anyOf's own summary repeats what its branches said.
        if (error.keyword === 'anyOf') continue;
        const problem = { object: name, path: error.instancePath, message: describeError(error) };
        const id = formatProblem(problem);
        if (!seen.has(id)) problems.push(problem);
        seen.add(id);
      }
    }
    return problems;
  }
}
