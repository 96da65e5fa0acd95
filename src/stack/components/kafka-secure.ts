import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import type { TributaryConfig } from '../../config/config.js';
import { reasonOf } from '../../errors/tributary-error.js';
import { KafkaPipelineStore } from '../../pipeline-store/kafka-pipeline-store.js';
import { createKafka } from '../../streaming/kafka-client.js';
import type { StackComponent, StackContext } from '../component.js';
import { StackError } from '../errors.js';
import { runSetupStep } from '../run-command.js';
import { applySecureKafkaGrants, SECURE_KAFKA_PRINCIPALS, secureKafkaGrants, type SecureKafkaPrincipal } from '../secure-kafka-acls.js';
import { STACK_PORTS, type StackLayout } from '../stack-layout.js';
import { toolExecutable } from '../../toolchain/external-tools.js';
import { STACK_VERSIONS } from '../versions.js';
import { KAFKA_LOG4J2, kafkaInstallation, singleNodeProperties } from './kafka.js';

const ID = 'kafka-secure';
const BOOTSTRAP = `127.0.0.1:${STACK_PORTS.kafkaSecure}`;
const SECRET_FILE_MODE = 0o600;

/** Where the secure broker keeps what clients need from it: its CA certificate and each principal's password file. */
export interface SecureKafkaFiles {
  readonly bootstrap: string;
  /** PEM of the broker's certificate authority: what clients set as TRIBUTARY_KAFKA_TLS_CA_FILE. */
  readonly caFile: string;
  /** Mode 600; what a client of that principal sets as TRIBUTARY_KAFKA_SASL_PASSWORD_FILE. */
  passwordFile(principal: SecureKafkaPrincipal): string;
}

const dataDir = (layout: StackLayout): string => layout.componentDataDir(ID);
const tlsDir = (layout: StackLayout): string => join(dataDir(layout), 'tls');
const secretsDir = (layout: StackLayout): string => join(dataDir(layout), 'secrets');
const configDir = (layout: StackLayout): string => join(dataDir(layout), 'config');
const logDirs = (layout: StackLayout): string => join(dataDir(layout), 'log-dirs');
const libDir = (ctx: StackContext): string => join(ctx.layout.installDir(kafkaInstallation.id, kafkaInstallation.version), 'libs');
/** The broker's own side of the controller listener (SASL PLAIN, never reachable beyond 127.0.0.1). */
const controllerPasswordFile = (layout: StackLayout): string => join(secretsDir(layout), 'controller.password');

export function secureKafkaFiles(layout: StackLayout): SecureKafkaFiles {
  return {
    bootstrap: BOOTSTRAP,
    caFile: join(tlsDir(layout), 'ca.pem'),
    passwordFile: (principal) => join(secretsDir(layout), `${principal}.password`),
  };
}

/** `config` pointed at the secure broker as `principal`: SASL_SSL with SCRAM-SHA-512, trusting the stack's CA. */
export async function secureKafkaClientConfig(config: TributaryConfig, layout: StackLayout, principal: SecureKafkaPrincipal): Promise<TributaryConfig> {
  const files = secureKafkaFiles(layout);
  const password = (await readFile(files.passwordFile(principal), 'utf8')).trim();
  return {
    ...config,
    kafka: {
      ...config.kafka,
      brokers: [files.bootstrap],
      tls: { caFile: files.caFile, certFile: undefined, keyFile: undefined },
      sasl: { mechanism: 'scram-sha-512', username: principal, password },
    },
  };
}

/**
 * A self-signed CA and a broker certificate for 127.0.0.1 and localhost, signed by it; the broker
 * reads key and chain as one PEM keystore, so no keystore password exists to be kept.
 */
