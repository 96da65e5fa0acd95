import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FlinkRestClient } from '../../flink/flink-rest-client.js';
import { SqlGatewayClient } from '../../flink/sql-gateway-client.js';
import type { Installation, ProcessSpec, StackComponent, StackContext } from '../component.js';
import { SetupStepError, StackError } from '../errors.js';
import { installMarker } from '../install-marker.js';
import { copyMavenArtifacts, type MavenArtifact } from '../maven-artifacts.js';
import { runSetupStep } from '../run-command.js';
import { STACK_PORTS, type ComponentName } from '../stack-layout.js';
import { toolExecutable } from '../../toolchain/external-tools.js';
import { STACK_VERSIONS } from '../versions.js';

const ID = 'flink';
const VERSION = STACK_VERSIONS.flink;
/** The JobManager's RPC port (Flink's default), which the TaskManager connects to. */

const SQL_GATEWAY: MavenArtifact = { groupId: 'org.apache.flink', artifactId: 'flink-sql-gateway', version: VERSION, intransitive: true };

/** Jars Flink's wheels do not carry, and the FLINK_HOME folder each goes to. */
const EXTRA_JARS: readonly { readonly artifact: MavenArtifact; readonly folder: 'lib' | 'opt' }[] = [
  // opt/, as in Flink's binary distribution: only the gateway's own classpath carries it.
  { artifact: SQL_GATEWAY, folder: 'opt' },
  // Fat jars whose remaining dependencies are already in lib/.
  { artifact: { groupId: 'org.apache.flink', artifactId: 'flink-sql-connector-kafka', version: STACK_VERSIONS.flinkKafkaConnector, intransitive: true }, folder: 'lib' },
  { artifact: { groupId: 'org.apache.flink', artifactId: 'flink-sql-avro-confluent-registry', version: STACK_VERSIONS.flinkAvroConfluentRegistry, intransitive: true }, folder: 'lib' },
];

const jarName = (artifact: MavenArtifact): string => `${artifact.artifactId}-${artifact.version}.jar`;
const installDir = (ctx: StackContext): string => ctx.layout.installDir(ID, VERSION);
/** The wheels unpack to `pyflink/`, which is laid out as a FLINK_HOME (bin, conf, lib, opt, plugins). */
const flinkHome = (ctx: StackContext): string => join(installDir(ctx), 'pyflink');
const flinkDist = (ctx: StackContext): string => join(flinkHome(ctx), 'lib', `flink-dist-${VERSION}.jar`);
const dataDir = (ctx: StackContext): string => ctx.layout.componentDataDir('flink');
const confDir = (ctx: StackContext): string => join(dataDir(ctx), 'conf');
const checkpointDir = (ctx: StackContext): string => join(dataDir(ctx), 'checkpoints');
const savepointDir = (ctx: StackContext): string => join(dataDir(ctx), 'savepoints');
/** Flink's own rolling log files, which its Web UI shows; stdout goes to the stack's log file too. */
const flinkLogDir = (ctx: StackContext): string => join(dataDir(ctx), 'log');
const jvmSettingsFile = (ctx: StackContext, name: FlinkComponentName): string => join(confDir(ctx), `${name}.jvm.json`);
const restUrl = `http://127.0.0.1:${STACK_PORTS.flinkRest}`;
const sqlGatewayUrl = `http://127.0.0.1:${STACK_PORTS.flinkSqlGateway}`;

