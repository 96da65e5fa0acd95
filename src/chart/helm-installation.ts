import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Installation, StackContext } from '../stack/component.js';
import { installMarker } from '../stack/install-marker.js';
import { runSetupStep } from '../stack/run-command.js';
import { CHART_TOOL_VERSIONS } from './chart-versions.js';
import { goEnvironment, verifiedGoModuleDir } from './go-modules.js';

const ID = 'helm';
const { module, version, sum } = CHART_TOOL_VERSIONS.helm;

const installDir = (ctx: StackContext): string => ctx.layout.installDir(ID, version);
export const helmBinary = (ctx: StackContext): string => join(installDir(ctx), 'bin', 'helm');

/** Helm, built from its module with `go install` into the cache (as the Temporal CLI is), its module sum checked. */
export const helmInstallation: Installation = {
  id: ID,
  version,
  installTools: ['go'],
  isInstalled: async (ctx) => installMarker.isPresent(installDir(ctx)) && existsSync(helmBinary(ctx)),
  async install(ctx) {
    const dir = installDir(ctx);
    await installMarker.clearPartial(dir);
    ctx.progress(`${ID} ${version}: checking the module against its pinned sum, then building with go install (a few minutes the first time)`);
    await verifiedGoModuleDir(ctx, ID, { module, version: `v${version}`, sum });
    await runSetupStep(
      ID,
      'building with go install',
      'go',
      // Stamp the version `helm version` reports; a module build leaves it at the major line.
      ['install', `-ldflags=-X helm.sh/helm/v4/internal/version.version=v${version}`, `${module}/cmd/helm@v${version}`],
      { env: { ...goEnvironment(ctx), GOBIN: join(dir, 'bin') } },
    );
    await installMarker.write(dir, version);
  },
};