async function generateCertificates(layout: StackLayout): Promise<void> {
  const dir = tlsDir(layout);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const openssl = toolExecutable('openssl');
  const at = (name: string): string => join(dir, name);
  const step = (what: string, args: string[]): Promise<string> => runSetupStep(ID, what, openssl, args, { timeoutMs: 60_000 });
  await step('creating the certificate authority', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '825', '-subj', '/CN=Tributary local CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', at('ca.key'), '-out', at('ca.pem'),
  ]);
  await step('creating the broker key', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', at('broker.key'), '-out', at('broker.csr')]);
  await writeFile(at('broker.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  await step('signing the broker certificate', [
    'x509', '-req', '-days', '825', '-in', at('broker.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial',
    '-extfile', at('broker.ext'), '-out', at('broker.crt'),
  ]);
  const [key, certificate, ca] = await Promise.all(['broker.key', 'broker.crt', 'ca.pem'].map((name) => readFile(at(name), 'utf8')));
  await writeFile(at('broker-keystore.pem'), `${key}${certificate}${ca}`, { mode: SECRET_FILE_MODE });
  await Promise.all(['ca.key', 'broker.key'].map((name) => chmod(at(name), SECRET_FILE_MODE)));
  await rm(at('broker.csr'));
}

const generatePassword = (): string => randomBytes(24).toString('hex');

async function writeSecret(file: string, value: string): Promise<void> {
  await writeFile(file, `${value}\n`, { mode: SECRET_FILE_MODE });
  await chmod(file, SECRET_FILE_MODE);
}

/** A formatted storage without its password files cannot be logged into again; say how to start afresh. */
async function readSecret(file: string, layout: StackLayout): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw new StackError(
      `kafka-secure: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? reasonOf(error)}), whose credential its storage holds; ` +
        `stop kafka-secure and delete ${dataDir(layout)} to create new users and certificates`,
      { component: ID },
    );
  }
}

/**
 * SASL_SSL (SCRAM-SHA-512) for clients and between the broker and itself, SASL PLAIN on the
 * loopback controller listener, and the KRaft StandardAuthorizer with `admin` as the only super
 * user: without an ACL, nobody else may do anything. Holds the admin and controller passwords,
 * so it is written with mode 600; the broker logs these values as [hidden].
 */
function serverProperties(layout: StackLayout, adminPassword: string, controllerPassword: string): string {
  const tls = tlsDir(layout);
  return `# Written by tributary stack --secure; edits are overwritten on the next start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${STACK_PORTS.kafkaSecureController}
listeners=SASL_SSL://${BOOTSTRAP},CONTROLLER://127.0.0.1:${STACK_PORTS.kafkaSecureController}
advertised.listeners=SASL_SSL://${BOOTSTRAP}
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=SASL_SSL
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
sasl.mechanism.controller.protocol=PLAIN
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${adminPassword}";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${controllerPassword}" user_admin="${controllerPassword}";
ssl.keystore.type=PEM
ssl.keystore.location=${join(tls, 'broker-keystore.pem')}
ssl.truststore.type=PEM
ssl.truststore.location=${join(tls, 'ca.pem')}
ssl.client.auth=none
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
${singleNodeProperties(logDirs(layout))}`;
}

/**
 * Formats the KRaft storage with one SCRAM-SHA-512 credential per principal. The passwords go
 * through a Java argument file (mode 600, deleted right after), so they never appear on a
 * command line or in a failure message.
 */
async function formatWithScramUsers(ctx: StackContext, properties: string, passwords: ReadonlyMap<SecureKafkaPrincipal, string>): Promise<void> {
  const java = toolExecutable('java');
  const classpath = ['-cp', `${libDir(ctx)}/*`, `-Dlog4j2.configurationFile=${join(configDir(ctx.layout), 'log4j2.properties')}`];
  const clusterId = (await runSetupStep(ID, 'generating a cluster id', java, [...classpath, 'kafka.tools.StorageTool', 'random-uuid'])).trim().split('\n').pop() ?? '';
  const argumentFile = join(secretsDir(ctx.layout), 'format.args');
  const scramUsers = [...passwords].flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]);
  await writeFile(argumentFile, ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties, ...scramUsers].join('\n'), { mode: SECRET_FILE_MODE });
  try {
    await runSetupStep(ID, 'formatting storage with the SCRAM users', java, [...classpath, `@${argumentFile}`]);
  } finally {
    await rm(argumentFile, { force: true });
  }
}

