import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import {
  featureJobKafkaProperties,
  javaPropertiesText,
  kafkaClientPropertiesPath,
  writeFeatureJobSecrets,
} from '../../src/flink/feature-job-secrets.js';
import { featureJobProgramArgs, featureJobSpec } from '../../src/flink/job-spec.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';

/** Also in examples/fraud/feature-job/src/test/java/…/KafkaClientPropertiesTest.java: keep the two in step. */
const TRICKY_ENTRIES = {
  'sasl.jaas.config': 'ScramLoginModule required username="flink" password="q\\"u\\\\o=t:e#d é😀";',
  'ssl.truststore.location': ' /leading space/ca.pem',
  'odd=key:name': 'line\nbreak\ttab',
};

const scratch = mkdtempSync(join(tmpdir(), 'tributary-feature-job-secrets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const plain: TributaryConfig = loadConfig({ env: { TRIBUTARY_DATA_DIR: scratch } });
const PASSWORD = 'pa"ss\\word';
const secured: TributaryConfig = {
  ...plain,
  kafka: {
    ...plain.kafka,
    brokers: ['127.0.0.1:9094'],
    tls: { caFile: '/stack/kafka-secure/tls/ca.pem', certFile: undefined, keyFile: undefined },
    sasl: { mechanism: 'scram-sha-512', username: 'flink', password: PASSWORD },
  },
};

describe('the feature job\'s Kafka client properties', () => {
  it('are absent for a plaintext broker, so the job connects as before', () => {
    expect(featureJobKafkaProperties(plain.kafka)).toBeUndefined();
  });

  it('spell SASL over TLS as the relocated Java client reads it, with the password quoted for JAAS', () => {
    expect(featureJobKafkaProperties(secured.kafka)).toStrictEqual({
      'security.protocol': 'SASL_SSL',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': '/stack/kafka-secure/tls/ca.pem',
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.jaas.config':
        'org.apache.flink.kafka.shaded.org.apache.kafka.common.security.scram.ScramLoginModule required username="flink" password="pa\\"ss\\\\word";',
    });
  });

  it('cover TLS alone (system trust store) and SASL PLAIN without TLS', () => {
    expect(featureJobKafkaProperties({ ...plain.kafka, tls: { caFile: undefined, certFile: undefined, keyFile: undefined } })).toStrictEqual({ 'security.protocol': 'SSL' });
    expect(featureJobKafkaProperties({ ...plain.kafka, sasl: { mechanism: 'plain', username: 'u', password: 'p' } })).toStrictEqual({
      'security.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanism': 'PLAIN',
      'sasl.jaas.config': 'org.apache.flink.kafka.shaded.org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";',
    });
  });

  it('refuse a client certificate (mutual TLS) in one line', () => {
    const mutual = { ...secured.kafka, tls: { caFile: undefined, certFile: '/c.pem', keyFile: '/k.pem' } };
    expect(() => featureJobKafkaProperties(mutual)).toThrow(
      'the feature job cannot use a Kafka client certificate (TRIBUTARY_KAFKA_TLS_CERT_FILE, mutual TLS) yet; connect it with SASL over TLS instead',
    );
  });

  it('are written in java.util.Properties syntax: backslashes, line breaks, separators in keys, a leading space and non-ASCII escaped', () => {
    expect(javaPropertiesText({ 'a=b:c': ' x\\y\nz', é: 'ü😀', plain: 'k=v' })).toBe(
      'a\\=b\\:c=\\ x\\\\y\\nz\n\\u00e9=\\u00fc\\ud83d\\ude00\nplain=k=v\n',
    );
  });
});

describe('writeFeatureJobSecrets', () => {
  it('writes the PII key and, for a secured broker, a 0600 properties file per job name that the arguments name but never contain', async () => {
    const files = await writeFeatureJobSecrets(secured, 'fraud features/v2');
    expect(files.kafkaClientPropertiesFile).toBe(kafkaClientPropertiesPath(secured, 'fraud features/v2'));
    expect(files.kafkaClientPropertiesFile).toMatch(/\/flink\/secrets\/kafka-client\.fraud_features_v2\.[0-9a-f]{8}\.properties$/);
    expect(statSync(files.kafkaClientPropertiesFile!).mode & 0o777).toBe(0o600);
    expect(readFileSync(files.kafkaClientPropertiesFile!, 'utf8')).toContain('password="pa\\\\"ss\\\\\\\\word";');

    // A job without arguments of its own, so the platform's come last.
    const args = featureJobProgramArgs(featureJobSpec(secured, { ...fraudJarJob, args: [] }, { jobVersion: 'v2', jobName: 'fraud features/v2', ...files }));
    expect(args.slice(-2)).toStrictEqual(['--kafka-client-properties', files.kafkaClientPropertiesFile]);
    expect(args.join(' ')).not.toContain('word');
  });

  it('keeps two job names apart that differ only in characters a file name cannot hold', () => {
    expect(kafkaClientPropertiesPath(secured, 'a/b')).not.toBe(kafkaClientPropertiesPath(secured, 'a:b'));
  });

  it('writes no properties file for a plaintext broker', async () => {
    expect((await writeFeatureJobSecrets(plain, 'plain-job')).kafkaClientPropertiesFile).toBeUndefined();
  });

  it('refuses an authenticated Schema Registry before writing anything', async () => {
    const withRegistryAuth = { ...secured, schemaRegistry: { ...secured.schemaRegistry, auth: { username: 'u', password: 'p' } } };
    await expect(writeFeatureJobSecrets(withRegistryAuth, 'registry-auth-job')).rejects.toThrow(
      'the feature job cannot authenticate to the Schema Registry yet; it reaches the registry without credentials',
    );
  });
});

describe('the properties file as the job reads it', () => {
  /** The Java side (KafkaClientPropertiesTest.readsTheFileTributaryWrites) loads the same fixture with java.util.Properties. */
  it('matches the fixture the job\'s JUnit test reads back into the same values', () => {
    const fixture = readFileSync(new URL('../fixtures/feature-job/kafka-client.properties', import.meta.url), 'utf8');
    expect(javaPropertiesText(TRICKY_ENTRIES)).toBe(fixture);
  });
});