export const flinkInstallation: Installation = {
  id: ID,
  version: VERSION,
  installTools: ['python3', 'mvn'],
  isInstalled: async (ctx) =>
    installMarker.isPresent(installDir(ctx)) &&
    existsSync(flinkDist(ctx)) &&
    EXTRA_JARS.every(({ artifact, folder }) => existsSync(join(flinkHome(ctx), folder, jarName(artifact)))),
  async install(ctx) {
    const dir = installDir(ctx);
    await installMarker.clearPartial(dir);
    await mkdir(dir, { recursive: true });

    const wheelDir = join(dir, 'wheels');
    ctx.progress(`flink ${VERSION}: downloading the apache-flink and apache-flink-libraries wheels from PyPI (about 320 MB)`);
    // Only bin/, conf/ and the jars are used, never the Python code, so one fixed wheel tag
    // serves every machine and the download does not depend on the local Python.
    await runSetupStep(ID, 'downloading wheels from PyPI', 'python3', [
      '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--no-cache-dir', '--disable-pip-version-check',
      '--progress-bar', 'off', '--platform', 'manylinux2014_x86_64', '--python-version', '3.11',
      '--dest', wheelDir, `apache-flink==${VERSION}`, `apache-flink-libraries==${VERSION}`,
    ]);
    const wheels = (await readdir(wheelDir)).filter((file) => file.endsWith('.whl'));
    if (wheels.length !== 2) {
      throw new SetupStepError(ID, 'downloading wheels from PyPI', `expected 2 wheels in ${wheelDir}, found: ${wheels.join(', ') || 'none'}`);
    }
    ctx.progress(`flink ${VERSION}: unpacking the wheels into ${flinkHome(ctx)}`);
    for (const wheel of wheels) {
      await runSetupStep(ID, `unpacking ${wheel}`, 'python3', ['-m', 'zipfile', '-e', join(wheelDir, wheel), dir]);
    }
    await rm(wheelDir, { recursive: true, force: true });
    for (const expected of [flinkDist(ctx), join(flinkHome(ctx), 'bin', 'bash-java-utils.jar'), join(flinkHome(ctx), 'conf', 'config.yaml')]) {
      if (!existsSync(expected)) throw new SetupStepError(ID, 'unpacking the wheels', `${expected} is missing; the wheels' layout is not the one expected`);
    }

    const mavenDir = join(dir, 'maven');
    const resolvedDir = join(mavenDir, 'jars');
    await copyMavenArtifacts(ID, EXTRA_JARS.map((jar) => jar.artifact), mavenDir, resolvedDir, ctx.progress);
    for (const { artifact, folder } of EXTRA_JARS) {
      await mkdir(join(flinkHome(ctx), folder), { recursive: true });
      await rename(join(resolvedDir, jarName(artifact)), join(flinkHome(ctx), folder, jarName(artifact))).catch((error: unknown) => {
        throw new SetupStepError(ID, `placing ${jarName(artifact)} into ${folder}/`, (error as Error).message, error);
      });
    }
    await rm(mavenDir, { recursive: true, force: true });
    await installMarker.write(dir, VERSION);
  },
};

/**
 * The cluster's configuration, shared by the three processes. Memory is small on purpose:
 * the whole stack runs beside the test suite on two cores.
 */
function flinkConfig(ctx: StackContext): Record<string, string | number> {
  return {
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.rpc.port': STACK_PORTS.flinkJobManagerRpc,
    'jobmanager.bind-host': '127.0.0.1',
    'jobmanager.memory.process.size': '1024m',
    'taskmanager.host': '127.0.0.1',
    'taskmanager.bind-host': '127.0.0.1',
    'taskmanager.numberOfTaskSlots': 4,
    'taskmanager.memory.process.size': '1536m',
    // Managed memory serves RocksDB and batch operators; with heap state it would sit idle,
    // so most of the budget goes to the task heap instead.
    'taskmanager.memory.managed.fraction': 0.1,
    'parallelism.default': 1,
    'rest.address': '127.0.0.1',
    'rest.bind-address': '127.0.0.1',
    'rest.port': STACK_PORTS.flinkRest,
    // Heap state: the feature job's state is small here, reads and writes are fastest, and
    // there is no native RocksDB memory to budget for. Checkpoints still go to files.
    'state.backend.type': 'hashmap',
    'execution.checkpointing.dir': pathToFileURL(checkpointDir(ctx)).href,
    'execution.checkpointing.savepoint-dir': pathToFileURL(savepointDir(ctx)).href,
    // Kafka transactional sinks commit on checkpoints, so this bounds their end-to-end latency.
    'execution.checkpointing.interval': '10s',
    // Rides out a restarting Kafka or TaskManager, yet a job that keeps failing ends FAILED
    // within minutes, where a deployment workflow can see it and roll back.
    'restart-strategy.type': 'exponential-delay',
    'restart-strategy.exponential-delay.initial-backoff': '1s',
    'restart-strategy.exponential-delay.max-backoff': '1min',
    'restart-strategy.exponential-delay.attempts-before-reset-backoff': 10,
    'sql-gateway.endpoint.rest.address': '127.0.0.1',
    'sql-gateway.endpoint.rest.bind-address': '127.0.0.1',
    'sql-gateway.endpoint.rest.port': STACK_PORTS.flinkSqlGateway,
  };
}

