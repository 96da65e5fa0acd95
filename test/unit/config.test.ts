import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, type LoadConfigOptions, type TributaryConfig } from '../../src/config/config.js';
import { ConfigError, formatConfigIssue } from '../../src/config/errors.js';

// os.homedir() reads HOME on POSIX, so stubbing it makes every home-derived path known in advance.
const HOME = '/home/ada';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/config/${name}`, import.meta.url));

const DEFAULTS: TributaryConfig = {
  kafka: { brokers: ['127.0.0.1:9092'], clientId: 'tributary', tls: undefined, sasl: undefined },
  schemaRegistry: { url: 'http://127.0.0.1:8085/apis/ccompat/v7', auth: undefined },
  temporal: {
    address: '127.0.0.1:7233',
    namespace: 'default',
    taskQueue: 'tributary',
    uiUrl: 'http://127.0.0.1:8233',
    tls: undefined,
    apiKey: undefined,
    workerMetricsAddress: undefined,
    workerHealthAddress: undefined,
  },
  flink: {
    restUrl: 'http://127.0.0.1:8081',
    sqlGatewayUrl: 'http://127.0.0.1:8083',
    service: 'rest',
    kubernetes: { namespace: undefined, apiUrl: 'https://kubernetes.default.svc', serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount' },
  },
  paths: { cacheDir: '/home/ada/.cache/tributary', dataDir: '/home/ada/.local/share/tributary' },
  topics: { prefix: 'tributary.' },
  pii: { hashKey: 'tributary-local-development-key' },
  stack: { mode: 'local' },
};

/** Runs loadConfig and returns the ConfigError it must throw; anything else fails the test. */
function configError(options: LoadConfigOptions): ConfigError {
  try {
    loadConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw a ConfigError, but it returned a configuration');
}

/** The full message a person sees: the header and one indented line per problem. */
function message(...lines: string[]): string {
  const count = `${lines.length} problem${lines.length === 1 ? '' : 's'}`;
  return [`invalid configuration (${count}):`, ...lines.map((line) => `  ${line}`)].join('\n');
}

let tmp: string;
let caPem: string;
let certPem: string;
let keyPem: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tributary-config-test-'));
  caPem = join(tmp, 'ca.pem');
  certPem = join(tmp, 'client.pem');
  keyPem = join(tmp, 'client-key.pem');
  for (const path of [caPem, certPem, keyPem]) writeFileSync(path, '-----BEGIN CERTIFICATE-----\n');
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  vi.stubEnv('HOME', HOME);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('defaults', () => {
  it('returns the local-stack configuration for an empty environment', () => {
    expect(loadConfig({ env: {} })).toStrictEqual(DEFAULTS);
  });

  it('ignores variables that do not start with TRIBUTARY_', () => {
    expect(loadConfig({ env: { PATH: '/usr/bin', KAFKA_BROKERS: 'nowhere', tributary_stack: 'k8s' } })).toStrictEqual(DEFAULTS);
  });

  it('derives the cache and data directories from XDG_CACHE_HOME and XDG_DATA_HOME', () => {
    const config = loadConfig({ env: { XDG_CACHE_HOME: '/var/cache/ada', XDG_DATA_HOME: '/var/lib/ada' } });
    expect(config.paths).toStrictEqual({ cacheDir: '/var/cache/ada/tributary', dataDir: '/var/lib/ada/tributary' });
  });

  it('falls back to the home directory when the XDG variables are empty', () => {
    const config = loadConfig({ env: { XDG_CACHE_HOME: '', XDG_DATA_HOME: '' } });
    expect(config.paths).toStrictEqual({ cacheDir: '/home/ada/.cache/tributary', dataDir: '/home/ada/.local/share/tributary' });
  });

  it('lets TRIBUTARY_CACHE_DIR and TRIBUTARY_DATA_DIR win over the XDG variables', () => {
    const config = loadConfig({
      env: { XDG_CACHE_HOME: '/xdg/cache', XDG_DATA_HOME: '/xdg/data', TRIBUTARY_CACHE_DIR: '/srv/cache', TRIBUTARY_DATA_DIR: '/srv/data' },
    });
    expect(config.paths).toStrictEqual({ cacheDir: '/srv/cache', dataDir: '/srv/data' });
  });

  it('reads no config file when TRIBUTARY_CONFIG is empty', () => {
    expect(loadConfig({ env: { TRIBUTARY_CONFIG: '' } })).toStrictEqual(DEFAULTS);
  });
});

describe('valid overrides from the environment', () => {
  it('splits the broker list and trims the spaces around each broker', () => {
    const config = loadConfig({ env: { TRIBUTARY_KAFKA_BROKERS: ' kafka-0:9092 ,kafka-1.internal:19092,  10.0.0.7:9093 ' } });
    expect(config.kafka.brokers).toStrictEqual(['kafka-0:9092', 'kafka-1.internal:19092', '10.0.0.7:9093']);
  });

  it('accepts the port boundaries 1 and 65535 and trims the Temporal address', () => {
    expect(loadConfig({ env: { TRIBUTARY_KAFKA_BROKERS: 'a:1,b:65535' } }).kafka.brokers).toStrictEqual(['a:1', 'b:65535']);
    expect(loadConfig({ env: { TRIBUTARY_TEMPORAL_ADDRESS: ' temporal.internal:7233 ' } }).temporal.address).toBe('temporal.internal:7233');
  });

  it('removes trailing slashes from URLs and accepts https', () => {
    const config = loadConfig({
      env: {
        TRIBUTARY_SCHEMA_REGISTRY_URL: 'https://registry.internal/apis/ccompat/v7/',
        TRIBUTARY_TEMPORAL_UI_URL: 'http://temporal-ui:8080//',
        TRIBUTARY_FLINK_REST_URL: 'http://flink:8081/',
        TRIBUTARY_FLINK_SQL_GATEWAY_URL: 'https://gateway.internal',
      },
    });
    expect(config.schemaRegistry.url).toBe('https://registry.internal/apis/ccompat/v7');
    expect(config.temporal.uiUrl).toBe('http://temporal-ui:8080');
    expect(config.flink).toStrictEqual({ ...DEFAULTS.flink, restUrl: 'http://flink:8081', sqlGatewayUrl: 'https://gateway.internal' });
  });

  it('chooses the Kubernetes Flink service, its namespace, API server and service-account folder', () => {
    const config = loadConfig({
      env: {
        TRIBUTARY_FLINK_SERVICE: ' Kubernetes ',
        TRIBUTARY_FLINK_KUBERNETES_NAMESPACE: 'tributary-prod',
        TRIBUTARY_FLINK_KUBERNETES_API_URL: 'https://10.0.0.1:6443/',
        TRIBUTARY_FLINK_KUBERNETES_SERVICE_ACCOUNT_DIR: '~/sa',
      },
    });
    expect(config.flink.service).toBe('kubernetes');
    expect(config.flink.kubernetes).toStrictEqual({ namespace: 'tributary-prod', apiUrl: 'https://10.0.0.1:6443', serviceAccountDir: '/home/ada/sa' });
  });

  it('leaves the namespace to the service account when TRIBUTARY_FLINK_KUBERNETES_NAMESPACE is empty', () => {
    expect(loadConfig({ env: { TRIBUTARY_FLINK_KUBERNETES_NAMESPACE: '' } }).flink.kubernetes.namespace).toBeUndefined();
  });

  it.each(['true', 'TRUE', '1', 'yes', 'Yes', 'on', ' On '])('reads %j as true', (spelling) => {
    const config = loadConfig({ env: { TRIBUTARY_KAFKA_TLS: spelling, TRIBUTARY_TEMPORAL_TLS: spelling } });
    expect(config.kafka.tls).toStrictEqual({ caFile: undefined, certFile: undefined, keyFile: undefined });
    expect(config.temporal.tls).toStrictEqual({ caFile: undefined, certFile: undefined, keyFile: undefined, serverName: undefined });
  });

  it.each(['false', 'FALSE', '0', 'no', 'off', ' Off '])('reads %j as false', (spelling) => {
    const config = loadConfig({ env: { TRIBUTARY_KAFKA_TLS: spelling, TRIBUTARY_TEMPORAL_TLS: spelling } });
    expect(config.kafka.tls).toBeUndefined();
    expect(config.temporal.tls).toBeUndefined();
  });

  it('matches enum values case-insensitively and trims them', () => {
    expect(loadConfig({ env: { TRIBUTARY_STACK: ' Docker ' } }).stack.mode).toBe('docker');
    expect(loadConfig({ env: { TRIBUTARY_STACK: 'LOCAL' } }).stack.mode).toBe('local');
  });

  it('expands ~ and ~/ to the home directory in directory settings, and trims them', () => {
    expect(loadConfig({ env: { TRIBUTARY_CACHE_DIR: '~/tributary-cache', TRIBUTARY_DATA_DIR: '~' } }).paths).toStrictEqual({
      cacheDir: '/home/ada/tributary-cache',
      dataDir: '/home/ada',
    });
    expect(loadConfig({ env: { TRIBUTARY_DATA_DIR: ' /srv/data ' } }).paths.dataDir).toBe('/srv/data');
  });

  it('leaves ~user paths and relative paths as written', () => {
    const config = loadConfig({ env: { TRIBUTARY_CACHE_DIR: '~bob/cache', TRIBUTARY_DATA_DIR: 'state/data' } });
    expect(config.paths).toStrictEqual({ cacheDir: '~bob/cache', dataDir: 'state/data' });
  });

  it('accepts names, the task queue and an empty topic prefix', () => {
    const config = loadConfig({
      env: {
        TRIBUTARY_KAFKA_CLIENT_ID: 'scorer_7.blue-green',
        TRIBUTARY_TEMPORAL_NAMESPACE: 'mlops.prod',
        TRIBUTARY_TEMPORAL_TASK_QUEUE: 'training/gpu#1',
        TRIBUTARY_TOPIC_PREFIX: '',
      },
    });
    expect(config.kafka.clientId).toBe('scorer_7.blue-green');
    expect(config.temporal.namespace).toBe('mlops.prod');
    expect(config.temporal.taskQueue).toBe('training/gpu#1');
    expect(config.topics.prefix).toBe('');
  });

  it.each(['plain', 'SCRAM-SHA-256', 'scram-sha-512'])('builds complete SASL settings for mechanism %j', (mechanism) => {
    const config = loadConfig({
      env: { TRIBUTARY_KAFKA_SASL_MECHANISM: mechanism, TRIBUTARY_KAFKA_SASL_USERNAME: 'svc-scorer', TRIBUTARY_KAFKA_SASL_PASSWORD: 'pa55' },
    });
    expect(config.kafka.sasl).toStrictEqual({ mechanism: mechanism.toLowerCase(), username: 'svc-scorer', password: 'pa55' });
  });

  it('has no SASL settings when the mechanism is none', () => {
    expect(loadConfig({ env: { TRIBUTARY_KAFKA_SASL_MECHANISM: 'none' } }).kafka.sasl).toBeUndefined();
  });

  it('builds Kafka and Temporal TLS settings from existing PEM files', () => {
    const config = loadConfig({
      env: {
        TRIBUTARY_KAFKA_TLS: 'true',
        TRIBUTARY_KAFKA_TLS_CA_FILE: caPem,
        TRIBUTARY_KAFKA_TLS_CERT_FILE: certPem,
        TRIBUTARY_KAFKA_TLS_KEY_FILE: keyPem,
        TRIBUTARY_TEMPORAL_TLS: 'yes',
        TRIBUTARY_TEMPORAL_TLS_CA_FILE: caPem,
        TRIBUTARY_TEMPORAL_TLS_CERT_FILE: certPem,
        TRIBUTARY_TEMPORAL_TLS_KEY_FILE: keyPem,
        TRIBUTARY_TEMPORAL_TLS_SERVER_NAME: 'ns.tmprl.cloud',
      },
    });
    expect(config.kafka.tls).toStrictEqual({ caFile: caPem, certFile: certPem, keyFile: keyPem });
    expect(config.temporal.tls).toStrictEqual({ caFile: caPem, certFile: certPem, keyFile: keyPem, serverName: 'ns.tmprl.cloud' });
  });

  it('treats empty PEM paths and empty optional strings as unset', () => {
    const config = loadConfig({
      env: {
        TRIBUTARY_KAFKA_TLS: 'on',
        TRIBUTARY_KAFKA_TLS_CA_FILE: '',
        TRIBUTARY_KAFKA_TLS_CERT_FILE: '',
        TRIBUTARY_KAFKA_TLS_KEY_FILE: '',
        TRIBUTARY_TEMPORAL_API_KEY: '',
        TRIBUTARY_SCHEMA_REGISTRY_USERNAME: '',
        TRIBUTARY_SCHEMA_REGISTRY_PASSWORD: '',
      },
    });
    expect(config.kafka.tls).toStrictEqual({ caFile: undefined, certFile: undefined, keyFile: undefined });
    expect(config.temporal.apiKey).toBeUndefined();
    expect(config.schemaRegistry.auth).toBeUndefined();
  });

  it('builds schema registry auth from a user name and password', () => {
    const config = loadConfig({ env: { TRIBUTARY_SCHEMA_REGISTRY_USERNAME: 'reader', TRIBUTARY_SCHEMA_REGISTRY_PASSWORD: 'r3ad' } });
    expect(config.schemaRegistry.auth).toStrictEqual({ username: 'reader', password: 'r3ad' });
  });

  it('reads secrets from <ENV>_FILE, trimming surrounding whitespace', () => {
    const saslPassword = join(tmp, 'sasl-password');
    const registryPassword = join(tmp, 'registry-password');
    const apiKey = join(tmp, 'temporal-api-key');
    writeFileSync(saslPassword, '  s3cret\n');
    writeFileSync(registryPassword, 'r3ad\n');
    writeFileSync(apiKey, 'tmprl-key-123');
    const config = loadConfig({
      env: {
        TRIBUTARY_KAFKA_SASL_MECHANISM: 'plain',
        TRIBUTARY_KAFKA_SASL_USERNAME: 'svc',
        TRIBUTARY_KAFKA_SASL_PASSWORD_FILE: saslPassword,
        TRIBUTARY_SCHEMA_REGISTRY_USERNAME: 'reader',
        TRIBUTARY_SCHEMA_REGISTRY_PASSWORD_FILE: registryPassword,
        TRIBUTARY_TEMPORAL_API_KEY_FILE: apiKey,
        TRIBUTARY_TEMPORAL_TLS: 'true',
      },
    });
    expect(config.kafka.sasl).toStrictEqual({ mechanism: 'plain', username: 'svc', password: 's3cret' });
    expect(config.schemaRegistry.auth).toStrictEqual({ username: 'reader', password: 'r3ad' });
    expect(config.temporal.apiKey).toBe('tmprl-key-123');
  });

  it('reads <ENV>_FILE when the secret variable itself is empty', () => {
    const apiKey = join(tmp, 'compose-api-key');
    writeFileSync(apiKey, 'from-file');
    const config = loadConfig({ env: { TRIBUTARY_TEMPORAL_API_KEY: '', TRIBUTARY_TEMPORAL_API_KEY_FILE: apiKey, TRIBUTARY_TEMPORAL_TLS: 'true' } });
    expect(config.temporal.apiKey).toBe('from-file');
  });

  it('expands ~ in PEM paths', () => {
    const config = loadConfig({ env: { HOME: tmp, TRIBUTARY_KAFKA_TLS: 'true', TRIBUTARY_KAFKA_TLS_CA_FILE: '~/ca.pem' } });
    expect(config.kafka.tls?.caFile).toBe(caPem);
  });

  it('uses env.HOME from the env option for ~ and the default directories', () => {
    expect(loadConfig({ env: { HOME: '/home/grace' } }).paths).toStrictEqual({
      cacheDir: '/home/grace/.cache/tributary',
      dataDir: '/home/grace/.local/share/tributary',
    });
    expect(loadConfig({ env: { HOME: '/home/grace', TRIBUTARY_CACHE_DIR: '~/cache' } }).paths.cacheDir).toBe('/home/grace/cache');
  });
});

describe('invalid environment values', () => {
  it.each([
    ['kafka:9092,kafka-1', 'TRIBUTARY_KAFKA_BROKERS="kafka:9092,kafka-1" (environment): expected a comma-separated list of host:port, e.g. 127.0.0.1:9092'],
    ['kafka-0:9092,', 'TRIBUTARY_KAFKA_BROKERS="kafka-0:9092," (environment): expected a comma-separated list of host:port, e.g. 127.0.0.1:9092'],
    ['', 'TRIBUTARY_KAFKA_BROKERS="" (environment): expected a comma-separated list of host:port, e.g. 127.0.0.1:9092'],
    ['http://kafka:9092', 'TRIBUTARY_KAFKA_BROKERS="http://kafka:9092" (environment): expected a comma-separated list of host:port, e.g. 127.0.0.1:9092'],
  ])('refuses the broker list %j', (value, line) => {
    expect(configError({ env: { TRIBUTARY_KAFKA_BROKERS: value } }).message).toBe(message(line));
  });

  it.each([
    ['temporal', 'TRIBUTARY_TEMPORAL_ADDRESS="temporal" (environment): expected host:port of the Temporal frontend, e.g. 127.0.0.1:7233'],
    ['temporal:0', 'TRIBUTARY_TEMPORAL_ADDRESS="temporal:0" (environment): expected host:port of the Temporal frontend, e.g. 127.0.0.1:7233'],
    ['temporal:65536', 'TRIBUTARY_TEMPORAL_ADDRESS="temporal:65536" (environment): expected host:port of the Temporal frontend, e.g. 127.0.0.1:7233'],
    ['temporal:123456', 'TRIBUTARY_TEMPORAL_ADDRESS="temporal:123456" (environment): expected host:port of the Temporal frontend, e.g. 127.0.0.1:7233'],
  ])('refuses the Temporal address %j', (value, line) => {
    expect(configError({ env: { TRIBUTARY_TEMPORAL_ADDRESS: value } }).message).toBe(message(line));
  });

  it('refuses a short PII hash key without printing it', () => {
    expect(configError({ env: { TRIBUTARY_PII_HASH_KEY: 'hunter2' } }).message).toBe(
      message('TRIBUTARY_PII_HASH_KEY="***" (environment): expected a secret of at least 16 characters'),
    );
  });

  it('refuses a broker whose port is out of range', () => {
    expect(configError({ env: { TRIBUTARY_KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:70000' } }).message).toBe(
      message('TRIBUTARY_KAFKA_BROKERS="127.0.0.1:9092,127.0.0.1:70000" (environment): expected a comma-separated list of host:port, e.g. 127.0.0.1:9092'),
    );
  });

  it.each([
    ['TRIBUTARY_FLINK_REST_URL', 'ftp://flink:8081', 'an http(s) URL of the Flink REST API'],
    ['TRIBUTARY_FLINK_REST_URL', 'localhost:8081', 'an http(s) URL of the Flink REST API'],
    ['TRIBUTARY_FLINK_SQL_GATEWAY_URL', 'flink gateway', 'an http(s) URL of the Flink SQL Gateway REST API'],
    ['TRIBUTARY_SCHEMA_REGISTRY_URL', 'file:///tmp/registry', 'an http(s) URL of a Confluent-compatible registry API'],
    ['TRIBUTARY_TEMPORAL_UI_URL', '', 'an http(s) URL of the Temporal Web UI'],
    ['TRIBUTARY_FLINK_KUBERNETES_API_URL', 'kubernetes.default.svc:443', 'an http(s) URL of the Kubernetes API server'],
    ['TRIBUTARY_FLINK_KUBERNETES_NAMESPACE', 'Tributary_Prod', 'a Kubernetes namespace name (lower-case letters, digits and "-", at most 63; empty: the service account\'s namespace)'],
    ['TRIBUTARY_FLINK_KUBERNETES_NAMESPACE', `${'n'.repeat(64)}`, 'a Kubernetes namespace name (lower-case letters, digits and "-", at most 63; empty: the service account\'s namespace)'],
    ['TRIBUTARY_FLINK_KUBERNETES_NAMESPACE', '-tributary', 'a Kubernetes namespace name (lower-case letters, digits and "-", at most 63; empty: the service account\'s namespace)'],
    ['TRIBUTARY_FLINK_KUBERNETES_SERVICE_ACCOUNT_DIR', ' ', 'a directory path holding token, ca.crt and namespace'],
  ])('refuses %s=%j', (name, value, expected) => {
    expect(configError({ env: { [name]: value } }).message).toBe(message(`${name}=${JSON.stringify(value)} (environment): expected ${expected}`));
  });

  it.each(['maybe', 'y', 'enabled', ''])('refuses the boolean %j', (value) => {
    expect(configError({ env: { TRIBUTARY_KAFKA_TLS: value } }).message).toBe(
      message(`TRIBUTARY_KAFKA_TLS=${JSON.stringify(value)} (environment): expected true or false`),
    );
  });

  it('refuses unknown enum values, naming every choice', () => {
    expect(configError({ env: { TRIBUTARY_STACK: 'k8s' } }).message).toBe(
      message('TRIBUTARY_STACK="k8s" (environment): expected one of local, docker'),
    );
    expect(configError({ env: { TRIBUTARY_FLINK_SERVICE: 'operator' } }).message).toBe(
      message('TRIBUTARY_FLINK_SERVICE="operator" (environment): expected one of rest, kubernetes'),
    );
    expect(configError({ env: { TRIBUTARY_KAFKA_SASL_MECHANISM: 'GSSAPI' } }).message).toBe(
      message('TRIBUTARY_KAFKA_SASL_MECHANISM="GSSAPI" (environment): expected one of none, plain, scram-sha-256, scram-sha-512'),
    );
  });

  it('refuses names with characters outside their alphabet', () => {
    const error = configError({
      env: {
        TRIBUTARY_KAFKA_CLIENT_ID: 'my client',
        TRIBUTARY_TEMPORAL_NAMESPACE: 'ml/ops',
        TRIBUTARY_TEMPORAL_TASK_QUEUE: 'training queue',
        TRIBUTARY_TOPIC_PREFIX: 'tributary prod.',
      },
    });
    expect(error.message).toBe(
      message(
        'TRIBUTARY_KAFKA_CLIENT_ID="my client" (environment): expected letters, digits, ".", "_" or "-"',
        'TRIBUTARY_TEMPORAL_NAMESPACE="ml/ops" (environment): expected a Temporal namespace name (letters, digits, ".", "_" or "-")',
        'TRIBUTARY_TEMPORAL_TASK_QUEUE="training queue" (environment): expected a task queue name without spaces',
        'TRIBUTARY_TOPIC_PREFIX="tributary prod." (environment): expected letters, digits, ".", "_" or "-" (may be empty)',
      ),
    );
  });

  it('refuses a worker metrics address that is not host:port', () => {
    expect(configError({ env: { TRIBUTARY_TEMPORAL_WORKER_METRICS_ADDRESS: '9465' } }).message).toBe(
      message('TRIBUTARY_TEMPORAL_WORKER_METRICS_ADDRESS="9465" (environment): expected host:port for the worker\'s Prometheus /metrics, e.g. 0.0.0.0:9465 (empty: off)'),
    );
    expect(loadConfig({ env: { TRIBUTARY_TEMPORAL_WORKER_METRICS_ADDRESS: '0.0.0.0:9465' } }).temporal.workerMetricsAddress).toBe('0.0.0.0:9465');
  });

  it('refuses a worker health address that is not host:port', () => {
    expect(configError({ env: { TRIBUTARY_TEMPORAL_WORKER_HEALTH_ADDRESS: '9466' } }).message).toBe(
      message('TRIBUTARY_TEMPORAL_WORKER_HEALTH_ADDRESS="9466" (environment): expected host:port for the worker\'s /healthz and /readyz, e.g. 0.0.0.0:9466 (empty: off)'),
    );
    expect(loadConfig({ env: { TRIBUTARY_TEMPORAL_WORKER_HEALTH_ADDRESS: '0.0.0.0:9466' } }).temporal.workerHealthAddress).toBe('0.0.0.0:9466');
    expect(loadConfig({ env: { TRIBUTARY_TEMPORAL_WORKER_HEALTH_ADDRESS: '' } }).temporal.workerHealthAddress).toBeUndefined();
  });

  it('refuses an empty directory path', () => {
    expect(configError({ env: { TRIBUTARY_CACHE_DIR: '  ' } }).message).toBe(
      message('TRIBUTARY_CACHE_DIR="  " (environment): expected a directory path'),
    );
  });

  it('refuses a PEM path that does not exist', () => {
    const missing = join(tmp, 'missing-ca.pem');
    expect(configError({ env: { TRIBUTARY_KAFKA_TLS: 'true', TRIBUTARY_KAFKA_TLS_CA_FILE: missing } }).message).toBe(
      message(`TRIBUTARY_KAFKA_TLS_CA_FILE=${JSON.stringify(missing)} (environment): expected the path of an existing PEM file`),
    );
  });

  it('refuses an unreadable <ENV>_FILE for a secret', () => {
    const missing = join(tmp, 'no-such-api-key');
    expect(configError({ env: { TRIBUTARY_TEMPORAL_API_KEY_FILE: missing } }).message).toBe(
      message(`TRIBUTARY_TEMPORAL_API_KEY_FILE=${JSON.stringify(missing)} (environment): expected the path of a readable file holding the secret`),
    );
  });
});

describe('settings that go together', () => {
  it('requires a user name and password when a SASL mechanism is set', () => {
    expect(configError({ env: { TRIBUTARY_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' } }).message).toBe(
      message(
        'TRIBUTARY_KAFKA_SASL_USERNAME / kafka.sasl.username=(missing) (environment): expected a user name, because TRIBUTARY_KAFKA_SASL_MECHANISM=scram-sha-512',
        'TRIBUTARY_KAFKA_SASL_PASSWORD / kafka.sasl.password=(missing) (environment): expected a password, because TRIBUTARY_KAFKA_SASL_MECHANISM=scram-sha-512',
      ),
    );
  });

  it('requires the SASL password when only the user name is given, counting an empty password as missing', () => {
    expect(
      configError({ env: { TRIBUTARY_KAFKA_SASL_MECHANISM: 'plain', TRIBUTARY_KAFKA_SASL_USERNAME: 'svc', TRIBUTARY_KAFKA_SASL_PASSWORD: '' } })
        .message,
    ).toBe(message('TRIBUTARY_KAFKA_SASL_PASSWORD="" (environment): expected a password, because TRIBUTARY_KAFKA_SASL_MECHANISM=plain'));
  });

  it('requires the key when a Kafka client certificate is set', () => {
    expect(configError({ env: { TRIBUTARY_KAFKA_TLS: 'true', TRIBUTARY_KAFKA_TLS_CERT_FILE: certPem } }).message).toBe(
      message(
        'TRIBUTARY_KAFKA_TLS_KEY_FILE / kafka.tls.keyFile=(missing) (environment): expected a PEM file, because TRIBUTARY_KAFKA_TLS_CERT_FILE is set (client certificate and key go together)',
      ),
    );
  });

  it('requires the certificate when a Temporal client key is set', () => {
    expect(configError({ env: { TRIBUTARY_TEMPORAL_TLS: 'true', TRIBUTARY_TEMPORAL_TLS_KEY_FILE: keyPem } }).message).toBe(
      message(
        'TRIBUTARY_TEMPORAL_TLS_CERT_FILE / temporal.tls.certFile=(missing) (environment): expected a PEM file, because TRIBUTARY_TEMPORAL_TLS_KEY_FILE is set (client certificate and key go together)',
      ),
    );
  });

  it('requires the registry password when the registry user name is set', () => {
    expect(configError({ env: { TRIBUTARY_SCHEMA_REGISTRY_USERNAME: 'reader' } }).message).toBe(
      message(
        'TRIBUTARY_SCHEMA_REGISTRY_PASSWORD / schemaRegistry.password=(missing) (environment): expected a password (registry user name and password go together)',
      ),
    );
  });

  it('requires the registry user name when the registry password is set', () => {
    expect(configError({ env: { TRIBUTARY_SCHEMA_REGISTRY_PASSWORD: 'r3ad' } }).message).toBe(
      message(
        'TRIBUTARY_SCHEMA_REGISTRY_USERNAME / schemaRegistry.username=(missing) (environment): expected a user name (registry user name and password go together)',
      ),
    );
  });
});

describe('settings that would be ignored', () => {
  it('refuses the Kubernetes settings of the Flink service while it is rest, naming the choice as it was set', () => {
    expect(configError({ env: { TRIBUTARY_FLINK_KUBERNETES_API_URL: 'https://10.0.0.1:6443', TRIBUTARY_FLINK_KUBERNETES_NAMESPACE: 'tributary' } }).message).toBe(
      message(
        'TRIBUTARY_FLINK_KUBERNETES_NAMESPACE (environment): is set but TRIBUTARY_FLINK_SERVICE is not kubernetes, so it would be ignored; set TRIBUTARY_FLINK_SERVICE to kubernetes or remove it',
        'TRIBUTARY_FLINK_KUBERNETES_API_URL (environment): is set but TRIBUTARY_FLINK_SERVICE is not kubernetes, so it would be ignored; set TRIBUTARY_FLINK_SERVICE to kubernetes or remove it',
      ),
    );
    const path = join(tmp, 'flink-rest-with-kubernetes.json');
    writeFileSync(path, JSON.stringify({ flink: { service: 'rest', kubernetes: { serviceAccountDir: tmp } } }));
    expect(configError({ env: {}, file: path }).message).toBe(
      message(`flink.kubernetes.serviceAccountDir (${path}): is set but flink.service is not kubernetes, so it would be ignored; set flink.service to kubernetes or remove it`),
    );
    // An empty namespace means "the service account's": nothing is set, so nothing is refused.
    expect(loadConfig({ env: { TRIBUTARY_FLINK_KUBERNETES_NAMESPACE: '' } }).flink.service).toBe('rest');
  });

  it('refuses TLS settings while TLS is not enabled, instead of dropping them', () => {
    expect(configError({ env: { TRIBUTARY_KAFKA_TLS_CA_FILE: caPem, TRIBUTARY_TEMPORAL_TLS_SERVER_NAME: 'ns.tmprl.cloud' } }).message).toBe(
      message(
        'TRIBUTARY_KAFKA_TLS_CA_FILE (environment): is set but TRIBUTARY_KAFKA_TLS is not true; enable TLS or remove it',
        'TRIBUTARY_TEMPORAL_TLS_SERVER_NAME (environment): is set but TRIBUTARY_TEMPORAL_TLS is not true; enable TLS or remove it',
      ),
    );
  });

  it('names the TLS switch as it was set, or in the spelling of the setting that needs it', () => {
    const path = join(tmp, 'tls-off.json');
    writeFileSync(path, JSON.stringify({ kafka: { tls: { enabled: false, certFile: certPem } }, temporal: { tls: { caFile: caPem } } }));
    expect(configError({ env: {}, file: path }).message).toBe(
      message(
        `kafka.tls.certFile (${path}): is set but kafka.tls.enabled is not true; enable TLS or remove it`,
        `temporal.tls.caFile (${path}): is set but temporal.tls.enabled is not true; enable TLS or remove it`,
      ),
    );
  });

  it('refuses a secret set both directly and through <ENV>_FILE', () => {
    const apiKey = join(tmp, 'second-api-key');
    writeFileSync(apiKey, 'from-file');
    expect(configError({ env: { TRIBUTARY_TEMPORAL_API_KEY: 'from-env', TRIBUTARY_TEMPORAL_API_KEY_FILE: apiKey } }).message).toBe(
      message('TRIBUTARY_TEMPORAL_API_KEY / TRIBUTARY_TEMPORAL_API_KEY_FILE (environment): both are set; set one of them'),
    );
  });
});

describe('unknown TRIBUTARY_ variables', () => {
  it('suggests the nearest known setting', () => {
    expect(configError({ env: { TRIBUTARY_KAFKA_BROKER: '127.0.0.1:9092' } }).message).toBe(
      message('TRIBUTARY_KAFKA_BROKER="127.0.0.1:9092" (environment): expected a known setting (did you mean TRIBUTARY_KAFKA_BROKERS?)'),
    );
    expect(configError({ env: { TRIBUTARY_TEMPORAL_NAMESPCE: 'mlops' } }).message).toBe(
      message('TRIBUTARY_TEMPORAL_NAMESPCE="mlops" (environment): expected a known setting (did you mean TRIBUTARY_TEMPORAL_NAMESPACE?)'),
    );
  });

  it('gives no suggestion when nothing is close', () => {
    expect(configError({ env: { TRIBUTARY_GPU_COUNT: '4' } }).message).toBe(
      message('TRIBUTARY_GPU_COUNT="4" (environment): expected a known setting'),
    );
  });

  it('accepts TRIBUTARY_CONFIG and <ENV>_FILE for secrets, but not <ENV>_FILE for other settings', () => {
    const apiKey = join(tmp, 'known-api-key');
    writeFileSync(apiKey, 'k');
    expect(() => loadConfig({ env: { TRIBUTARY_CONFIG: '', TRIBUTARY_TEMPORAL_API_KEY_FILE: apiKey, TRIBUTARY_TEMPORAL_TLS: 'true' } })).not.toThrow();
    expect(configError({ env: { TRIBUTARY_KAFKA_BROKERS_FILE: '/run/secrets/brokers' } }).message).toBe(
      message(
        'TRIBUTARY_KAFKA_BROKERS_FILE="/run/secrets/brokers" (environment): expected a known setting (_FILE is only read for secrets; set TRIBUTARY_KAFKA_BROKERS instead)',
      ),
    );
  });
});

describe('several problems at once', () => {
  it('reports one line per bad key and the count in the header: unknown variables, then settings in table order, then pairs', () => {
    const error = configError({
      env: {
        TRIBUTARY_STACK: 'k8s',
        TRIBUTARY_KAFKA_BROKERS: 'kafka',
        TRIBUTARY_KAFKA_TLS: 'true',
        TRIBUTARY_KAFKA_TLS_CERT_FILE: certPem,
        TRIBUTARY_FLINK_RESTURL: 'http://flink:8081',
        TRIBUTARY_TEMPORAL_ADDRESS: 'temporal:99999',
      },
    });
    expect(error.message).toBe(
      message(
        'TRIBUTARY_FLINK_RESTURL="http://flink:8081" (environment): expected a known setting (did you mean TRIBUTARY_FLINK_REST_URL?)',
        'TRIBUTARY_KAFKA_BROKERS="kafka" (environment): expected a comma-separated list of host:port, e.g. 127.0.0.1:9092',
        'TRIBUTARY_TEMPORAL_ADDRESS="temporal:99999" (environment): expected host:port of the Temporal frontend, e.g. 127.0.0.1:7233',
        'TRIBUTARY_STACK="k8s" (environment): expected one of local, docker',
        'TRIBUTARY_KAFKA_TLS_KEY_FILE / kafka.tls.keyFile=(missing) (environment): expected a PEM file, because TRIBUTARY_KAFKA_TLS_CERT_FILE is set (client certificate and key go together)',
      ),
    );
    expect(error.message.split('\n')[0]).toBe('invalid configuration (5 problems):');
    expect(error.issues).toHaveLength(5);
    expect(error.issues[1]).toStrictEqual({
      key: 'TRIBUTARY_KAFKA_BROKERS',
      source: 'environment',
      value: 'kafka',
      expected: 'a comma-separated list of host:port, e.g. 127.0.0.1:9092',
    });
  });

  it('is a non-retriable ConfigError', () => {
    const error = configError({ env: { TRIBUTARY_STACK: 'k8s' } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.retriable).toBe(false);
    expect(error.message.split('\n')[0]).toBe('invalid configuration (1 problem):');
  });
});

describe('formatConfigIssue', () => {
  it('quotes the value as JSON and shows a missing value as (missing)', () => {
    expect(formatConfigIssue({ key: 'K', source: 'environment', value: 'say "hi"\n', expected: 'x' })).toBe(
      'K="say \\"hi\\"\\n" (environment): expected x',
    );
    expect(formatConfigIssue({ key: 'K', source: '/etc/t.json', value: undefined, expected: 'y' })).toBe('K=(missing) (/etc/t.json): expected y');
  });

  it('prints JSON values as written and a key problem without a value', () => {
    expect(formatConfigIssue({ key: 'k', source: 'f.json', value: [1, null], expected: 'x' })).toBe('k=[1,null] (f.json): expected x');
    expect(formatConfigIssue({ key: 'k', source: 'f.json', problem: 'unknown key' })).toBe('k (f.json): unknown key');
  });
});

describe('config file', () => {
  const FULL: TributaryConfig = {
    kafka: {
      brokers: ['kafka-0.internal:9092', 'kafka-1.internal:9092'],
      clientId: 'scorer-7',
      tls: undefined,
      sasl: { mechanism: 'scram-sha-256', username: 'svc-scorer', password: 'from-file' },
    },
    schemaRegistry: { url: 'https://registry.internal/apis/ccompat/v7', auth: undefined },
    temporal: {
      address: 'temporal.internal:7233',
      namespace: 'mlops',
      taskQueue: 'training',
      uiUrl: 'http://127.0.0.1:8233',
      tls: undefined,
      apiKey: undefined,
      workerMetricsAddress: undefined,
      workerHealthAddress: undefined,
    },
    flink: {
      restUrl: 'http://flink.internal:8081',
      sqlGatewayUrl: 'http://flink.internal:8083',
      service: 'kubernetes',
      kubernetes: { namespace: 'features', apiUrl: 'https://kubernetes.default.svc', serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount' },
    },
    paths: { cacheDir: '/srv/tributary/cache', dataDir: '/srv/tributary/data' },
    topics: { prefix: '' },
    pii: { hashKey: 'tributary-local-development-key' },
    stack: { mode: 'docker' },
  };

  it('reads values from a JSON file given as an option', () => {
    expect(loadConfig({ env: {}, file: fixture('full.json') })).toStrictEqual(FULL);
  });

  it('reads the file named by TRIBUTARY_CONFIG', () => {
    expect(loadConfig({ env: { TRIBUTARY_CONFIG: fixture('full.json') } })).toStrictEqual(FULL);
  });

  it('prefers the file option over TRIBUTARY_CONFIG', () => {
    expect(loadConfig({ env: { TRIBUTARY_CONFIG: join(tmp, 'not-read.json') }, file: fixture('full.json') })).toStrictEqual(FULL);
  });

  it('lets environment variables override file values, keeping the rest of the file', () => {
    const config = loadConfig({
      env: { TRIBUTARY_KAFKA_BROKERS: 'override:9092', TRIBUTARY_KAFKA_SASL_PASSWORD: 'from-env', TRIBUTARY_STACK: 'local' },
      file: fixture('full.json'),
    });
    expect(config).toStrictEqual({
      ...FULL,
      kafka: { ...FULL.kafka, brokers: ['override:9092'], sasl: { mechanism: 'scram-sha-256', username: 'svc-scorer', password: 'from-env' } },
      stack: { mode: 'local' },
    });
  });

  it('does not validate file values that the environment overrides', () => {
    const config = loadConfig({
      env: { TRIBUTARY_TEMPORAL_ADDRESS: 'temporal:7233', TRIBUTARY_TEMPORAL_TLS: 'false', TRIBUTARY_FLINK_SERVICE: 'kubernetes', TRIBUTARY_FLINK_KUBERNETES_API_URL: 'https://k8s:6443' },
      file: fixture('invalid-values.json'),
    });
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.flink.service).toBe('kubernetes');
    expect(config.flink.kubernetes.apiUrl).toBe('https://k8s:6443');
    expect(config.temporal.tls).toBeUndefined();
  });

  it('reads booleans and PEM paths from the file', () => {
    const path = join(tmp, 'tls.json');
    writeFileSync(path, JSON.stringify({ temporal: { tls: { enabled: true, caFile: caPem, serverName: 'temporal.internal' } } }));
    expect(loadConfig({ env: {}, file: path }).temporal.tls).toStrictEqual({
      caFile: caPem,
      certFile: undefined,
      keyFile: undefined,
      serverName: 'temporal.internal',
    });
  });

  it('names the dotted key and the file path for an invalid file value', () => {
    const path = fixture('invalid-values.json');
    expect(configError({ env: {}, file: path }).message).toBe(
      message(
        `temporal.address="temporal" (${path}): expected host:port of the Temporal frontend, e.g. 127.0.0.1:7233`,
        `temporal.tls.enabled="sometimes" (${path}): expected true or false`,
        `flink.service="session" (${path}): expected one of rest, kubernetes`,
        `flink.kubernetes.apiUrl="kubernetes:443" (${path}): expected an http(s) URL of the Kubernetes API server`,
      ),
    );
  });

  it('refuses an unknown file key with a did-you-mean suggestion, without showing its value', () => {
    const path = fixture('unknown-key.json');
    expect(configError({ env: {}, file: path }).message).toBe(message(`kafka.brokerz (${path}): unknown key (did you mean kafka.brokers?)`));
  });

  it('points at the README for an unknown file key with nothing close', () => {
    const path = join(tmp, 'far-key.json');
    writeFileSync(path, JSON.stringify({ gpu: { count: 4 } }));
    expect(configError({ env: {}, file: path }).message).toBe(
      message(`gpu.count (${path}): unknown key (see the configuration table in docs/configuration.md)`),
    );
  });

  it('reports an empty object under an unknown name, and ignores an empty known section', () => {
    const path = join(tmp, 'empty-sections.json');
    writeFileSync(path, JSON.stringify({ kafka: {}, temporal: { tls: {} }, kafak: {} }));
    expect(configError({ env: {}, file: path }).message).toBe(message(`kafak (${path}): unknown key (see the configuration table in docs/configuration.md)`));
  });

  it('refuses a scalar where a section belongs, without showing it', () => {
    const path = join(tmp, 'scalar-section.json');
    writeFileSync(path, JSON.stringify({ kafka: { sasl: 'svc:hunter2' } }));
    expect(configError({ env: {}, file: path }).message).toBe(
      message(`kafka.sasl (${path}): should be an object holding the kafka.sasl.* settings`),
    );
  });

  it('refuses an object where a string is expected, against the setting it replaces', () => {
    const path = fixture('object-for-string.json');
    expect(configError({ env: {}, file: path }).message).toBe(
      message(`kafka.clientId={"name":"scorer"} (${path}): expected letters, digits, ".", "_" or "-"`),
    );
  });

  it('prints file values as JSON: arrays of non-strings and null where a string is expected', () => {
    const path = fixture('non-string-values.json');
    expect(configError({ env: {}, file: path }).message).toBe(
      message(
        `kafka.brokers=[9092] (${path}): expected a comma-separated list of host:port, e.g. 127.0.0.1:9092`,
        `schemaRegistry.url=null (${path}): expected an http(s) URL of a Confluent-compatible registry API`,
      ),
    );
  });

  it('prints a number from the file as a number', () => {
    const path = join(tmp, 'number-address.json');
    writeFileSync(path, JSON.stringify({ temporal: { address: 7233 } }));
    expect(configError({ env: {}, file: path }).message).toBe(
      message(`temporal.address=7233 (${path}): expected host:port of the Temporal frontend, e.g. 127.0.0.1:7233`),
    );
  });

  it('names the file key for a certificate without key, and both spellings of the missing key', () => {
    const path = join(tmp, 'cert-only.json');
    writeFileSync(path, JSON.stringify({ kafka: { tls: { enabled: true, certFile: certPem } } }));
    expect(configError({ env: {}, file: path }).message).toBe(
      message(
        `TRIBUTARY_KAFKA_TLS_KEY_FILE / kafka.tls.keyFile=(missing) (environment or ${path}): expected a PEM file, because kafka.tls.certFile is set (client certificate and key go together)`,
      ),
    );
  });

  it('names the file key of the SASL mechanism that needs the credentials', () => {
    const path = join(tmp, 'sasl-no-password.json');
    writeFileSync(path, JSON.stringify({ kafka: { sasl: { mechanism: 'plain', username: 'svc' } } }));
    expect(configError({ env: {}, file: path }).message).toBe(
      message(`TRIBUTARY_KAFKA_SASL_PASSWORD / kafka.sasl.password=(missing) (environment or ${path}): expected a password, because kafka.sasl.mechanism=plain`),
    );
  });

  it('resolves relative PEM and directory paths against the config file folder, after ~', () => {
    const folder = join(tmp, 'relative');
    mkdirSync(join(folder, 'certs'), { recursive: true });
    writeFileSync(join(folder, 'certs', 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
    const path = join(folder, 'tributary.json');
    writeFileSync(
      path,
      JSON.stringify({ kafka: { tls: { enabled: true, caFile: 'certs/ca.pem' } }, paths: { cacheDir: 'cache', dataDir: '~/data' } }),
    );
    const config = loadConfig({ env: {}, file: path });
    expect(config.kafka.tls?.caFile).toBe(join(folder, 'certs', 'ca.pem'));
    expect(config.paths).toStrictEqual({ cacheDir: join(folder, 'cache'), dataDir: '/home/ada/data' });
  });

  it('names TRIBUTARY_CONFIG for a path that does not exist, with the error text', () => {
    const path = join(tmp, 'absent.json');
    expect(configError({ env: { TRIBUTARY_CONFIG: path } }).message).toBe(
      message(`TRIBUTARY_CONFIG=${JSON.stringify(path)} (environment): expected a readable JSON file (ENOENT: no such file or directory)`),
    );
  });

  it('names --config for a file given as an option', () => {
    const path = join(tmp, 'absent.json');
    expect(configError({ env: {}, file: path }).message).toBe(
      message(`config file=${JSON.stringify(path)} (--config): expected a readable JSON file (ENOENT: no such file or directory)`),
    );
  });

  it('refuses a directory given as the config file', () => {
    const path = join(tmp, 'config-dir');
    mkdirSync(path, { recursive: true });
    expect(configError({ env: {}, file: path }).message).toBe(
      message(`config file=${JSON.stringify(path)} (--config): expected a readable JSON file (EISDIR: illegal operation on a directory)`),
    );
  });

  it('refuses malformed JSON, quoting the parser', () => {
    const path = fixture('malformed.json');
    // V8 words this differently across Node versions; the position (the "}" after the trailing comma) is what matters.
    const [header, line, ...rest] = configError({ env: {}, file: path }).message.split('\n');
    expect(header).toBe('invalid configuration (1 problem):');
    expect(rest).toStrictEqual([]);
    expect(line?.startsWith(`  config file=${JSON.stringify(path)} (--config): expected valid JSON (`)).toBe(true);
    expect(line).toMatch(/ in JSON at position 44( \(line 1 column 45\))?\)$/);
  });

  it('refuses JSON that is not an object', () => {
    const path = fixture('not-an-object.json');
    expect(configError({ env: {}, file: path }).message).toBe(
      message(`config file=${JSON.stringify(path)} (--config): expected a JSON object such as {"kafka": {"brokers": ["127.0.0.1:9092"]}}`),
    );
  });

  it('reports file problems together with environment problems', () => {
    const path = fixture('not-an-object.json');
    expect(configError({ env: { TRIBUTARY_CONFIG: path, TRIBUTARY_STACK: 'k8s' } }).message).toBe(
      message(
        `TRIBUTARY_CONFIG=${JSON.stringify(path)} (environment): expected a JSON object such as {"kafka": {"brokers": ["127.0.0.1:9092"]}}`,
        'TRIBUTARY_STACK="k8s" (environment): expected one of local, docker',
      ),
    );
  });
});

// Regression tests for defects found in the review of src/config.
describe('fixed defects', () => {
  it('does not echo the value of a misspelt secret variable', () => {
    const text = configError({ env: { TRIBUTARY_KAFKA_SASL_PASSWRD: 'hunter2' } }).message;
    expect(text).toBe(
      message('TRIBUTARY_KAFKA_SASL_PASSWRD="***" (environment): expected a known setting (did you mean TRIBUTARY_KAFKA_SASL_PASSWORD?)'),
    );
  });

  it('does not echo a secret of the wrong JSON type from the config file', () => {
    const path = join(tmp, 'secret-wrong-type.json');
    writeFileSync(path, JSON.stringify({ temporal: { apiKey: ['hunter2', 2] } }));
    expect(configError({ env: {}, file: path }).message).toBe(message(`temporal.apiKey="***" (${path}): expected an API key`));
  });

  it('reports an invalid client certificate once, not also as missing', () => {
    const missing = join(tmp, 'missing-client.pem');
    const error = configError({ env: { TRIBUTARY_KAFKA_TLS: 'true', TRIBUTARY_KAFKA_TLS_CERT_FILE: missing, TRIBUTARY_KAFKA_TLS_KEY_FILE: keyPem } });
    expect(error.message).toBe(
      message(`TRIBUTARY_KAFKA_TLS_CERT_FILE=${JSON.stringify(missing)} (environment): expected the path of an existing PEM file`),
    );
  });

  it('reports an unreadable SASL password file once, not also as a missing password', () => {
    const missing = join(tmp, 'missing-password');
    const error = configError({
      env: { TRIBUTARY_KAFKA_SASL_MECHANISM: 'plain', TRIBUTARY_KAFKA_SASL_USERNAME: 'svc', TRIBUTARY_KAFKA_SASL_PASSWORD_FILE: missing },
    });
    expect(error.message).toBe(
      message(`TRIBUTARY_KAFKA_SASL_PASSWORD_FILE=${JSON.stringify(missing)} (environment): expected the path of a readable file holding the secret`),
    );
  });

  it('trims whitespace around URLs before removing the trailing slash', () => {
    expect(loadConfig({ env: { TRIBUTARY_FLINK_REST_URL: ' http://flink:8081/ ' } }).flink.restUrl).toBe('http://flink:8081');
  });

  it('refuses a directory given as a PEM file', () => {
    const error = configError({ env: { TRIBUTARY_KAFKA_TLS: 'true', TRIBUTARY_KAFKA_TLS_CA_FILE: tmp } });
    expect(error.message).toBe(message(`TRIBUTARY_KAFKA_TLS_CA_FILE=${JSON.stringify(tmp)} (environment): expected the path of an existing PEM file`));
  });

  it('refuses an empty object where a string is expected instead of ignoring it', () => {
    const path = join(tmp, 'empty-object.json');
    writeFileSync(path, JSON.stringify({ temporal: { namespace: {} } }));
    expect(configError({ env: {}, file: path }).message).toBe(
      message(`temporal.namespace={} (${path}): expected a Temporal namespace name (letters, digits, ".", "_" or "-")`),
    );
  });

  it('masks an unknown variable whose name looks secret, even with nothing close', () => {
    expect(configError({ env: { TRIBUTARY_GITHUB_TOKEN: 'ghp_123' } }).message).toBe(
      message('TRIBUTARY_GITHUB_TOKEN="***" (environment): expected a known setting'),
    );
  });

  it('reports an unreadable registry password file once, not also as a missing password', () => {
    const missing = join(tmp, 'missing-registry-password');
    const error = configError({ env: { TRIBUTARY_SCHEMA_REGISTRY_USERNAME: 'reader', TRIBUTARY_SCHEMA_REGISTRY_PASSWORD_FILE: missing } });
    expect(error.message).toBe(
      message(`TRIBUTARY_SCHEMA_REGISTRY_PASSWORD_FILE=${JSON.stringify(missing)} (environment): expected the path of a readable file holding the secret`),
    );
  });

  it('still requires the key next to an invalid client certificate', () => {
    const missing = join(tmp, 'missing-client.pem');
    const error = configError({ env: { TRIBUTARY_TEMPORAL_TLS: 'true', TRIBUTARY_TEMPORAL_TLS_CERT_FILE: missing } });
    expect(error.message).toBe(
      message(
        `TRIBUTARY_TEMPORAL_TLS_CERT_FILE=${JSON.stringify(missing)} (environment): expected the path of an existing PEM file`,
        'TRIBUTARY_TEMPORAL_TLS_KEY_FILE / temporal.tls.keyFile=(missing) (environment): expected a PEM file, because TRIBUTARY_TEMPORAL_TLS_CERT_FILE is set (client certificate and key go together)',
      ),
    );
  });
});
