import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KafkaSaslConfig, TributaryConfig } from '../config/config.js';
import { FlinkError } from './errors.js';

/**
 * What the feature job must not receive as arguments (Flink shows those in its REST API and web
 * UI): the PII hash key, and the Kafka credentials and TLS settings. Both are written to files
 * only their owner can read, under `<dataDir>/flink/secrets/`, which the local cluster's
 * JobManager and TaskManagers read; on a real cluster that folder is a mounted secret.
 */

const KEY_FILE_NAME = 'pii-hash-key';

/** The Kafka clients inside the cluster's connector jar are relocated, and so are their login modules. */
const SHADED_KAFKA = 'org.apache.flink.kafka.shaded.org.apache.kafka';
const LOGIN_MODULES: Readonly<Record<KafkaSaslConfig['mechanism'], string>> = {
  plain: `${SHADED_KAFKA}.common.security.plain.PlainLoginModule`,
  'scram-sha-256': `${SHADED_KAFKA}.common.security.scram.ScramLoginModule`,
  'scram-sha-512': `${SHADED_KAFKA}.common.security.scram.ScramLoginModule`,
};

export interface FeatureJobSecretFiles {
  readonly piiKeyFile: string;
  /** Undefined for a broker that needs neither TLS nor SASL: the job then connects in plaintext. */
  readonly kafkaClientPropertiesFile: string | undefined;
}

const secretsDir = (config: TributaryConfig): string => join(config.paths.dataDir, 'flink', 'secrets');

/** Where the PII hash key is written for the local cluster's TaskManagers. */
export function piiKeyFilePath(config: TributaryConfig): string {
  return join(secretsDir(config), KEY_FILE_NAME);
}

/**
 * One properties file per job name, so jobs that connect as different principals never share
 * one. Job names are free text: the readable part keeps file-name characters only, and a hash
 * of the whole name keeps two names apart that differ only elsewhere.
 */
export function kafkaClientPropertiesPath(config: TributaryConfig, jobName: string): string {
  const readable = jobName.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  const digest = createHash('sha256').update(jobName).digest('hex').slice(0, 8);
  return join(secretsDir(config), `kafka-client.${readable}.${digest}.properties`);
}

/**
 * The Kafka client settings of a secured broker as the Java client spells them; undefined for
 * a plaintext broker without credentials. A client certificate (mutual TLS) is refused: the
 * Java client needs it as a PEM keystore, which Tributary does not assemble yet.
 */
export function featureJobKafkaProperties(kafka: TributaryConfig['kafka']): Readonly<Record<string, string>> | undefined {
  const { tls, sasl } = kafka;
  if (!tls && !sasl) return undefined;
  if (tls?.certFile) {
    throw new FlinkError(
      'the feature job cannot use a Kafka client certificate (TRIBUTARY_KAFKA_TLS_CERT_FILE, mutual TLS) yet; connect it with SASL over TLS instead',
    );
  }
  const properties: Record<string, string> = { 'security.protocol': tls ? (sasl ? 'SASL_SSL' : 'SSL') : 'SASL_PLAINTEXT' };
  if (tls?.caFile) {
    properties['ssl.truststore.type'] = 'PEM';
    properties['ssl.truststore.location'] = tls.caFile;
  }
  if (sasl) {
    properties['sasl.mechanism'] = sasl.mechanism.toUpperCase();
    properties['sasl.jaas.config'] = `${LOGIN_MODULES[sasl.mechanism]} required username=${jaasQuoted(sasl.username)} password=${jaasQuoted(sasl.password)};`;
  }
  return properties;
}

/** A JAAS option value: double-quoted, with backslashes and quotes escaped as the JAAS parser reads them. */
function jaasQuoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * `java.util.Properties` text: one `key=value` line per entry. Backslashes, line breaks and
 * non-ASCII characters are escaped as `Properties.load` reads them, `=`/`:` in keys too, and a
 * leading space of a value is kept by escaping it.
 */
export function javaPropertiesText(entries: Readonly<Record<string, string>>): string {
  const escape = (text: string, isKey: boolean): string =>
    [...text]
      .map((char, index) => {
        if (char === '\\') return '\\\\';
        if (char === '\n') return '\\n';
        if (char === '\r') return '\\r';
        if (char === '\t') return '\\t';
        if (char === '\f') return '\\f';
        if ((isKey || index === 0) && char === ' ') return '\\ ';
        if (isKey && '=:#!'.includes(char)) return `\\${char}`;
        const code = char.codePointAt(0)!;
        // Properties escapes UTF-16 code units, so a character beyond the BMP becomes its surrogate pair.
        if (code < 0x20 || code > 0x7e) return Array.from({ length: char.length }, (_, unit) => `\\u${char.charCodeAt(unit).toString(16).padStart(4, '0')}`).join('');
        return char;
      })
      .join('');
  return Object.entries(entries)
    .map(([key, value]) => `${escape(key, true)}=${escape(value, false)}\n`)
    .join('');
}

/**
 * Writes a secret to a file only its owner can read (0600, in a 0700 folder), atomically and
 * only when it changed, so a running job never sees a half-written file.
 */
export async function writeSecretFile(file: string, content: string): Promise<void> {
  const folder = join(file, '..');
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await chmod(folder, 0o700);
  if (existsSync(file) && (await readFile(file, 'utf8')) === content) {
    await chmod(file, 0o600);
    return;
  }
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await rename(temporary, file);
}

/**
 * Writes the files the job named `jobName` reads its secrets from: the PII key always, the Kafka
 * client properties for a secured broker. Refuses what the job cannot use before anything is
 * submitted: an authenticated Schema Registry, a Kafka client certificate.
 */
export async function writeFeatureJobSecrets(config: TributaryConfig, jobName: string): Promise<FeatureJobSecretFiles> {
  if (config.schemaRegistry.auth) {
    throw new FlinkError('the feature job cannot authenticate to the Schema Registry yet; it reaches the registry without credentials');
  }
  const kafkaProperties = featureJobKafkaProperties(config.kafka);
  const piiKeyFile = piiKeyFilePath(config);
  await writeSecretFile(piiKeyFile, config.pii.hashKey);
  if (!kafkaProperties) return { piiKeyFile, kafkaClientPropertiesFile: undefined };
  const kafkaClientPropertiesFile = kafkaClientPropertiesPath(config, jobName);
  await writeSecretFile(kafkaClientPropertiesFile, javaPropertiesText(kafkaProperties));
  return { piiKeyFile, kafkaClientPropertiesFile };
}
