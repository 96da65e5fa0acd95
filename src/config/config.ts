import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from './errors.js';
import {
  homeOf,
  SETTINGS,
  type FlinkServiceSetting,
  type SaslMechanismSetting,
  type Setting,
  type SettingName,
  type SettingValues,
  type StackMode,
} from './settings.js';

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

/** Where the Kubernetes Flink service finds the API server and its FlinkDeployments (read only when `flink.service` is `kubernetes`). */
export interface FlinkKubernetesConfig {
  /** @default undefined: the `namespace` file of {@link serviceAccountDir} */
  readonly namespace: string | undefined;
  /** @default 'https://kubernetes.default.svc' */
  readonly apiUrl: string;
  /** Holds the bearer token (`token`, re-read per request: it rotates), `ca.crt` and `namespace`. @default '/var/run/secrets/kubernetes.io/serviceaccount' */
  readonly serviceAccountDir: string;
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
    /** Where a worker process serves the Temporal SDK's Prometheus metrics (`host:port`). @default undefined (not served) */
    readonly workerMetricsAddress: string | undefined;
    /**
     * Where a worker process serves /healthz and /readyz (`host:port`); apart from the metrics,
     * which the SDK's exporter serves on a server Tributary cannot add paths to. @default undefined (not served)
     */
    readonly workerHealthAddress: string | undefined;
  };
  readonly flink: {
    /** @default 'http://127.0.0.1:8081' */
    readonly restUrl: string;
    /** @default 'http://127.0.0.1:8083' */
    readonly sqlGatewayUrl: string;
    /** How flinkDeploy drives Flink: `rest` (a session cluster's REST API) or `kubernetes` (FlinkDeployments of the Flink Kubernetes Operator). @default 'rest' */
    readonly service: FlinkServiceSetting;
    readonly kubernetes: FlinkKubernetesConfig;
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
  readonly pii: {
    /**
     * Key of the HMAC-SHA256 that replaces the PII fields of a source (an email, an account
     * number; the card number in examples/fraud) before they leave the raw topic.
     * @default 'tributary-local-development-key' (local use only)
     */
    readonly hashKey: string;
  };
  readonly stack: {
    /** `local` runs the servers as local processes; `docker` uses docker-compose.yml. @default 'local' */
    readonly mode: StackMode;
  };
}

export interface LoadConfigOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * A JSON config file, as given with `--config`; environment variables override its values.
   * @default env.TRIBUTARY_CONFIG
   */
  readonly file?: string;
}

/** Environment variables that are not settings themselves but are understood. */
const META_VARIABLES = ['TRIBUTARY_CONFIG'];
const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];
const FILE_KEYS = new Set(SETTING_NAMES.map((name) => SETTINGS[name].file));
/** `kafka`, `kafka.tls`, …: the objects a config file nests settings in. */
const FILE_SECTIONS = new Set([...FILE_KEYS].flatMap(parentsOf));
const README_POINTER = 'see the configuration table in docs/configuration.md';
const SECRET_MASK = '***';
/** Names that suggest a secret; an unknown variable with such a name has its value masked. */
const SECRET_NAME = /PASS|PWD|KEY|SECRET|TOKEN|CRED|AUTH/;
/** Beyond this many edits a "did you mean" guess is more noise than help. */
const MAX_SUGGESTION_DISTANCE = 3;

/** Where a value came from, as messages name it. */
interface Origin {
  /** The environment variable or dotted file key that was set. */
  readonly key: string;
  /** `environment` or the config file's path. */
  readonly source: string;
  /** The value as messages may print it: as given, with secrets masked. */
  readonly shown: unknown;
}

/** One setting after reading and parsing. */
interface Resolved {
  /** The parsed value; the default when nothing was given; undefined when it failed. */
  readonly value: unknown;
  /** Undefined when nothing was given and the default applies. */
  readonly origin: Origin | undefined;
  /** An issue is already reported for this setting, so the cross-field checks leave it alone. */
  readonly failed: boolean;
}

type Resolution = Record<SettingName, Resolved>;

/** Which config file to read, and how messages name that choice. */
interface ConfigFileChoice {
  readonly path: string;
  readonly key: string;
  readonly source: string;
}

