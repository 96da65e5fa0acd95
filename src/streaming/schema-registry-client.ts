import axios, { AxiosError, type Method } from 'axios';
import type { TributaryConfig } from '../config/config.js';
import { SchemaRegistryRequestError, SchemaRegistryUnreachableError } from './errors.js';

/** A schema version registered under a subject. */
export interface RegisteredSchema {
  readonly subject: string;
  readonly version: number;
  /** Registry-wide id: what the wire format carries. */
  readonly id: number;
  /** The schema text as registered. */
  readonly schema: string;
}

/** The registry's answer to "may this schema become the subject's next version?". */
export interface CompatibilityVerdict {
  readonly compatible: boolean;
  /** Why not, in the registry's words; empty when compatible. */
  readonly reasons: readonly string[];
}

/** The Confluent-compatible Schema Registry API, as far as Tributary uses it. */
export interface SchemaRegistryClient {
  /** Base URL of the Confluent-compatible API, as configured. */
  readonly url: string;
  /** The latest version under `subject`, or undefined when the subject does not exist. */
  latestSchema(subject: string): Promise<RegisteredSchema | undefined>;
  /** The schema text with this id, or undefined when the registry has none. */
  schemaById(id: number): Promise<string | undefined>;
  /** The compatibility level in force for `subject` (its own, else the global one); undefined when the registry knows neither. */
  compatibilityLevel(subject: string): Promise<string | undefined>;
  setCompatibilityLevel(subject: string, level: string): Promise<void>;
  /** Checks `schema` against the latest version of an existing subject, without registering it. */
  checkCompatibility(subject: string, schema: string): Promise<CompatibilityVerdict>;
  /** Registers `schema` under `subject` (a no-op returning the existing id when it is already there) and returns its id. */
  register(subject: string, schema: string): Promise<number>;
}