function configYaml(ctx: StackContext): string {
  // Double-quoted YAML strings are JSON strings, so paths with any characters stay intact.
  const lines = Object.entries(flinkConfig(ctx)).map(([key, value]) => `${key}: ${typeof value === 'string' ? JSON.stringify(value) : value}`);
  return `# Written by tributary stack; edits are overwritten on the next start.\n${lines.join('\n')}\n`;
}

/** Components prepare concurrently and share the conf dir: write whole files or nothing. */
async function writeAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}

type FlinkComponentName = Extract<ComponentName, `flink-${string}`>;

/** JVM flags and Flink dynamic properties of one process, computed by Flink itself at prepare. */
interface JvmSettings {
  readonly jvmOptions: readonly string[];
  readonly dynamicProperties: readonly string[];
  /**
   * The TaskManager's resource id, new at every start: the JobManager keeps listing a dead
   * TaskManager until its heartbeat times out, so health asks for this very one.
   */
  readonly resourceId?: string;
}

const RESULT_PREFIX = 'BASH_JAVA_UTILS_EXEC_RESULT:';

/** Runs Flink's BashJavaUtils (what Flink's scripts use) and returns its result lines. */
async function bashJavaUtils(ctx: StackContext, step: string, command: string, configDir: string, extra: readonly string[] = []): Promise<string[]> {
  const classpath = `${join(flinkHome(ctx), 'bin', 'bash-java-utils.jar')}:${flinkDist(ctx)}`;
  const output = await runSetupStep(ID, step, toolExecutable('java'), [
    '-classpath', classpath, 'org.apache.flink.runtime.util.bash.BashJavaUtils', command, '--configDir', configDir, ...extra,
  ], { timeoutMs: 60_000 });
  const results = output.split('\n').filter((line) => line.startsWith(RESULT_PREFIX)).map((line) => line.slice(RESULT_PREFIX.length).trim());
  if (results.length === 0) throw new StackError(`flink: ${step} gave no result; BashJavaUtils printed:\n${output.slice(-2000)}`);
  return results;
}

/** The `--add-opens`/`--add-exports` list Java 17 needs, from the distribution's default config. */
async function javaModuleOptions(ctx: StackContext): Promise<string[]> {
  const key = 'env.java.opts.all: ';
  const lines = await bashJavaUtils(ctx, 'reading the default JVM options', 'UPDATE_AND_GET_FLINK_CONFIGURATION', join(flinkHome(ctx), 'conf'), ['-flatten']);
  const value = lines.find((line) => line.startsWith(key))?.slice(key.length);
  if (!value) throw new StackError(`flink: ${join(flinkHome(ctx), 'conf', 'config.yaml')} has no env.java.opts.all; reinstall with \`tributary stack reset\``);
  return value.split(/\s+/).filter(Boolean);
}

/** Heap, direct and metaspace limits plus matching memory properties, as Flink's scripts compute them. */
async function memorySettings(ctx: StackContext, command: 'GET_JM_RESOURCE_PARAMS' | 'GET_TM_RESOURCE_PARAMS'): Promise<JvmSettings> {
  const [jvmParams, dynamicProperties] = await bashJavaUtils(ctx, `computing memory settings (${command})`, command, confDir(ctx));
  if (jvmParams === undefined || dynamicProperties === undefined) {
    throw new StackError(`flink: BashJavaUtils ${command} printed fewer than two results`);
  }
  return { jvmOptions: jvmParams.split(/\s+/).filter(Boolean), dynamicProperties: dynamicProperties.split(/\s+/).filter(Boolean) };
}