/** A config file after reading: its flattened keys, and the folder its relative paths start from. */
interface ConfigFile {
  readonly path: string;
  readonly folder: string;
  readonly values: ReadonlyMap<string, unknown>;
}

/**
 * Reads configuration from the environment and an optional JSON file, validates every key
 * and returns the typed configuration. Throws a {@link ConfigError} listing every bad key.
 */
export function loadConfig(options: LoadConfigOptions = {}): TributaryConfig {
  const env = options.env ?? process.env;
  const issues: ConfigIssue[] = [];
  const choice = chooseConfigFile(options, env);
  const file = choice && readConfigFile(choice, issues);

  issues.push(...unknownEnvironmentVariables(env));
  const resolution = resolveSettings(env, file, issues);
  if (file) issues.push(...unknownFileKeys(file));
  issues.push(...crossFieldIssues(resolution, file));
  if (issues.length > 0) throw new ConfigError(issues);
  return assemble(valuesOf(resolution));
}

// ---------------------------------------------------------------------------------------------
// Reading one setting

function resolveSettings(env: NodeJS.ProcessEnv, file: ConfigFile | undefined, issues: ConfigIssue[]): Resolution {
  const home = homeOf(env);
  const resolution = {} as Resolution;
  for (const name of SETTING_NAMES) resolution[name] = resolveSetting(SETTINGS[name], env, file, home, issues);
  return resolution;
}

function resolveSetting(
  setting: Setting<unknown>,
  env: NodeJS.ProcessEnv,
  file: ConfigFile | undefined,
  home: string,
  issues: ConfigIssue[],
): Resolved {
  const found = findValue(setting, env, file);
  if (found === undefined) return { value: setting.default(env), origin: undefined, failed: false };
  const { origin } = found;
  if ('problem' in found) {
    issues.push(found.problem);
    return { value: undefined, origin, failed: true };
  }
  const parsed = found.raw === undefined ? undefined : setting.parse(found.raw, { home, baseDir: found.baseDir });
  if (!parsed?.ok) {
    issues.push(valueIssue(origin, setting.expected));
    return { value: undefined, origin, failed: true };
  }
  return { value: parsed.value, origin, failed: false };
}

/** A value found for a setting: text to parse (undefined when a file value has the wrong JSON type), or a problem that stops there. */
type Found =
  | { readonly origin: Origin; readonly raw: string | undefined; readonly baseDir?: string }
  | { readonly origin: Origin; readonly problem: ConfigIssue };

/** The environment wins over the config file, so a deployment can override a shared file. */
function findValue(setting: Setting<unknown>, env: NodeJS.ProcessEnv, file: ConfigFile | undefined): Found | undefined {
  const direct = env[setting.env];
  const secretPath = setting.secret ? env[`${setting.env}_FILE`] : undefined;
  // Empty counts as unset here: compose files often pass `X=${X:-}` next to a real X_FILE.
  if (direct && secretPath) return bothSpellingsSet(setting);
  if (secretPath) return readSecretFile(setting, secretPath);
  if (direct !== undefined) return { origin: { key: setting.env, source: 'environment', shown: masked(setting, direct) }, raw: direct };
  if (file?.values.has(setting.file)) return fromConfigFile(setting, file);
  return undefined;
}

/** Picking one silently would leave the person guessing which secret is in use. */
function bothSpellingsSet(setting: Setting<unknown>): Found {
  return {
    origin: { key: setting.env, source: 'environment', shown: SECRET_MASK },
    problem: { key: `${setting.env} / ${setting.env}_FILE`, source: 'environment', problem: 'both are set; set one of them' },
  };
}

function readSecretFile(setting: Setting<unknown>, path: string): Found {
  const origin = { key: `${setting.env}_FILE`, source: 'environment', shown: path };
  try {
    return { origin, raw: readFileSync(path, 'utf8').trim() };
  } catch {
    return { origin, problem: valueIssue(origin, 'the path of a readable file holding the secret') };
  }
}

function fromConfigFile(setting: Setting<unknown>, file: ConfigFile): Found {
  const value = file.values.get(setting.file);
  const origin = { key: setting.file, source: file.path, shown: masked(setting, value) };
  return { origin, raw: fileValueToString(value), baseDir: file.folder };
}

function fileValueToString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  return undefined;
}

