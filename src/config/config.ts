import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue } from './errors.js';
import { SETTINGS, type SaslMechanismSetting, type SettingName, type SettingValues, type StackMode } from './settings.js';

export interface KafkaTlsConfig {
  /** PEM CA bundle; absent means the system trust store. */
  readonly caFile: string | undefined;
  /** Client certificate and key for mutual TLS; both or neither. */
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
}

export interface KafkaSaslConfig {
  readonly mechanism: Exclude<SaslMechanismSetting, 'none'>;
  readonly username: string;
  readonly password: string;
}

export interface TemporalTlsConfig {
  readonly caFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly serverName: string | undefined;
}

/** The validated configuration every module receives; built once by {@link loadConfig}. */
export interface TributaryConfig {
  readonly kafka: {
    /** @default ['127.0.0.1:9092'] */
    readonly brokers: readonly string[];
    /** @default 'tributary' */
    readonly clientId: string;
    /** @default undefined (plaintext) */
    readonly tls: KafkaTlsConfig | undefined;
    /** @default undefined (no authentication) */
    readonly sasl: KafkaSaslConfig | undefined;
  };
  readonly schemaRegistry: {
    /** @default 'http://127.0.0.1:8085/apis/ccompat/v7' */
    readonly url: string;
    /** @default undefined */
    readonly auth: { readonly username: string; readonly password: string } | undefined;
  };
  readonly temporal: {
    /** @default '127.0.0.1:7233' */
    readonly address: string;
    /** @default 'default' */
    readonly namespace: string;
    /** @default 'tributary' */
    readonly taskQueue: string;
    /** @default 'http://127.0.0.1:8233' */
    readonly uiUrl: string;
    /** @default undefined (plaintext) */
    readonly tls: TemporalTlsConfig | undefined;
    /** @default undefined */
    readonly apiKey: string | undefined;
  };
  readonly flink: {
    /** @default 'http://127.0.0.1:8081' */
    readonly restUrl: string;
    /** @default 'http://127.0.0.1:8083' */
    readonly sqlGatewayUrl: string;
  };
  readonly paths: {
    /** Installed stack components. @default '~/.cache/tributary' */
    readonly cacheDir: string;
    /** Server data, logs and pid files of the local stack. @default '~/.local/share/tributary' */
    readonly dataDir: string;
  };
  readonly topics: {
    /** Prefix of every topic name. @default 'tributary.' */
    readonly prefix: string;
  };
  readonly stack: {
    /** `local` runs the servers as local processes; `docker` uses docker-compose.yml. @default 'local' */
    readonly mode: StackMode;
  };
}

export interface LoadConfigOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** A JSON config file; environment variables override its values. @default env.TRIBUTARY_CONFIG */
  readonly file?: string;
}

/** Environment variables that are not settings themselves but are understood. */
const META_VARIABLES = new Set(['TRIBUTARY_CONFIG']);

/**
 * Reads configuration from the environment and an optional JSON file, validates every key
 * and returns the typed configuration. Throws a {@link ConfigError} listing every bad key.
 */
export function loadConfig(options: LoadConfigOptions = {}): TributaryConfig {
  const env = options.env ?? process.env;
  const issues: ConfigIssue[] = [];
  const filePath = options.file ?? (env.TRIBUTARY_CONFIG || undefined);
  const fileValues = filePath ? readConfigFile(filePath, issues) : new Map<string, unknown>();

  issues.push(...unknownEnvironmentVariables(env));
  const values = {} as Record<SettingName, unknown>;
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    values[name] = resolveSetting(name, env, fileValues, filePath, issues);
  }
  for (const key of fileValues.keys()) {
    issues.push({ key, source: filePath ?? 'config file', value: undefined, expected: `a known key: ${knownFileKeys()}` });
  }
  const settings = values as SettingValues;
  issues.push(...crossFieldIssues(settings));
  if (issues.length > 0) throw new ConfigError(issues);
  return assemble(settings);
}

function resolveSetting(
  name: SettingName,
  env: NodeJS.ProcessEnv,
  fileValues: Map<string, unknown>,
  filePath: string | undefined,
  issues: ConfigIssue[],
): unknown {
  const setting = SETTINGS[name];
  const secret = 'secret' in setting && setting.secret;
  const fromFile = fileValues.get(setting.file);
  fileValues.delete(setting.file);

  let raw: string | undefined;
  let key: string = setting.env;
  let source = 'environment';
  if (env[setting.env] !== undefined) {
    raw = env[setting.env];
  } else if (secret && env[`${setting.env}_FILE`]) {
    key = `${setting.env}_FILE`;
    const path = env[key] as string;
    try {
      raw = readFileSync(path, 'utf8').trim();
    } catch {
      issues.push({ key, source, value: path, expected: 'the path of a readable file holding the secret' });
      return undefined;
    }
  } else if (fromFile !== undefined) {
    key = setting.file;
    source = filePath ?? 'config file';
    raw = fileValueToString(fromFile);
    if (raw === undefined) {
      issues.push({ key, source, value: JSON.stringify(fromFile), expected: setting.expected });
      return undefined;
    }
  }
  if (raw === undefined) return setting.default(env);

  const parsed = setting.parse(raw);
  if (!parsed.ok) {
    issues.push({ key, source, value: secret ? '***' : raw, expected: setting.expected });
    return undefined;
  }
  return parsed.value;
}

