import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';

/**
 * Copies a jar to `<folder>/<name>-<first 16 hex of its SHA-256>.jar` (once) and returns that
 * path. A deployment spec names the pinned copy, so rebuilding the jar in place never changes
 * what a later rollback to that spec runs.
 */
export async function pinJar(jarPath: string, folder: string): Promise<string> {
  const digest = createHash('sha256').update(await readFile(jarPath)).digest('hex').slice(0, 16);
  const pinned = join(folder, `${basename(jarPath, '.jar')}-${digest}.jar`);
  if (existsSync(pinned)) return pinned;
  await mkdir(folder, { recursive: true });
  const temporary = `${pinned}.${process.pid}.tmp`;
  await copyFile(jarPath, temporary);
  await rename(temporary, pinned);
  return pinned;
}