/** An empty secret is shown as "": it hides nothing, and it explains why the value counts as missing. */
function masked(setting: Setting<unknown>, value: unknown): unknown {
  return setting.secret && value !== '' ? SECRET_MASK : value;
}

function valueIssue(origin: Origin, expected: string): ConfigIssue {
  return { key: origin.key, source: origin.source, value: origin.shown, expected };
}

function valuesOf(resolution: Resolution): SettingValues {
  const values = {} as Record<SettingName, unknown>;
  for (const name of SETTING_NAMES) values[name] = resolution[name].value;
  return values as SettingValues;
}

// ---------------------------------------------------------------------------------------------
// The config file

/** `--config` wins over TRIBUTARY_CONFIG; messages about the file name whichever was used. */
function chooseConfigFile(options: LoadConfigOptions, env: NodeJS.ProcessEnv): ConfigFileChoice | undefined {
  if (options.file !== undefined) return options.file ? { path: options.file, key: 'config file', source: '--config' } : undefined;
  return env.TRIBUTARY_CONFIG ? { path: env.TRIBUTARY_CONFIG, key: 'TRIBUTARY_CONFIG', source: 'environment' } : undefined;
}

function readConfigFile(choice: ConfigFileChoice, issues: ConfigIssue[]): ConfigFile | undefined {
  const refuse = (expected: string): undefined => {
    issues.push({ key: choice.key, source: choice.source, value: choice.path, expected });
    return undefined;
  };
  let text: string;
  try {
    text = readFileSync(choice.path, 'utf8');
  } catch (error) {
    return refuse(`a readable JSON file (${describeFileError(error)})`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return refuse(`valid JSON (${(error as Error).message})`);
  }
  if (!isObject(document)) return refuse('a JSON object such as {"kafka": {"brokers": ["127.0.0.1:9092"]}}');
  return { path: choice.path, folder: dirname(resolve(choice.path)), values: flatten(document) };
}

/** `ENOENT: no such file or directory, open '/x'` → `ENOENT: no such file or directory`; the path is shown already. */
function describeFileError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return message.split(', ')[0] || code || 'unreadable';
}

/** `kafka.tls.enabled` → `kafka`, `kafka.tls`. */
function parentsOf(key: string): string[] {
  const parts = key.split('.');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('.'));
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `{kafka: {tls: {enabled: true}}}` → `kafka.tls.enabled → true`. Stops at setting keys, so an
 * object there is reported as that setting's wrong value, and keeps an empty object outside the
 * known sections as a leaf, so a misspelt section is reported instead of vanishing.
 */
function flatten(object: Record<string, unknown>, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [name, value] of Object.entries(object)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (isObject(value) && isNested(key, value)) flatten(value, key, out);
    else out.set(key, value);
  }
  return out;
}

function isNested(key: string, value: Record<string, unknown>): boolean {
  if (FILE_KEYS.has(key)) return false;
  return Object.keys(value).length > 0 || FILE_SECTIONS.has(key);
}

function unknownFileKeys(file: ConfigFile): ConfigIssue[] {
  return [...file.values.keys()].filter((key) => !FILE_KEYS.has(key)).map((key) => unknownFileKey(key, file.path));
}

function unknownFileKey(key: string, source: string): ConfigIssue {
  if (FILE_SECTIONS.has(key)) return { key, source, problem: `should be an object holding the ${key}.* settings` };
  const near = closest(key, FILE_KEYS);
  return { key, source, problem: `unknown key (${near ? `did you mean ${near}?` : README_POINTER})` };
}

// ---------------------------------------------------------------------------------------------
// Unknown TRIBUTARY_ variables

/** Every variable Tributary reads, each mapped to whether it belongs to a secret setting. */
const KNOWN_VARIABLES: ReadonlyMap<string, boolean> = (() => {
  const known = new Map(META_VARIABLES.map((name) => [name, false]));
  for (const name of SETTING_NAMES) {
    const setting: Setting<unknown> = SETTINGS[name];
    known.set(setting.env, setting.secret === true);
    if (setting.secret) known.set(`${setting.env}_FILE`, true);
  }
  return known;
})();

function unknownEnvironmentVariables(env: NodeJS.ProcessEnv): ConfigIssue[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('TRIBUTARY_') && !KNOWN_VARIABLES.has(name))
    .map((name) => unknownVariable(name, env[name]));
}