async function prepareFlink(ctx: StackContext, name: FlinkComponentName): Promise<void> {
  for (const dir of [confDir(ctx), checkpointDir(ctx), savepointDir(ctx), flinkLogDir(ctx)]) await mkdir(dir, { recursive: true });
  await writeAtomically(join(confDir(ctx), 'config.yaml'), configYaml(ctx));
  await writeAtomically(join(confDir(ctx), 'log4j-console.properties'), await readFile(join(flinkHome(ctx), 'conf', 'log4j-console.properties'), 'utf8'));

  const moduleOptions = await javaModuleOptions(ctx);
  let settings: JvmSettings;
  if (name === 'flink-jobmanager') settings = await memorySettings(ctx, 'GET_JM_RESOURCE_PARAMS');
  else if (name === 'flink-taskmanager') {
    const resourceId = `tributary-taskmanager-${Date.now().toString(36)}`;
    const memory = await memorySettings(ctx, 'GET_TM_RESOURCE_PARAMS');
    settings = { ...memory, dynamicProperties: [...memory.dynamicProperties, '-D', `taskmanager.resource-id=${resourceId}`], resourceId };
  }
  else settings = { jvmOptions: ['-Xms128m', '-Xmx512m'], dynamicProperties: [] };
  const withModules: JvmSettings = { ...settings, jvmOptions: [...moduleOptions, ...settings.jvmOptions] };
  await writeAtomically(jvmSettingsFile(ctx, name), `${JSON.stringify(withModules, null, 2)}\n`);
}

function readJvmSettings(ctx: StackContext, name: FlinkComponentName): JvmSettings {
  const file = jvmSettingsFile(ctx, name);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JvmSettings;
  } catch (error) {
    throw new StackError(`${name} is not prepared (${file}: ${(error as Error).message}); run prepare before start`, { component: name, cause: error });
  }
}

/** All of lib/ with flink-dist last, as Flink's scripts build it; the gateway adds its jar from opt/. */
function classpath(ctx: StackContext, withSqlGateway: boolean): string {
  const lib = join(flinkHome(ctx), 'lib');
  const jars = readdirSync(lib).filter((file) => file.endsWith('.jar') && !file.startsWith('flink-dist')).sort();
  const entries = [...jars.map((jar) => join(lib, jar)), flinkDist(ctx)];
  if (withSqlGateway) entries.push(join(flinkHome(ctx), 'opt', jarName(SQL_GATEWAY)));
  return entries.join(':');
}

const MAIN_CLASSES: Record<FlinkComponentName, string> = {
  'flink-jobmanager': 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
  'flink-taskmanager': 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner',
  'flink-sql-gateway': 'org.apache.flink.table.gateway.SqlGateway',
};

/** The JVM itself, started directly (not through Flink's scripts) so the recorded pid is the JVM's. */
function flinkProcessSpec(ctx: StackContext, name: FlinkComponentName): ProcessSpec {
  const settings = readJvmSettings(ctx, name);
  const home = flinkHome(ctx);
  // The gateway reads its configuration from FLINK_CONF_DIR and takes no --configDir.
  const programArgs = name === 'flink-sql-gateway' ? [] : ['--configDir', confDir(ctx), ...settings.dynamicProperties];
  return {
    executable: toolExecutable('java'),
    args: [
      ...settings.jvmOptions,
      `-Dlog.file=${join(flinkLogDir(ctx), `${name}.log`)}`,
      `-Dlog4j.configurationFile=${pathToFileURL(join(confDir(ctx), 'log4j-console.properties')).href}`,
      '-classpath',
      classpath(ctx, name === 'flink-sql-gateway'),
      MAIN_CLASSES[name],
      ...programArgs,
    ],
    env: {
      FLINK_HOME: home,
      FLINK_CONF_DIR: confDir(ctx),
      FLINK_BIN_DIR: join(home, 'bin'),
      FLINK_LIB_DIR: join(home, 'lib'),
      FLINK_OPT_DIR: join(home, 'opt'),
      FLINK_PLUGINS_DIR: join(home, 'plugins'),
    },
    cwd: dataDir(ctx),
  };
}