function fileValueToString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  return undefined;
}

function readConfigFile(path: string, issues: ConfigIssue[]): Map<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    issues.push({ key: 'TRIBUTARY_CONFIG', source: 'environment', value: path, expected: `a readable JSON file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})` });
    return new Map();
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    issues.push({ key: 'TRIBUTARY_CONFIG', source: 'environment', value: path, expected: `valid JSON (${(error as Error).message})` });
    return new Map();
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    issues.push({ key: 'TRIBUTARY_CONFIG', source: 'environment', value: path, expected: 'a JSON object such as {"kafka": {"brokers": ["127.0.0.1:9092"]}}' });
    return new Map();
  }
  return flatten(document as Record<string, unknown>);
}

/** `{kafka: {tls: {enabled: true}}}` → `kafka.tls.enabled → true`; arrays are leaves. */
function flatten(object: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(object)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [nested, leaf] of flatten(value as Record<string, unknown>, path)) out.set(nested, leaf);
    } else {
      out.set(path, value);
    }
  }
  return out;
}

const knownFileKeys = (): string =>
  Object.values(SETTINGS)
    .map((s) => s.file)
    .join(', ');

function unknownEnvironmentVariables(env: NodeJS.ProcessEnv): ConfigIssue[] {
  const known = new Set<string>(META_VARIABLES);
  for (const setting of Object.values(SETTINGS)) {
    known.add(setting.env);
    if ('secret' in setting && setting.secret) known.add(`${setting.env}_FILE`);
  }
  return Object.keys(env)
    .filter((name) => name.startsWith('TRIBUTARY_') && !known.has(name))
    .map((name) => ({
      key: name,
      source: 'environment',
      value: env[name],
      expected: `a known setting${suggestion(name, known)}`,
    }));
}

function suggestion(name: string, known: Set<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best && bestDistance <= 3 ? ` (did you mean ${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

function crossFieldIssues(s: SettingValues): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const pairIssue = (certEnv: string, keyEnv: string, cert: string | undefined, key: string | undefined): void => {
    if ((cert === undefined) !== (key === undefined)) {
      const [missing, present] = cert === undefined ? [certEnv, keyEnv] : [keyEnv, certEnv];
      issues.push({ key: missing, source: 'environment', value: undefined, expected: `a PEM file, because ${present} is set (client certificate and key go together)` });
    }
  };
  pairIssue(SETTINGS.kafkaTlsCertFile.env, SETTINGS.kafkaTlsKeyFile.env, s.kafkaTlsCertFile, s.kafkaTlsKeyFile);
  pairIssue(SETTINGS.temporalTlsCertFile.env, SETTINGS.temporalTlsKeyFile.env, s.temporalTlsCertFile, s.temporalTlsKeyFile);
  if (s.kafkaSaslMechanism !== undefined && s.kafkaSaslMechanism !== 'none') {
    for (const [setting, value] of [
      [SETTINGS.kafkaSaslUsername, s.kafkaSaslUsername],
      [SETTINGS.kafkaSaslPassword, s.kafkaSaslPassword],
    ] as const) {
      if (!value) issues.push({ key: setting.env, source: 'environment', value: undefined, expected: `${setting.expected}, because ${SETTINGS.kafkaSaslMechanism.env}=${s.kafkaSaslMechanism}` });
    }
  }
  if ((s.schemaRegistryUsername === undefined) !== (s.schemaRegistryPassword === undefined)) {
    const missing = s.schemaRegistryUsername === undefined ? SETTINGS.schemaRegistryUsername : SETTINGS.schemaRegistryPassword;
    issues.push({ key: missing.env, source: 'environment', value: undefined, expected: `${missing.expected} (registry user name and password go together)` });
  }
  return issues;
}

function assemble(s: SettingValues): TributaryConfig {
  const saslMechanism = s.kafkaSaslMechanism;
  return {
    kafka: {
      brokers: s.kafkaBrokers,
      clientId: s.kafkaClientId,
      tls: s.kafkaTls ? { caFile: s.kafkaTlsCaFile, certFile: s.kafkaTlsCertFile, keyFile: s.kafkaTlsKeyFile } : undefined,
      sasl:
        saslMechanism === 'none'
          ? undefined
          : { mechanism: saslMechanism, username: s.kafkaSaslUsername as string, password: s.kafkaSaslPassword as string },
    },
    schemaRegistry: {
      url: s.schemaRegistryUrl,
      auth:
        s.schemaRegistryUsername !== undefined && s.schemaRegistryPassword !== undefined
          ? { username: s.schemaRegistryUsername, password: s.schemaRegistryPassword }
          : undefined,
    },
    temporal: {
      address: s.temporalAddress,
      namespace: s.temporalNamespace,
      taskQueue: s.temporalTaskQueue,
      uiUrl: s.temporalUiUrl,
      tls: s.temporalTls
        ? { caFile: s.temporalTlsCaFile, certFile: s.temporalTlsCertFile, keyFile: s.temporalTlsKeyFile, serverName: s.temporalTlsServerName }
        : undefined,
      apiKey: s.temporalApiKey,
    },
    flink: { restUrl: s.flinkRestUrl, sqlGatewayUrl: s.flinkSqlGatewayUrl },
    paths: { cacheDir: s.cacheDir, dataDir: s.dataDir },
    topics: { prefix: s.topicPrefix },
    stack: { mode: s.stackMode },
  };
}
