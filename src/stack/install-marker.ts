import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MARKER = '.installed';

/**
 * An installation is complete only once its marker is written, last; an interrupted
 * install leaves no marker and is redone from a clean folder on the next `stack up`.
 */
export const installMarker = {
  isPresent: (installDir: string): boolean => existsSync(join(installDir, MARKER)),
  write: (installDir: string, version: string): Promise<void> =>
    writeFile(join(installDir, MARKER), `${JSON.stringify({ version, installedAt: new Date().toISOString() })}\n`),
  /** Removes a partial installation before a fresh attempt. */
  clearPartial: (installDir: string): Promise<void> => rm(installDir, { recursive: true, force: true }),
};