/** Health probes answer fast or not at all; the orchestrator polls. */
const probeOptions = { requestTimeoutMs: 3000, retries: 0 } as const;

const FLINK_START_TIMEOUT_MS = 120_000;

/** The session cluster's JobManager: REST API and Web UI on 8081, RPC on 6123. */
export const flinkJobManager: StackComponent = {
  name: 'flink-jobmanager',
  installation: flinkInstallation,
  ports: [STACK_PORTS.flinkRest, STACK_PORTS.flinkJobManagerRpc],
  dependsOn: [],
  startTimeoutMs: FLINK_START_TIMEOUT_MS,
  runTools: ['java'],
  prepare: (ctx) => prepareFlink(ctx, 'flink-jobmanager'),
  processSpec: (ctx) => flinkProcessSpec(ctx, 'flink-jobmanager'),
  async checkHealth() {
    const client = new FlinkRestClient({ baseUrl: restUrl, ...probeOptions });
    // /overview needs the dispatcher and resource manager up; /config names the version.
    const [, config] = await Promise.all([client.overview(), client.config()]);
    return { version: config['flink-version'], endpoints: { rest: restUrl, ui: restUrl, rpc: `127.0.0.1:${STACK_PORTS.flinkJobManagerRpc}` } };
  },
};

/** One TaskManager with four slots; healthy once registered with the JobManager. */
export const flinkTaskManager: StackComponent = {
  name: 'flink-taskmanager',
  installation: flinkInstallation,
  ports: [],
  dependsOn: ['flink-jobmanager'],
  startTimeoutMs: FLINK_START_TIMEOUT_MS,
  runTools: ['java'],
  prepare: (ctx) => prepareFlink(ctx, 'flink-taskmanager'),
  processSpec: (ctx) => flinkProcessSpec(ctx, 'flink-taskmanager'),
  async checkHealth(ctx) {
    const { resourceId } = readJvmSettings(ctx, 'flink-taskmanager');
    const client = new FlinkRestClient({ baseUrl: restUrl, ...probeOptions });
    const [taskManagers, overview] = await Promise.all([client.taskManagers(), client.overview()]);
    // Slots are reported just after registration; until then no task can be scheduled.
    const ready = taskManagers.find((taskManager) => taskManager.id === resourceId && taskManager.slotsNumber > 0);
    if (!ready) {
      throw new Error(`TaskManager ${resourceId ?? '(unprepared)'} is not registered with slots at ${restUrl} (registered: ${taskManagers.map((t) => t.id).join(', ') || 'none'})`);
    }
    return { version: overview['flink-version'], endpoints: { rpc: ready.path } };
  },
};

/** The SQL Gateway's REST endpoint on 8083, submitting to the session cluster. */
export const flinkSqlGateway: StackComponent = {
  name: 'flink-sql-gateway',
  installation: flinkInstallation,
  ports: [STACK_PORTS.flinkSqlGateway],
  dependsOn: ['flink-jobmanager'],
  startTimeoutMs: FLINK_START_TIMEOUT_MS,
  runTools: ['java'],
  prepare: (ctx) => prepareFlink(ctx, 'flink-sql-gateway'),
  processSpec: (ctx) => flinkProcessSpec(ctx, 'flink-sql-gateway'),
  async checkHealth() {
    const info = await new SqlGatewayClient({ baseUrl: sqlGatewayUrl, ...probeOptions }).info();
    return { version: info.version, endpoints: { rest: sqlGatewayUrl } };
  },
};
