import { join } from 'node:path';
import type { StackContext } from '../stack/component.js';
import { SetupStepError } from '../stack/errors.js';
import { runSetupStep } from '../stack/run-command.js';

/** The Go environment of every download and build into the cache: the stack's module and build caches, no cgo. */
export function goEnvironment(ctx: StackContext): NodeJS.ProcessEnv {
  const goCache = join(ctx.layout.cacheDir, 'go');
  return { ...process.env, GOMODCACHE: join(goCache, 'mod'), GOCACHE: join(goCache, 'build'), GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
}

interface ModuleDownload {
  readonly Dir?: string;
  readonly Sum?: string;
  readonly Error?: string;
}

/**
 * Downloads one module version through the module proxy (`go` checks it against the checksum
 * database) and returns its folder, after checking its `h1:` sum against the pinned one.
 */
export async function verifiedGoModuleDir(
  ctx: StackContext,
  installationId: string,
  pin: { readonly module: string; readonly version: string; readonly sum: string },
): Promise<string> {
  const coordinates = `${pin.module}@${pin.version}`;
  const stdout = await runSetupStep(installationId, `downloading ${coordinates}`, 'go', ['mod', 'download', '-json', coordinates], { env: goEnvironment(ctx) });
  let download: ModuleDownload;
  try {
    download = JSON.parse(stdout) as ModuleDownload;
  } catch (error) {
    throw new SetupStepError(installationId, `downloading ${coordinates}`, `go mod download printed no JSON: ${stdout.slice(0, 200)}`, error);
  }
  if (download.Error || !download.Dir) throw new SetupStepError(installationId, `downloading ${coordinates}`, download.Error ?? 'no module folder reported');
  if (download.Sum !== pin.sum) {
    throw new SetupStepError(installationId, `checking ${coordinates}`, `its sum is ${download.Sum ?? 'missing'}, the pinned one is ${pin.sum}`);
  }
  return download.Dir;
}