async function prepare(ctx: StackContext): Promise<void> {
  const { layout } = ctx;
  await mkdir(configDir(layout), { recursive: true });
  await mkdir(secretsDir(layout), { recursive: true, mode: 0o700 });
  if (!existsSync(secureKafkaFiles(layout).caFile)) {
    ctx.progress('kafka-secure: generating a CA and the broker certificate');
    await generateCertificates(layout);
  }
  const formatted = existsSync(join(logDirs(layout), 'meta.properties'));
  const files = secureKafkaFiles(layout);
  if (!formatted) {
    // New storage, new credentials: a password file always matches the credential in the metadata log.
    await Promise.all([...SECURE_KAFKA_PRINCIPALS.map((principal) => writeSecret(files.passwordFile(principal), generatePassword())), writeSecret(controllerPasswordFile(layout), generatePassword())]);
  }
  const passwords = new Map(await Promise.all(SECURE_KAFKA_PRINCIPALS.map(async (principal) => [principal, await readSecret(files.passwordFile(principal), layout)] as const)));
  const properties = join(configDir(layout), 'server.properties');
  await writeSecret(properties, serverProperties(layout, passwords.get('admin') ?? '', await readSecret(controllerPasswordFile(layout), layout)));
  await writeFile(join(configDir(layout), 'log4j2.properties'), KAFKA_LOG4J2);
  if (formatted) return;
  ctx.progress(`kafka-secure: formatting KRaft storage with SCRAM users ${SECURE_KAFKA_PRINCIPALS.join(', ')} (passwords in ${secretsDir(layout)})`);
  await formatWithScramUsers(ctx, properties, passwords);
}

async function adminKafkaOf(ctx: StackContext) {
  const config = await secureKafkaClientConfig(ctx.config, ctx.layout, 'admin');
  return createKafka(config, { clientIdSuffix: 'stack-secure', retries: 0, connectionTimeoutMs: 3000, requestTimeoutMs: 5000, logLevel: logLevel.NOTHING });
}

async function adminOf(ctx: StackContext) {
  return (await adminKafkaOf(ctx)).admin();
}

/** A second, separate broker for secure mode (`stack up --secure`); the plaintext broker is untouched. */
export const kafkaSecure: StackComponent = {
  name: ID,
  installation: kafkaInstallation,
  ports: [STACK_PORTS.kafkaSecure, STACK_PORTS.kafkaSecureController],
  dependsOn: [],
  // It recovers every partition before it listens: on the 2-core machine, 751 partitions left by
  // earlier test runs took over 90 s (about 3 a second under load).
  startTimeoutMs: 300_000,
  runTools: ['java', 'openssl'],
  prepare,
  processSpec: (ctx) => ({
    executable: toolExecutable('java'),
    args: [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(configDir(ctx.layout), 'log4j2.properties')}`,
      '-cp',
      `${libDir(ctx)}/*`,
      'kafka.Kafka',
      join(configDir(ctx.layout), 'server.properties'),
    ],
  }),
  async checkHealth(ctx) {
    const admin = await adminOf(ctx);
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('the cluster reports no brokers yet');
      return {
        version: `${STACK_VERSIONS.kafka} SASL_SSL`,
        endpoints: { bootstrap: BOOTSTRAP, cluster: cluster.clusterId, ca: secureKafkaFiles(ctx.layout).caFile },
      };
    } finally {
      await admin.disconnect();
    }
  },
  async afterHealthy(ctx) {
    const kafka = await adminKafkaOf(ctx);
    const admin = kafka.admin();
    try {
      await admin.connect();
      // The pipelines applied under the prefix so far get their topics' grants too; `pipeline apply` grants a later one.
      const store = await KafkaPipelineStore.open({ kafka, admin, config: ctx.config });
      const pipelines = await store.list().finally(() => store.close());
      const grants = secureKafkaGrants(ctx.config, pipelines.map((revision) => revision.definition));
      await applySecureKafkaGrants(admin, grants);
      const applied = pipelines.length === 0 ? 'no pipeline applied yet' : `pipeline${pipelines.length === 1 ? '' : 's'} ${pipelines.map((revision) => revision.name).join(', ')}`;
      ctx.progress(`kafka-secure: ${grants.length} ACLs in place for the platform's topics of prefix "${ctx.config.topics.prefix}" and ${applied}`);
    } finally {
      await admin.disconnect();
    }
  },
};