/** A misspelt secret is still a secret: mask it when the name looks like one or the nearest setting is one. */
function unknownVariable(name: string, value: string | undefined): ConfigIssue {
  const near = closest(name, KNOWN_VARIABLES.keys());
  const secret = SECRET_NAME.test(name) || (near !== undefined && KNOWN_VARIABLES.get(near) === true);
  const shown = secret && value !== '' ? SECRET_MASK : value;
  return { key: name, source: 'environment', value: shown, expected: `a known setting${unknownVariableHint(name, near)}` };
}

function unknownVariableHint(name: string, near: string | undefined): string {
  const plain = name.endsWith('_FILE') ? name.slice(0, -'_FILE'.length) : undefined;
  if (plain && KNOWN_VARIABLES.has(plain)) return ` (_FILE is only read for secrets; set ${plain} instead)`;
  return near ? ` (did you mean ${near}?)` : '';
}

function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = MAX_SUGGESTION_DISTANCE + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
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

// ---------------------------------------------------------------------------------------------
// Settings that depend on each other

/** What the cross-field checks read: every resolved setting, and where a missing one was looked for. */
interface Checked {
  readonly settings: Resolution;
  readonly lookedIn: string;
}

interface TlsGroup {
  readonly enabled: SettingName;
  readonly cert: SettingName;
  readonly key: SettingName;
  /** Settings that only take effect with TLS on. */
  readonly tlsOnly: readonly SettingName[];
}

const TLS_GROUPS: readonly TlsGroup[] = [
  {
    enabled: 'kafkaTls',
    cert: 'kafkaTlsCertFile',
    key: 'kafkaTlsKeyFile',
    tlsOnly: ['kafkaTlsCaFile', 'kafkaTlsCertFile', 'kafkaTlsKeyFile'],
  },
  {
    enabled: 'temporalTls',
    cert: 'temporalTlsCertFile',
    key: 'temporalTlsKeyFile',
    tlsOnly: ['temporalTlsCaFile', 'temporalTlsCertFile', 'temporalTlsKeyFile', 'temporalTlsServerName'],
  },
];

const SASL_CREDENTIALS: readonly SettingName[] = ['kafkaSaslUsername', 'kafkaSaslPassword'];

function crossFieldIssues(settings: Resolution, file: ConfigFile | undefined): ConfigIssue[] {
  const checked: Checked = { settings, lookedIn: file ? `environment or ${file.path}` : 'environment' };
  return [
    ...TLS_GROUPS.flatMap((group) => tlsIssues(checked, group)),
    ...saslIssues(checked),
    ...apiKeyIssues(checked),
    ...pairIssues(checked, 'schemaRegistryUsername', 'schemaRegistryPassword', (_, missing) => `${missing.expected} (registry user name and password go together)`),
    ...flinkKubernetesIssues(checked),
  ];
}

const FLINK_KUBERNETES_SETTINGS: readonly SettingName[] = ['flinkKubernetesNamespace', 'flinkKubernetesApiUrl', 'flinkKubernetesServiceAccountDir'];

/** The Kubernetes settings are read only by the operator service: set with the REST service, they would be dropped silently. */
function flinkKubernetesIssues(checked: Checked): ConfigIssue[] {
  const service = checked.settings.flinkService;
  if (service.failed || service.value !== 'rest') return [];
  return FLINK_KUBERNETES_SETTINGS.filter((name) => checked.settings[name].origin !== undefined && checked.settings[name].value !== undefined).map((name) => {
    const origin = originOf(checked, name);
    const choice = switchName(checked, 'flinkService', origin);
    return { key: origin.key, source: origin.source, problem: `is set but ${choice} is not kubernetes, so it would be ignored; set ${choice} to kubernetes or remove it` };
  });
}

/** With TLS off, TLS settings would be dropped silently; with TLS on, a client certificate needs its key. */
function tlsIssues(checked: Checked, group: TlsGroup): ConfigIssue[] {
  const enabled = checked.settings[group.enabled];
  if (enabled.failed) return [];
  if (enabled.value !== true) {
    return group.tlsOnly.filter((name) => checked.settings[name].value !== undefined).map((name) => tlsOffIssue(checked, name, group.enabled));
  }
  return pairIssues(checked, group.cert, group.key, (present) => `a PEM file, because ${present} is set (client certificate and key go together)`);
}

