import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The parse result of one raw value: the typed value, or a reason it was refused. */
export type Parsed<T> = { ok: true; value: T } | { ok: false };

/** What parsing a path needs besides its text. */
export interface ParseContext {
  /** The directory `~` stands for. */
  readonly home: string;
  /**
   * The config file's folder, for values read from that file: a relative path there means the
   * same thing wherever the command runs. Undefined for environment values, which stay relative
   * to the working directory like any shell path.
   */
  readonly baseDir: string | undefined;
}

/**
 * One configuration key: its environment variable, its dotted key in the config file,
 * how to parse it, what a person should write instead when it is wrong, and its default.
 */
export interface Setting<T> {
  readonly env: string;
  readonly file: string;
  readonly expected: string;
  readonly parse: (raw: string, context: ParseContext) => Parsed<T>;
  readonly default: (env: NodeJS.ProcessEnv) => T;
  /** Secret values are masked in messages and may also be read from `<ENV>_FILE`. */
  readonly secret?: boolean;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const refused = { ok: false } as const;

const HOST_PORT = /^[A-Za-z0-9.-]+:(\d{1,5})$/;
const validPort = (port: string): boolean => Number(port) >= 1 && Number(port) <= 65535;

export const parse = {
  string:
    (pattern: RegExp = /^.+$/) =>
    (raw: string): Parsed<string> =>
      pattern.test(raw) ? ok(raw) : refused,
  optionalString: (raw: string): Parsed<string | undefined> => ok(raw === '' ? undefined : raw),
  hostPort: (raw: string): Parsed<string> => {
    const match = HOST_PORT.exec(raw.trim());
    return match && validPort(match[1] ?? '') ? ok(raw.trim()) : refused;
  },
  hostPortList: (raw: string): Parsed<string[]> => {
    const items = raw.split(',').map((item) => item.trim());
    if (items.length === 0 || items.some((item) => !parse.hostPort(item).ok)) return refused;
    return ok(items);
  },
  httpUrl: (raw: string): Parsed<string> => {
    const trimmed = raw.trim();
    try {
      const url = new URL(trimmed);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return refused;
      return ok(trimmed.replace(/\/+$/, ''));
    } catch {
      return refused;
    }
  },
  boolean: (raw: string): Parsed<boolean> => {
    const normalised = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(normalised)) return ok(true);
    if (['false', '0', 'no', 'off'].includes(normalised)) return ok(false);
    return refused;
  },
  oneOf:
    <T extends string>(choices: readonly T[]) =>
    (raw: string): Parsed<T> =>
      (choices as readonly string[]).includes(raw.trim().toLowerCase()) ? ok(raw.trim().toLowerCase() as T) : refused,
  existingFile: (raw: string, context: ParseContext): Parsed<string | undefined> => {
    if (raw === '') return ok(undefined);
    const path = resolvePath(raw, context);
    return isRegularFile(path) ? ok(path) : refused;
  },
  directory: (raw: string, context: ParseContext): Parsed<string> =>
    raw.trim() === '' ? refused : ok(resolvePath(raw.trim(), context)),
};

/** `env.HOME` when given (so a caller's env option decides, as it does for XDG_*), else the OS's answer. */
export const homeOf = (env: NodeJS.ProcessEnv): string => env.HOME || homedir();

/** Expands `~` and `~/…` (not `~user`), then anchors a relative path at the config file's folder. */
function resolvePath(raw: string, context: ParseContext): string {
  const expanded = raw === '~' || raw.startsWith('~/') ? join(context.home, raw.slice(1)) : raw;
  return context.baseDir === undefined ? expanded : resolve(context.baseDir, expanded);
}

/** A directory exists but is no PEM file; refusing it here names the key, instead of failing later when a client connects. */
function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const cacheHome = (env: NodeJS.ProcessEnv): string => env.XDG_CACHE_HOME || join(homeOf(env), '.cache');
const dataHome = (env: NodeJS.ProcessEnv): string => env.XDG_DATA_HOME || join(homeOf(env), '.local', 'share');

