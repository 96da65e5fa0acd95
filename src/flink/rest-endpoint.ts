import axios, { type AxiosInstance, type Method } from 'axios';
import { FlinkRequestError, FlinkTimeoutError, type FlinkErrorContext } from './errors.js';

/** Options of a Flink REST client (the cluster's REST API or the SQL Gateway). */
export interface RestClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:8081`. */
  readonly baseUrl: string;
  /** How long one HTTP request may take. @default 10_000 */
  readonly requestTimeoutMs?: number;
  /** How many times a request that failed transiently is sent again. @default 3 */
  readonly retries?: number;
  /** Delay before the first retry, doubled for each next one. @default 250 */
  readonly retryBackoffMs?: number;
  /** How often `waitFor…` methods ask for the current state. @default 500 */
  readonly pollIntervalMs?: number;
}

export type CompiledRestClientOptions = Required<RestClientOptions>;

/** Validates options once, filling defaults; throws a `RangeError` naming every bad key. */
export function compileRestClientOptions(options: RestClientOptions): CompiledRestClientOptions {
  const compiled: CompiledRestClientOptions = {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    retries: options.retries ?? 3,
    retryBackoffMs: options.retryBackoffMs ?? 250,
    pollIntervalMs: options.pollIntervalMs ?? 500,
  };
  const problems: string[] = [];
  if (!URL.canParse(compiled.baseUrl) || !/^https?:$/.test(new URL(compiled.baseUrl).protocol)) {
    problems.push(`baseUrl=${JSON.stringify(options.baseUrl)}: expected an http(s) URL such as http://127.0.0.1:8081`);
  }
  const positive = (key: 'requestTimeoutMs' | 'pollIntervalMs'): void => {
    if (!Number.isInteger(compiled[key]) || compiled[key] <= 0) problems.push(`${key}=${compiled[key]}: expected a positive integer (milliseconds)`);
  };
  const nonNegative = (key: 'retries' | 'retryBackoffMs'): void => {
    if (!Number.isInteger(compiled[key]) || compiled[key] < 0) problems.push(`${key}=${compiled[key]}: expected an integer of 0 or more`);
  };
  positive('requestTimeoutMs');
  positive('pollIntervalMs');
  nonNegative('retries');
  nonNegative('retryBackoffMs');
  if (problems.length > 0) throw new RangeError(`invalid Flink client options:\n  ${problems.join('\n  ')}`);
  return compiled;
}

/**
 * Which failures a request may be sent again after. `idempotent` requests (reads, and
 * writes Flink deduplicates) retry on any transient failure; `once` requests retry only
 * when the server cannot have acted on them.
 */
export type RetryPolicy = 'idempotent' | 'once';

export interface RestRequest {
  readonly method: Method;
  /** Path below the base URL, starting with `/`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Extra headers, e.g. a multipart Content-Type that replaces the JSON default. */
  readonly headers?: Readonly<Record<string, string>>;
  /** How long this request may take, when it is not {@link RestClientOptions.requestTimeoutMs} (e.g. a jar run, which executes the job's main). */
  readonly timeoutMs?: number;
  readonly retry: RetryPolicy;
  /** What the request is about, carried by any error it throws. */
  readonly context?: FlinkErrorContext;
}

/** Connection errors after which the request never reached the server. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND']);
/** Connection errors after which the server may or may not have acted. */
const INTERRUPTED_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ERR_NETWORK']);
/** Flink answers 503 while no leader is elected, without acting on the request. */
const UNAVAILABLE_STATUSES = new Set([503]);
const GATEWAY_STATUSES = new Set([502, 504]);

/** Flink REST error bodies are `{ "errors": ["…", …] }`. */
function flinkErrorsOf(body: unknown): string[] {
  if (typeof body === 'object' && body !== null && Array.isArray((body as { errors?: unknown }).errors)) {
    return (body as { errors: unknown[] }).errors.map(String);
  }
  if (typeof body === 'string' && body.trim() !== '') return [body.trim()];
  return [];
}

/**
 * One Flink REST API over axios: explicit timeouts, bounded retries with exponential
 * backoff on transient failures, and errors that carry Flink's own error text.
 */
export class RestEndpoint {
  private readonly http: AxiosInstance;

  constructor(readonly options: CompiledRestClientOptions) {
    this.http = axios.create({
      baseURL: options.baseUrl,
      timeout: options.requestTimeoutMs,
      // Every status is answered to the caller here, so error bodies are read in one place.
      validateStatus: () => true,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    });
  }

  /** Sends a request and resolves with the response body of a 2xx answer. */
  async request<T>(request: RestRequest): Promise<T> {
    const url = `${this.options.baseUrl}${request.path}`;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.send<T>(request, url);
      if (outcome.ok) return outcome.body;
      if (!outcome.error.retriable || !this.mayRetry(request.retry, outcome) || attempt >= this.options.retries) {
        throw outcome.error;
      }
      await delay(this.options.retryBackoffMs * 2 ** attempt);
    }
  }

  /**
   * Calls `probe` every poll interval until it reports done, and resolves with its value;
   * throws a {@link FlinkTimeoutError} naming `waitedFor` and the last observation after
   * `timeoutMs`. An error thrown by `probe` ends the wait.
   */
  async pollUntil<T>(
    waitedFor: string,
    timeoutMs: number,
    probe: () => Promise<{ done: true; value: T } | { done: false; observed: string }>,
    context: FlinkErrorContext = {},
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await probe();
      if (result.done) return result.value;
      if (Date.now() >= deadline) throw new FlinkTimeoutError(waitedFor, timeoutMs, result.observed, context);
      await delay(Math.min(this.options.pollIntervalMs, Math.max(0, deadline - Date.now())));
    }
  }

  private mayRetry(policy: RetryPolicy, outcome: FailedOutcome): boolean {
    if (policy === 'idempotent') return true;
    return outcome.unsent;
  }

  private async send<T>(request: RestRequest, url: string): Promise<SentOutcome<T>> {
    const context = { ...request.context, method: request.method.toUpperCase(), url };
    try {
      const response = await this.http.request({
        method: request.method,
        url: request.path,
        params: request.query,
        data: request.body,
        ...(request.headers ? { headers: request.headers } : {}),
        ...(request.timeoutMs ? { timeout: request.timeoutMs } : {}),
      });
      if (response.status >= 200 && response.status < 300) return { ok: true, body: response.data as T };
      const flinkErrors = flinkErrorsOf(response.data);
      const retriable = UNAVAILABLE_STATUSES.has(response.status) || GATEWAY_STATUSES.has(response.status);
      return {
        ok: false,
        unsent: UNAVAILABLE_STATUSES.has(response.status),
        error: new FlinkRequestError(`HTTP ${response.status}`, { ...context, status: response.status, flinkErrors, retriable }),
      };
    } catch (error) {
      const code = axios.isAxiosError(error) ? error.code : undefined;
      const unsent = code !== undefined && UNSENT_CODES.has(code);
      const retriable = unsent || (code !== undefined && INTERRUPTED_CODES.has(code));
      const reason = code === 'ECONNABORTED' ? `no answer within ${request.timeoutMs ?? this.options.requestTimeoutMs} ms` : (error as Error).message;
      return { ok: false, unsent, error: new FlinkRequestError(reason, { ...context, retriable, cause: error }) };
    }
  }
}

interface FailedOutcome {
  readonly ok: false;
  /** The server cannot have acted on the request. */
  readonly unsent: boolean;
  readonly error: FlinkRequestError;
}

type SentOutcome<T> = { readonly ok: true; readonly body: T } | FailedOutcome;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