export interface SchemaRegistryClientOptions {
  /** Time limit of one HTTP request. @default 10_000 */
  readonly timeoutMs?: number;
  /** Further attempts after a request got no answer or a 5xx/429 answer. @default 2 */
  readonly retries?: number;
  /** Wait before the first retry; doubles with each further one. @default 250 */
  readonly retryDelayMs?: number;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** Apicurio serves its Confluent-compatible API under this path, beside its own v3 API. */
const APICURIO_CCOMPAT_PATH = /\/apis\/ccompat\/v\d+$/;
/** Apicurio's ccompat API puts every subject in this group of its own API. */
const APICURIO_CCOMPAT_GROUP = 'default';

interface ErrorBody {
  readonly message?: string;
  readonly error_code?: number;
}

interface Answer<T> {
  readonly status: number;
  readonly data: T;
}

/**
 * Builds a client of the Confluent-compatible API at `config.url`, with a time limit on every
 * request and a bounded number of retries. A registry that never answers becomes a
 * {@link SchemaRegistryUnreachableError} naming its URL.
 */
export function createSchemaRegistryClient(config: TributaryConfig['schemaRegistry'], options: SchemaRegistryClientOptions = {}): SchemaRegistryClient {
  const url = config.url.replace(/\/+$/, '');
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const http = axios.create({
    timeout: options.timeoutMs ?? 10_000,
    auth: config.auth,
    headers: { Accept: `${CONTENT_TYPE}, application/json` },
    // Every status is an answer; the caller decides which ones it expects.
    validateStatus: () => true,
  });

  /** `path` is relative to the Confluent-compatible API unless it is a full URL. */
  async function request<T>(method: Method, path: string, data?: unknown, contentType = CONTENT_TYPE): Promise<Answer<T>> {
    const target = path.startsWith('http') ? path : `${url}${path}`;
    for (let attempt = 0; ; attempt++) {
      const last = attempt === retries;
      try {
        const answer = await http.request<T>({ method, url: target, data, headers: { 'Content-Type': contentType } });
        if ((answer.status >= 500 || answer.status === 429) && !last) {
          await delay(retryDelayMs * 2 ** attempt);
          continue;
        }
        return answer;
      } catch (error) {
        if (!(error instanceof AxiosError) || error.response) throw error;
        if (last) throw new SchemaRegistryUnreachableError(url, `${networkReason(error)} (${attempt + 1} attempt${attempt === 0 ? '' : 's'})`, error);
        await delay(retryDelayMs * 2 ** attempt);
      }
    }
  }

  function failure(method: string, path: string, answer: Answer<unknown>, subject?: string): SchemaRegistryRequestError {
    const body = answer.data as ErrorBody | string | undefined;
    const message = typeof body === 'object' && body?.message ? body.message : typeof body === 'string' && body !== '' ? body : '(no message)';
    return new SchemaRegistryRequestError(method, `${url}${path}`, answer.status, message, { subject });
  }

  /** A 404 that means "no such subject / schema / version" rather than a wrong URL. */
  const isNotFound = (answer: Answer<unknown>): boolean => answer.status === 404 && typeof (answer.data as ErrorBody | undefined)?.error_code === 'number';

  /**
   * Apicurio's ccompat API ignores `verbose=true` and answers only `is_compatible`. Its own API
   * explains a rule violation: a dry-run of the new version answers 409 with the causes, and
   * registers nothing.
   */
  async function apicurioReasons(subject: string, schema: string): Promise<string[]> {
    if (!APICURIO_CCOMPAT_PATH.test(url)) return [];
    const native = url.replace(APICURIO_CCOMPAT_PATH, '/apis/registry/v3');
    const path = `${native}/groups/${APICURIO_CCOMPAT_GROUP}/artifacts/${encodeURIComponent(subject)}/versions?dryRun=true`;
    const answer = await request<{ causes?: { description: string; context?: string }[] }>(
      'POST',
      path,
      { content: { content: schema, contentType: 'application/json' } },
      'application/json',
    );
    if (answer.status !== 409) return [`Apicurio did not explain: its dry run of ${path} answered HTTP ${answer.status}`];
    return (answer.data.causes ?? []).map((cause) => (cause.context ? `${cause.description} at ${cause.context}` : cause.description));
  }

  const subjectPath = (subject: string): string => `/subjects/${encodeURIComponent(subject)}`;

  return {
    url,

    async latestSchema(subject) {
      const path = `${subjectPath(subject)}/versions/latest`;
      const answer = await request<RegisteredSchema>('GET', path);
      if (isNotFound(answer)) return undefined;
      if (answer.status !== 200) throw failure('GET', path, answer, subject);
      return { subject, version: answer.data.version, id: answer.data.id, schema: answer.data.schema };
    },

    async schemaById(id) {
      const path = `/schemas/ids/${id}`;
      const answer = await request<{ schema: string }>('GET', path);
      if (isNotFound(answer)) return undefined;
      if (answer.status !== 200) throw failure('GET', path, answer);
      return answer.data.schema;
    },

    async compatibilityLevel(subject) {
      const path = `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`;
      const answer = await request<{ compatibilityLevel: string }>('GET', path);
      if (isNotFound(answer)) return undefined;
      if (answer.status !== 200) throw failure('GET', path, answer, subject);
      return answer.data.compatibilityLevel;
    },

    async setCompatibilityLevel(subject, level) {
      const path = `/config/${encodeURIComponent(subject)}`;
      const answer = await request('PUT', path, { compatibility: level });
      if (answer.status !== 200) throw failure('PUT', path, answer, subject);
    },

    async checkCompatibility(subject, schema) {
      const path = `/compatibility${subjectPath(subject)}/versions/latest?verbose=true`;
      const answer = await request<{ is_compatible: boolean; messages?: string[] }>('POST', path, { schema });
      if (answer.status !== 200) throw failure('POST', path, answer, subject);
      if (answer.data.is_compatible) return { compatible: true, reasons: [] };
      const messages = answer.data.messages ?? [];
      return { compatible: false, reasons: messages.length > 0 ? messages : await apicurioReasons(subject, schema) };
    },

    async register(subject, schema) {
      const path = `${subjectPath(subject)}/versions`;
      const answer = await request<{ id: number }>('POST', path, { schema });
      if (answer.status !== 200) throw failure('POST', path, answer, subject);
      return answer.data.id;
    },
  };
}

function networkReason(error: AxiosError): string {
  // Node reports a refused dual-stack connection as an AggregateError with an empty message.
  if (error.message) return error.message;
  return error.code ?? 'no answer';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
