import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import axios from 'axios';
import { TRIBUTARY_SEARCH_ATTRIBUTES } from '../../temporal/search-attributes.js';
import type { Installation, StackComponent, StackContext } from '../component.js';
import { installMarker } from '../install-marker.js';
import { runSetupStep } from '../run-command.js';
import { STACK_PORTS } from '../stack-layout.js';
import { STACK_VERSIONS } from '../versions.js';

const ID = 'temporal-cli';
const VERSION = STACK_VERSIONS.temporalCli;
const NAMESPACE = 'default';

const installDir = (ctx: StackContext): string => ctx.layout.installDir(ID, VERSION);
export const temporalBinary = (ctx: StackContext): string => join(installDir(ctx), 'bin', 'temporal');

export const temporalInstallation: Installation = {
  id: ID,
  version: VERSION,
  installTools: ['go'],
  isInstalled: async (ctx) => installMarker.isPresent(installDir(ctx)) && existsSync(temporalBinary(ctx)),
  async install(ctx) {
    const dir = installDir(ctx);
    await installMarker.clearPartial(dir);
    ctx.progress(`${ID} ${VERSION}: building the Temporal CLI (dev server + Web UI) with go install; the first build takes several minutes`);
    const goCache = join(ctx.layout.cacheDir, 'go');
    await runSetupStep(
      ID,
      'building with go install',
      'go',
      [
        'install',
        // Stamp the version the build would otherwise report as 0.0.0-DEV.
        `-ldflags=-X github.com/temporalio/cli/temporalcli.Version=${VERSION}`,
        `github.com/temporalio/cli/cmd/temporal@v${VERSION}`,
      ],
      {
        env: {
          ...process.env,
          GOBIN: join(dir, 'bin'),
          GOMODCACHE: join(goCache, 'mod'),
          GOCACHE: join(goCache, 'build'),
          GOFLAGS: '-mod=mod',
          CGO_ENABLED: '0',
        },
      },
    );
    await installMarker.write(dir, VERSION);
  },
};

export const temporal: StackComponent = {
  name: 'temporal',
  installation: temporalInstallation,
  ports: [STACK_PORTS.temporalGrpc, STACK_PORTS.temporalUi],
  dependsOn: [],
  startTimeoutMs: 60_000,
  runTools: [],
  async prepare(ctx) {
    await mkdir(ctx.layout.componentDataDir('temporal'), { recursive: true });
  },
  processSpec: (ctx) => ({
    executable: temporalBinary(ctx),
    args: [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(STACK_PORTS.temporalGrpc),
      '--ui-port',
      String(STACK_PORTS.temporalUi),
      '--db-filename',
      join(ctx.layout.componentDataDir('temporal'), 'temporal.db'),
      '--namespace',
      NAMESPACE,
      '--log-format',
      'json',
      '--log-level',
      'warn',
      ...TRIBUTARY_SEARCH_ATTRIBUTES.flatMap(({ name, type }) => ['--search-attribute', `${name}=${type}`]),
    ],
  }),
  async checkHealth() {
    const address = `127.0.0.1:${STACK_PORTS.temporalGrpc}`;
    const connection = await Connection.connect({ address, connectTimeout: 3000 });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: NAMESPACE });
      const missing = TRIBUTARY_SEARCH_ATTRIBUTES.filter(({ name }) => !(name in (customAttributes ?? {})));
      if (missing.length > 0) throw new Error(`search attributes not registered yet: ${missing.map((a) => a.name).join(', ')}`);
      const ui = `http://127.0.0.1:${STACK_PORTS.temporalUi}`;
      await axios.get(ui, { timeout: 5000 });
      return { version: `server ${info.serverVersion ?? 'unknown'}, cli ${VERSION}`, endpoints: { grpc: address, ui } };
    } finally {
      await connection.close();
    }
  },
};
