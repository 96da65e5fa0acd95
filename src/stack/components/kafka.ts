import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import { createKafka } from '../../streaming/kafka-client.js';
import type { Installation, StackComponent, StackContext } from '../component.js';
import { installMarker } from '../install-marker.js';
import { copyMavenArtifacts } from '../maven-artifacts.js';
import { runSetupStep } from '../run-command.js';
import { STACK_PORTS } from '../stack-layout.js';
import { toolExecutable } from '../../toolchain/external-tools.js';
import { STACK_VERSIONS } from '../versions.js';

const ID = 'kafka';
const VERSION = STACK_VERSIONS.kafka;

const installDir = (ctx: StackContext): string => ctx.layout.installDir(ID, VERSION);
const libDir = (ctx: StackContext): string => join(installDir(ctx), 'libs');
const configDir = (ctx: StackContext): string => join(ctx.layout.componentDataDir('kafka'), 'config');
const logDirs = (ctx: StackContext): string => join(ctx.layout.componentDataDir('kafka'), 'log-dirs');

export const kafkaInstallation: Installation = {
  id: ID,
  version: VERSION,
  installTools: ['mvn'],
  isInstalled: async (ctx) => installMarker.isPresent(installDir(ctx)),
  async install(ctx) {
    const dir = installDir(ctx);
    await installMarker.clearPartial(dir);
    await copyMavenArtifacts(
      ID,
      [
        { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version: VERSION },
        // The broker logs through SLF4J 1.x; the release tarball ships this binding, the pom does not.
        { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: STACK_VERSIONS.log4j },
        { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: STACK_VERSIONS.log4j },
      ],
      join(dir, 'maven'),
      libDir(ctx),
      ctx.progress,
    );
    await installMarker.write(dir, VERSION);
  },
};

/**
 * What every single-node broker of the stack shares: one node, so the internal topics get
 * replication factor 1 and min ISR 1, without which transactions cannot work.
 */
export function singleNodeProperties(logDirs: string): string {
  return `log.dirs=${logDirs}
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Flink's Kafka sink asks for 1 h transactions by default.
transaction.max.timeout.ms=3600000
group.initial.rebalance.delay.ms=0
log.retention.hours=168
`;
}

/** Single-node KRaft (broker and controller in one process), plaintext on 127.0.0.1. */
function serverProperties(ctx: StackContext): string {
  return `# Written by tributary stack; edits are overwritten on the next start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${STACK_PORTS.kafkaController}
listeners=PLAINTEXT://127.0.0.1:${STACK_PORTS.kafka},CONTROLLER://127.0.0.1:${STACK_PORTS.kafkaController}
advertised.listeners=PLAINTEXT://127.0.0.1:${STACK_PORTS.kafka}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
${singleNodeProperties(logDirs(ctx))}`;
}

export const KAFKA_LOG4J2 = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.controller.name = org.apache.kafka.controller
logger.controller.level = warn
`;

export const kafka: StackComponent = {
  name: 'kafka',
  installation: kafkaInstallation,
  ports: [STACK_PORTS.kafka, STACK_PORTS.kafkaController],
  dependsOn: [],
  startTimeoutMs: 90_000,
  runTools: ['java'],
  async prepare(ctx) {
    await mkdir(configDir(ctx), { recursive: true });
    const properties = join(configDir(ctx), 'server.properties');
    await writeFile(properties, serverProperties(ctx));
    await writeFile(join(configDir(ctx), 'log4j2.properties'), KAFKA_LOG4J2);
    if (existsSync(join(logDirs(ctx), 'meta.properties'))) return;
    ctx.progress('kafka: formatting KRaft storage');
    const java = toolExecutable('java');
    const classpath = ['-cp', `${libDir(ctx)}/*`, `-Dlog4j2.configurationFile=${join(configDir(ctx), 'log4j2.properties')}`];
    const clusterId = (await runSetupStep(ID, 'generating a cluster id', java, [...classpath, 'kafka.tools.StorageTool', 'random-uuid'])).trim().split('\n').pop() ?? '';
    await runSetupStep(ID, 'formatting storage', java, [...classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties]);
  },
  processSpec: (ctx) => ({
    executable: toolExecutable('java'),
    args: [
      '-Xms256m',
      '-Xmx768m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(configDir(ctx), 'log4j2.properties')}`,
      '-cp',
      `${libDir(ctx)}/*`,
      'kafka.Kafka',
      join(configDir(ctx), 'server.properties'),
    ],
  }),
  async checkHealth(ctx) {
    const local = { ...ctx.config, kafka: { ...ctx.config.kafka, brokers: [`127.0.0.1:${STACK_PORTS.kafka}`] } };
    const admin = createKafka(local, { clientIdSuffix: 'stack-health', retries: 0, connectionTimeoutMs: 3000, requestTimeoutMs: 5000, logLevel: logLevel.NOTHING }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('the cluster reports no brokers yet');
      return {
        version: VERSION,
        endpoints: { bootstrap: `127.0.0.1:${STACK_PORTS.kafka}`, cluster: cluster.clusterId },
      };
    } finally {
      await admin.disconnect();
    }
  },
};
