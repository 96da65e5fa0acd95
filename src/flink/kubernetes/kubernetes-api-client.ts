/**
 * A small typed client of the Kubernetes API server, enough for FlinkDeployments: read one,
 * list a namespace's, and change one with a JSON merge patch guarded by its resourceVersion.
 * Authenticates with the pod's service-account token, read again for every request because
 * the kubelet rotates it, and trusts the service account's CA. Over axios like the Flink REST
 * client; a full Kubernetes client library would bring hundreds of generated types for three calls.
 */
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import axios, { type AxiosInstance } from 'axios';
import { KubernetesRequestError, ServiceAccountError } from './kubernetes-errors.js';

/** Options of {@link KubernetesApiClient}. */
export interface KubernetesApiClientOptions {
  /** The API server, e.g. `https://kubernetes.default.svc`. */
  readonly apiUrl: string;
  /** Reads the bearer token for one request. @default none: no Authorization header (a test server) */
  readonly token?: () => Promise<string>;
  /** PEM CA bundle the API server's certificate is checked against. @default the system trust store */
  readonly ca?: string;
  /** How long one request may take. @default 10_000 */
  readonly requestTimeoutMs?: number;
  /** How many times a request that failed transiently is sent again. @default 4 */
  readonly retries?: number;
  /** Delay before the first retry, doubled for each next one. @default 250 */
  readonly retryBackoffMs?: number;
}

/** The fields of every Kubernetes object this client relies on. */
export interface KubernetesObject {
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly generation?: number;
    readonly annotations?: Readonly<Record<string, string>>;
  };
}

/** Statuses after which the same request may succeed: a concurrent change (409), throttling, the server's own trouble. */
const RETRIABLE_STATUSES = new Set([409, 429, 500, 502, 503, 504]);
/** Connection errors after which the request may succeed when sent again. */
const RETRIABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ERR_NETWORK']);
/** Changes to one object retried after a 409 before giving up: each retry reads the object again. */
const CONFLICT_ATTEMPTS = 5;

/** The token file of a service-account folder, read on each call. */
export const serviceAccountToken = (path: string) => async (): Promise<string> => {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new ServiceAccountError(path, 'token', error);
  }
};

/** The Kubernetes API status body of an error answer, whose `message` says what was refused. */
function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  return typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : undefined;
}

export class KubernetesApiClient {
  private readonly http: AxiosInstance;
  private readonly retries: number;
  private readonly retryBackoffMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: KubernetesApiClientOptions) {
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.retries = options.retries ?? 4;
    this.retryBackoffMs = options.retryBackoffMs ?? 250;
    this.http = axios.create({
      baseURL: options.apiUrl.replace(/\/+$/, ''),
      timeout: this.timeoutMs,
      validateStatus: () => true,
      ...(options.ca ? { httpsAgent: new Agent({ ca: options.ca }) } : {}),
      headers: { Accept: 'application/json' },
    });
  }

  /** The object at `path`, or undefined when the server answers 404. */
  async get<T>(path: string): Promise<T | undefined> {
    const answer = await this.send<T>('GET', path);
    return answer.status === 404 ? undefined : answer.body;
  }

  /** The items of a list (`…/flinkdeployments`). */
  async list<T>(path: string): Promise<T[]> {
    const answer = await this.send<{ items?: T[] }>('GET', path);
    if (answer.status === 404) throw this.error('GET', path, 404, answer.body, 'not found: is the FlinkDeployment CRD installed (the Flink Kubernetes Operator)?');
    return answer.body.items ?? [];
  }

  /**
   * Reads the object at `path`, asks `change` for a merge patch of what it read, and sends it with
   * the resourceVersion it read, so a concurrent writer's change is never overwritten: on 409 it
   * reads again and asks again. `change` returns undefined when nothing needs changing (it must
   * look at what it reads, since a retry may find its own earlier change already applied).
   * Resolves with the object as the server holds it afterwards; undefined when it does not exist.
   */
  async update<T extends KubernetesObject>(path: string, change: (current: T) => Record<string, unknown> | undefined): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get<T>(path);
      if (!current) return undefined;
      const patch = change(current);
      if (!patch) return current;
      const metadata = { ...((patch.metadata as Record<string, unknown> | undefined) ?? {}), resourceVersion: current.metadata.resourceVersion };
      const answer = await this.send<T>('PATCH', path, { ...patch, metadata }, { conflictIsAnswer: true });
      if (answer.status !== 409) return answer.body;
      if (attempt >= CONFLICT_ATTEMPTS) throw this.error('PATCH', path, 409, answer.body, `the object kept changing under ${CONFLICT_ATTEMPTS} attempts`, true);
    }
  }

  private async send<T>(method: 'GET' | 'PATCH', path: string, body?: unknown, { conflictIsAnswer = false } = {}): Promise<{ status: number; body: T }> {
    for (let attempt = 0; ; attempt++) {
      let failure: KubernetesRequestError;
      try {
        const response = await this.http.request({
          method,
          url: path,
          data: body,
          headers: {
            ...(this.options.token ? { Authorization: `Bearer ${await this.options.token()}` } : {}),
            ...(method === 'PATCH' ? { 'Content-Type': 'application/merge-patch+json' } : {}),
          },
        });
        const { status } = response;
        if ((status >= 200 && status < 300) || status === 404 || (status === 409 && conflictIsAnswer)) return { status, body: response.data as T };
        failure = this.error(method, path, status, response.data, this.advice(status), RETRIABLE_STATUSES.has(status));
      } catch (error) {
        if (error instanceof ServiceAccountError) throw error;
        const code = axios.isAxiosError(error) ? error.code : undefined;
        const reason = code === 'ECONNABORTED' ? `no answer within ${this.timeoutMs} ms` : (error as Error).message;
        failure = new KubernetesRequestError(reason, { method, url: this.url(path), retriable: code !== undefined && RETRIABLE_CODES.has(code), cause: error });
      }
      if (!failure.retriable || attempt >= this.retries) throw failure;
      await sleep(this.retryBackoffMs * 2 ** attempt);
    }
  }

  private advice(status: number): string {
    if (status === 401) return 'the service-account token was refused';
    if (status === 403) return 'the service account lacks this right: its Role needs get, list and patch on flinkdeployments.flink.apache.org';
    return `HTTP ${status}`;
  }

  private error(method: string, path: string, status: number, body: unknown, reason: string, retriable = false): KubernetesRequestError {
    const detail = statusMessage(body);
    return new KubernetesRequestError(`${reason}${detail ? `: ${detail}` : ''}`, { method, url: this.url(path), status, retriable });
  }

  private url(path: string): string {
    return `${this.options.apiUrl.replace(/\/+$/, '')}${path}`;
  }
}
