/**
 * The secure broker (the stack's kafka-secure: SASL_SSL, SCRAM-SHA-512, ACLs) for one test file:
 * a topic prefix of its own with the ACL table granted for it and its topics created, the broker
 * started when it is not running (and then stopped afterwards, else left alone), and each
 * principal's client configuration.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { secureKafkaClientConfig, secureKafkaFiles, type SecureKafkaFiles } from '../../src/stack/components/kafka-secure.js';
import type { StackContext } from '../../src/stack/component.js';
import type { ComponentName } from '../../src/stack/stack-layout.js';
import { LocalStack } from '../../src/stack/local-stack.js';
import { applySecureKafkaGrants, secureKafkaGrants, type SecureKafkaPrincipal } from '../../src/stack/secure-kafka-acls.js';
import { SECURE_COMPONENTS } from '../../src/stack/stack-components.js';
import { createStackContext } from '../../src/stack/stack-context.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { fraudDefinition } from './fraud-pipeline.js';
import { prepareScoringTopics } from './scoring.js';

export interface SecureBroker {
  /** The default configuration with this file's own topic prefix (not yet pointed at the secure broker). */
  readonly base: TributaryConfig;
  readonly ctx: StackContext;
  readonly files: SecureKafkaFiles;
  /** `base` pointed at the secure broker as `principal`, with the password from its file. */
  roleConfig(principal: SecureKafkaPrincipal): Promise<TributaryConfig>;
  /** A quiet client of `config`, named after the role it plays in the test. */
  kafkaOf(config: TributaryConfig, role: string): Kafka;
  /** The environment that points the CLI at the secure broker as `principal`, the password read from its file. */
  cliEnvironment(principal: SecureKafkaPrincipal): NodeJS.ProcessEnv;
  /** The super user's configuration and connected admin client; set once the file's `beforeAll` ran. */
  readonly adminConfig: TributaryConfig;
  readonly admin: Admin;
}

/** Registers the `beforeAll`/`afterAll` that set the broker up for this file; call it at the top of a `describe`. */
export function useSecureBroker(purpose: string): SecureBroker {
  const base: TributaryConfig = { ...loadConfig(), topics: { prefix: `test-${purpose}-${randomBytes(4).toString('hex')}.` } };
  const ctx = createStackContext(base, () => undefined);
  const stack = new LocalStack(ctx, SECURE_COMPONENTS);
  let startedHere: readonly ComponentName[] = [];
  let adminConfig: TributaryConfig | undefined;
  let admin: Admin | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the secure broker's ${what} is set up in beforeAll; use it inside a test`);
    return value;
  };
  const files = secureKafkaFiles(ctx.layout);
  const broker: SecureBroker = {
    base,
    ctx,
    files,
    roleConfig: (principal) => secureKafkaClientConfig(base, ctx.layout, principal),
    kafkaOf: (config, role) => createKafka(config, { clientIdSuffix: `${purpose}-${role}`, logLevel: logLevel.NOTHING }),
    cliEnvironment: (principal) => ({
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TRIBUTARY_'))),
      TRIBUTARY_TOPIC_PREFIX: base.topics.prefix,
      TRIBUTARY_KAFKA_BROKERS: files.bootstrap,
      TRIBUTARY_KAFKA_TLS: 'true',
      TRIBUTARY_KAFKA_TLS_CA_FILE: files.caFile,
      TRIBUTARY_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      TRIBUTARY_KAFKA_SASL_USERNAME: principal,
      TRIBUTARY_KAFKA_SASL_PASSWORD_FILE: files.passwordFile(principal),
    }),
    get adminConfig() {
      return ready(adminConfig, 'admin configuration');
    },
    get admin() {
      return ready(admin, 'admin client');
    },
  };

  beforeAll(async () => {
    // The secure broker alone: whatever else of the stack is running or stopped stays so.
    const secure = (await stack.status()).find((status) => status.name === 'kafka-secure');
    if (secure?.state !== 'healthy') startedHere = (await stack.up()).started;
    adminConfig = await broker.roleConfig('admin');
    admin = broker.kafkaOf(adminConfig, 'admin').admin();
    await admin.connect();
    // The broker granted the configured prefix at start; this file's own prefix gets the same grants,
    // with the fraud example's topics as `pipeline apply examples/fraud/pipeline.yaml` grants them.
    await applySecureKafkaGrants(admin, secureKafkaGrants(base, [fraudDefinition]));
    await prepareScoringTopics(adminConfig, admin);
  }, 420_000); // the broker's own start timeout (kafka-secure.ts), then the grants and topics

  afterAll(async () => {
    // This file's topics go with it: the broker keeps its data between runs and recovers every
    // partition before it listens, so topics left behind slow each later start.
    if (admin !== undefined) {
      const own = (await admin.listTopics()).filter((topic) => topic.startsWith(base.topics.prefix));
      if (own.length > 0) await admin.deleteTopics({ topics: own, timeout: 30_000 });
    }
    await admin?.disconnect();
    // Only what this file started: a broker someone else runs stays up.
    if (startedHere.length > 0) await stack.down(startedHere);
  }, 60_000);

  return broker;
}

/** Runs the CLI from source as a person would, with that environment; everything it printed, in order of the streams. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): { status: number | null; output: string } {
  const result = spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { env, encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