function tlsOffIssue(checked: Checked, name: SettingName, enabled: SettingName): ConfigIssue {
  const origin = originOf(checked, name);
  return { key: origin.key, source: origin.source, problem: `is set but ${switchName(checked, enabled, origin)} is not true; enable TLS or remove it` };
}

/** Names the switch as the person set it, or else in the same spelling as the setting that needs it. */
function switchName(checked: Checked, enabled: SettingName, neededBy: Origin): string {
  const given = checked.settings[enabled].origin;
  if (given) return given.key;
  return neededBy.source === 'environment' ? SETTINGS[enabled].env : SETTINGS[enabled].file;
}

/**
 * An API key is a bearer secret: the Temporal SDK turns TLS on by itself when one is set, so
 * with TLS off here a plaintext server (the local dev server) fails with a bare handshake error.
 */
function apiKeyIssues(checked: Checked): ConfigIssue[] {
  const key = checked.settings.temporalApiKey;
  if (key.failed || key.value === undefined) return [];
  const tls = checked.settings.temporalTls;
  if (tls.failed || tls.value === true) return [];
  const origin = originOf(checked, 'temporalApiKey');
  return [{ key: origin.key, source: origin.source, problem: `is set but ${switchName(checked, 'temporalTls', origin)} is not true; an API key is only sent over TLS (Temporal Cloud requires it), so enable TLS or remove the key` }];
}

function saslIssues(checked: Checked): ConfigIssue[] {
  const mechanism = checked.settings.kafkaSaslMechanism.value;
  if (mechanism === undefined || mechanism === 'none') return [];
  const because = `because ${originOf(checked, 'kafkaSaslMechanism').key}=${String(mechanism)}`;
  return SASL_CREDENTIALS.filter((name) => isMissing(checked, name)).map((name) =>
    missingIssue(checked, name, `${SETTINGS[name].expected}, ${because}`),
  );
}

/** Two settings that only work together: when one is given and the other missing, report the missing one. */
function pairIssues(
  checked: Checked,
  a: SettingName,
  b: SettingName,
  expected: (presentKey: string, missing: Setting<unknown>) => string,
): ConfigIssue[] {
  const report = (missing: SettingName, present: SettingName): ConfigIssue =>
    missingIssue(checked, missing, expected(originOf(checked, present).key, SETTINGS[missing]));
  if (isGiven(checked, a) && isMissing(checked, b)) return [report(b, a)];
  if (isGiven(checked, b) && isMissing(checked, a)) return [report(a, b)];
  return [];
}

/** Set to something non-empty, valid or not: an invalid value is still the person's intent. */
function isGiven(checked: Checked, name: SettingName): boolean {
  const { failed, origin, value } = checked.settings[name];
  return failed || (origin !== undefined && value !== undefined);
}

/** Not set, or set empty; a setting with its own issue is never also reported as missing. */
function isMissing(checked: Checked, name: SettingName): boolean {
  const { failed, value } = checked.settings[name];
  return !failed && value === undefined;
}

function missingIssue(checked: Checked, name: SettingName, expected: string): ConfigIssue {
  return valueIssue(originOf(checked, name), expected);
}

/** Where a setting was given; for one never given, both its spellings and everywhere they were looked for. */
function originOf(checked: Checked, name: SettingName): Origin {
  const setting = SETTINGS[name];
  return checked.settings[name].origin ?? { key: `${setting.env} / ${setting.file}`, source: checked.lookedIn, shown: undefined };
}

// ---------------------------------------------------------------------------------------------

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
      workerMetricsAddress: s.temporalWorkerMetricsAddress,
      workerHealthAddress: s.temporalWorkerHealthAddress,
    },
    flink: {
      restUrl: s.flinkRestUrl,
      sqlGatewayUrl: s.flinkSqlGatewayUrl,
      service: s.flinkService,
      kubernetes: { namespace: s.flinkKubernetesNamespace, apiUrl: s.flinkKubernetesApiUrl, serviceAccountDir: s.flinkKubernetesServiceAccountDir },
    },
    paths: { cacheDir: s.cacheDir, dataDir: s.dataDir },
    topics: { prefix: s.topicPrefix },
    pii: { hashKey: s.piiHashKey },
    stack: { mode: s.stackMode },
  };
}
