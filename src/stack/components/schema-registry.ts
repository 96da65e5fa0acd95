import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import axios from 'axios';
import type { Installation, StackComponent, StackContext } from '../component.js';
import { SetupStepError } from '../errors.js';
import { installMarker } from '../install-marker.js';
import { copyMavenArtifacts } from '../maven-artifacts.js';
import { runSetupStep } from '../run-command.js';
import { STACK_PORTS } from '../stack-layout.js';
import { toolExecutable } from '../../toolchain/external-tools.js';
import { STACK_VERSIONS } from '../versions.js';

const ID = 'apicurio-registry';
const VERSION = STACK_VERSIONS.apicurioRegistry;
const BASE_URL = `http://127.0.0.1:${STACK_PORTS.schemaRegistry}`;

const installDir = (ctx: StackContext): string => ctx.layout.installDir(ID, VERSION);
const runnerJar = (ctx: StackContext): string => join(installDir(ctx), 'app', `apicurio-registry-app-${VERSION}-runner.jar`);
const databaseFile = (ctx: StackContext): string => join(ctx.layout.componentDataDir('schema-registry'), 'registry');

export const schemaRegistryInstallation: Installation = {
  id: ID,
  version: VERSION,
  installTools: ['mvn', 'java'],
  isInstalled: async (ctx) => installMarker.isPresent(installDir(ctx)),
  async install(ctx) {
    const dir = installDir(ctx);
    await installMarker.clearPartial(dir);
    const downloads = join(dir, 'download');
    await copyMavenArtifacts(
      ID,
      [{ groupId: 'io.apicurio', artifactId: 'apicurio-registry-app', version: VERSION, type: 'zip', classifier: 'all', intransitive: true }],
      join(dir, 'maven'),
      downloads,
      ctx.progress,
    );
    ctx.progress(`${ID}: unpacking the runnable application`);
    await mkdir(join(dir, 'app'), { recursive: true });
    // `jar` ships with every JDK, so unpacking needs no unzip on the machine.
    const jar = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'jar') : 'jar';
    await runSetupStep(ID, 'unpacking', jar, ['xf', join(downloads, `apicurio-registry-app-${VERSION}-all.zip`)], { cwd: join(dir, 'app') });
    if (!existsSync(runnerJar(ctx))) {
      throw new SetupStepError(ID, 'unpacking', `the archive has no ${runnerJar(ctx)}; has its layout changed in this version?`);
    }
    await installMarker.write(dir, VERSION);
  },
};

interface SystemInfo {
  name?: string;
  version?: string;
}

export const schemaRegistry: StackComponent = {
  name: 'schema-registry',
  installation: schemaRegistryInstallation,
  ports: [STACK_PORTS.schemaRegistry],
  dependsOn: [],
  startTimeoutMs: 120_000,
  runTools: ['java'],
  async prepare(ctx) {
    await mkdir(ctx.layout.componentDataDir('schema-registry'), { recursive: true });
  },
  processSpec: (ctx) => ({
    executable: toolExecutable('java'),
    args: [
      '-Xms128m',
      '-Xmx512m',
      '-XX:+UseSerialGC',
      `-Dquarkus.http.host=127.0.0.1`,
      `-Dquarkus.http.port=${STACK_PORTS.schemaRegistry}`,
      // Schemas persist in an H2 file database, so they survive `stack down` / `stack up`.
      `-Dapicurio.datasource.url=jdbc:h2:file:${databaseFile(ctx)}`,
      '-Dquarkus.log.console.color=false',
      '-jar',
      runnerJar(ctx),
    ],
    cwd: ctx.layout.componentDataDir('schema-registry'),
  }),
  async checkHealth() {
    const http = axios.create({ baseURL: BASE_URL, timeout: 5000 });
    const ready = await http.get<{ status?: string }>('/health/ready');
    if (ready.data.status !== 'UP') throw new Error(`readiness is ${ready.data.status ?? 'unknown'}`);
    // The Confluent-compatible API is what Tributary's clients use; prove it answers.
    await http.get('/apis/ccompat/v7/subjects');
    const info = await http.get<SystemInfo>('/apis/registry/v3/system/info');
    return {
      version: info.data.version ?? VERSION,
      endpoints: { confluentApi: `${BASE_URL}/apis/ccompat/v7`, ui: `${BASE_URL}/apis/registry/v3` },
    };
  },
};