export const SASL_MECHANISMS = ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanismSetting = (typeof SASL_MECHANISMS)[number];
export const STACK_MODES = ['local', 'docker'] as const;
export const FLINK_SERVICES = ['rest', 'kubernetes'] as const;
export type FlinkServiceSetting = (typeof FLINK_SERVICES)[number];
/** Where Kubernetes mounts a pod's service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** A namespace name (RFC 1123 label), as the API server accepts it. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export type StackMode = (typeof STACK_MODES)[number];

const never = () => undefined;

/** Every configuration key Tributary reads, in one table. Defaults point at the local stack. */
export const SETTINGS = {
  kafkaBrokers: {
    env: 'TRIBUTARY_KAFKA_BROKERS',
    file: 'kafka.brokers',
    expected: 'a comma-separated list of host:port, e.g. 127.0.0.1:9092',
    parse: parse.hostPortList,
    default: () => ['127.0.0.1:9092'],
  },
  kafkaClientId: {
    env: 'TRIBUTARY_KAFKA_CLIENT_ID',
    file: 'kafka.clientId',
    expected: 'letters, digits, ".", "_" or "-"',
    parse: parse.string(/^[A-Za-z0-9._-]+$/),
    default: () => 'tributary',
  },
  kafkaTls: {
    env: 'TRIBUTARY_KAFKA_TLS',
    file: 'kafka.tls.enabled',
    expected: 'true or false',
    parse: parse.boolean,
    default: () => false,
  },
  kafkaTlsCaFile: {
    env: 'TRIBUTARY_KAFKA_TLS_CA_FILE',
    file: 'kafka.tls.caFile',
    expected: 'the path of an existing PEM file',
    parse: parse.existingFile,
    default: never,
  },
  kafkaTlsCertFile: {
    env: 'TRIBUTARY_KAFKA_TLS_CERT_FILE',
    file: 'kafka.tls.certFile',
    expected: 'the path of an existing PEM file',
    parse: parse.existingFile,
    default: never,
  },
  kafkaTlsKeyFile: {
    env: 'TRIBUTARY_KAFKA_TLS_KEY_FILE',
    file: 'kafka.tls.keyFile',
    expected: 'the path of an existing PEM file',
    parse: parse.existingFile,
    default: never,
  },
  kafkaSaslMechanism: {
    env: 'TRIBUTARY_KAFKA_SASL_MECHANISM',
    file: 'kafka.sasl.mechanism',
    expected: `one of ${SASL_MECHANISMS.join(', ')}`,
    parse: parse.oneOf(SASL_MECHANISMS),
    default: (): SaslMechanismSetting => 'none',
  },
  kafkaSaslUsername: {
    env: 'TRIBUTARY_KAFKA_SASL_USERNAME',
    file: 'kafka.sasl.username',
    expected: 'a user name',
    parse: parse.optionalString,
    default: never,
  },
  kafkaSaslPassword: {
    env: 'TRIBUTARY_KAFKA_SASL_PASSWORD',
    file: 'kafka.sasl.password',
    expected: 'a password',
    parse: parse.optionalString,
    default: never,
    secret: true,
  },
  schemaRegistryUrl: {
    env: 'TRIBUTARY_SCHEMA_REGISTRY_URL',
    file: 'schemaRegistry.url',
    expected: 'an http(s) URL of a Confluent-compatible registry API',
    parse: parse.httpUrl,
    default: () => 'http://127.0.0.1:8085/apis/ccompat/v7',
  },
  schemaRegistryUsername: {
    env: 'TRIBUTARY_SCHEMA_REGISTRY_USERNAME',
    file: 'schemaRegistry.username',
    expected: 'a user name',
    parse: parse.optionalString,
    default: never,
  },
  schemaRegistryPassword: {
    env: 'TRIBUTARY_SCHEMA_REGISTRY_PASSWORD',
    file: 'schemaRegistry.password',
    expected: 'a password',
    parse: parse.optionalString,
    default: never,
    secret: true,
  },
  temporalAddress: {
    env: 'TRIBUTARY_TEMPORAL_ADDRESS',
    file: 'temporal.address',
    expected: 'host:port of the Temporal frontend, e.g. 127.0.0.1:7233',
    parse: parse.hostPort,
    default: () => '127.0.0.1:7233',
  },
  temporalNamespace: {
    env: 'TRIBUTARY_TEMPORAL_NAMESPACE',
    file: 'temporal.namespace',
    expected: 'a Temporal namespace name (letters, digits, ".", "_" or "-")',
    parse: parse.string(/^[A-Za-z0-9._-]+$/),
    default: () => 'default',
  },
  temporalTaskQueue: {
    env: 'TRIBUTARY_TEMPORAL_TASK_QUEUE',
    file: 'temporal.taskQueue',
    expected: 'a task queue name without spaces',
    parse: parse.string(/^\S+$/),
    default: () => 'tributary',
  },
  temporalUiUrl: {
    env: 'TRIBUTARY_TEMPORAL_UI_URL',
    file: 'temporal.uiUrl',
    expected: 'an http(s) URL of the Temporal Web UI',
    parse: parse.httpUrl,
    default: () => 'http://127.0.0.1:8233',
  },
  temporalTls: {
    env: 'TRIBUTARY_TEMPORAL_TLS',
    file: 'temporal.tls.enabled',
    expected: 'true or false',
    parse: parse.boolean,
    default: () => false,
  },
  temporalTlsCaFile: {
    env: 'TRIBUTARY_TEMPORAL_TLS_CA_FILE',
    file: 'temporal.tls.caFile',
    expected: 'the path of an existing PEM file',
    parse: parse.existingFile,
    default: never,
  },
  temporalTlsCertFile: {
    env: 'TRIBUTARY_TEMPORAL_TLS_CERT_FILE',
    file: 'temporal.tls.certFile',
    expected: 'the path of an existing PEM file',
    parse: parse.existingFile,
    default: never,
  },
  temporalTlsKeyFile: {
    env: 'TRIBUTARY_TEMPORAL_TLS_KEY_FILE',
    file: 'temporal.tls.keyFile',
    expected: 'the path of an existing PEM file',
    parse: parse.existingFile,
    default: never,
  },
  temporalTlsServerName: {
    env: 'TRIBUTARY_TEMPORAL_TLS_SERVER_NAME',
    file: 'temporal.tls.serverName',
    expected: 'a host name',
    parse: parse.optionalString,
    default: never,
  },
  temporalApiKey: {
    env: 'TRIBUTARY_TEMPORAL_API_KEY',
    file: 'temporal.apiKey',
    expected: 'an API key',
    parse: parse.optionalString,
    default: never,
    secret: true,
  },
  temporalWorkerMetricsAddress: {
    env: 'TRIBUTARY_TEMPORAL_WORKER_METRICS_ADDRESS',
    file: 'temporal.workerMetricsAddress',
    expected: 'host:port for the worker\'s Prometheus /metrics, e.g. 0.0.0.0:9465 (empty: off)',
    parse: (raw: string): Parsed<string | undefined> => (raw.trim() === '' ? ok(undefined) : parse.hostPort(raw)),
    default: never,
  },
  temporalWorkerHealthAddress: {
    env: 'TRIBUTARY_TEMPORAL_WORKER_HEALTH_ADDRESS',
    file: 'temporal.workerHealthAddress',
    expected: 'host:port for the worker\'s /healthz and /readyz, e.g. 0.0.0.0:9466 (empty: off)',
    parse: (raw: string): Parsed<string | undefined> => (raw.trim() === '' ? ok(undefined) : parse.hostPort(raw)),
    default: never,
  },
  flinkRestUrl: {
    env: 'TRIBUTARY_FLINK_REST_URL',
    file: 'flink.restUrl',
    expected: 'an http(s) URL of the Flink REST API',
    parse: parse.httpUrl,
    default: () => 'http://127.0.0.1:8081',
  },
  flinkSqlGatewayUrl: {
    env: 'TRIBUTARY_FLINK_SQL_GATEWAY_URL',
    file: 'flink.sqlGatewayUrl',
    expected: 'an http(s) URL of the Flink SQL Gateway REST API',
    parse: parse.httpUrl,
    default: () => 'http://127.0.0.1:8083',
  },
  flinkService: {
    env: 'TRIBUTARY_FLINK_SERVICE',
    file: 'flink.service',
    expected: `one of ${FLINK_SERVICES.join(', ')}`,
    parse: parse.oneOf(FLINK_SERVICES),
    default: (): FlinkServiceSetting => 'rest',
  },
  flinkKubernetesNamespace: {
    env: 'TRIBUTARY_FLINK_KUBERNETES_NAMESPACE',
    file: 'flink.kubernetes.namespace',
    expected: 'a Kubernetes namespace name (lower-case letters, digits and "-", at most 63; empty: the service account\'s namespace)',
    parse: (raw: string): Parsed<string | undefined> => (raw.trim() === '' ? ok(undefined) : parse.string(NAMESPACE)(raw.trim())),
    // Undefined: the namespace file of the service account, read when the Kubernetes service is built.
    default: never,
  },
  flinkKubernetesApiUrl: {
    env: 'TRIBUTARY_FLINK_KUBERNETES_API_URL',
    file: 'flink.kubernetes.apiUrl',
    expected: 'an http(s) URL of the Kubernetes API server',
    parse: parse.httpUrl,
    default: () => 'https://kubernetes.default.svc',
  },
  flinkKubernetesServiceAccountDir: {
    env: 'TRIBUTARY_FLINK_KUBERNETES_SERVICE_ACCOUNT_DIR',
    file: 'flink.kubernetes.serviceAccountDir',
    expected: 'a directory path holding token, ca.crt and namespace',
    parse: parse.directory,
    default: () => SERVICE_ACCOUNT_DIR,
  },
  cacheDir: {
    env: 'TRIBUTARY_CACHE_DIR',
    file: 'paths.cacheDir',
    expected: 'a directory path',
    parse: parse.directory,
    default: (env: NodeJS.ProcessEnv) => join(cacheHome(env), 'tributary'),
  },
  dataDir: {
    env: 'TRIBUTARY_DATA_DIR',
    file: 'paths.dataDir',
    expected: 'a directory path',
    parse: parse.directory,
    default: (env: NodeJS.ProcessEnv) => join(dataHome(env), 'tributary'),
  },
  topicPrefix: {
    env: 'TRIBUTARY_TOPIC_PREFIX',
    file: 'topics.prefix',
    expected: 'letters, digits, ".", "_" or "-" (may be empty)',
    parse: parse.string(/^[A-Za-z0-9._-]*$/),
    default: () => 'tributary.',
  },
  piiHashKey: {
    env: 'TRIBUTARY_PII_HASH_KEY',
    file: 'pii.hashKey',
    expected: 'a secret of at least 16 characters',
    parse: parse.string(/^.{16,}$/),
    // A fixed key keeps local runs reproducible; production sets its own (see README).
    default: () => 'tributary-local-development-key',
    secret: true,
  },
  stackMode: {
    env: 'TRIBUTARY_STACK',
    file: 'stack.mode',
    expected: `one of ${STACK_MODES.join(', ')}`,
    parse: parse.oneOf(STACK_MODES),
    default: (): StackMode => 'local',
  },
} satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;
type ValueOf<S> = S extends { parse: (...args: never[]) => infer R } ? (R extends { ok: true; value: infer V } ? V : never) : never;
export type SettingValues = { [K in SettingName]: ValueOf<(typeof SETTINGS)[K]> };
