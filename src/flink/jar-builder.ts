import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { toolExecutable } from '../toolchain/external-tools.js';
import { JarBuildError } from './feature-job-errors.js';

/** A Maven module that packages one jar, and the files its jar is built from. */
export interface MavenJarModule {
  /** The folder holding pom.xml. */
  readonly moduleDir: string;
  /** Path of the jar `mvn package` writes, relative to the module. */
  readonly jar: string;
  /** Files and folders whose change makes the jar stale (pom.xml, sources, resources outside the module). */
  readonly inputs: readonly string[];
}

export interface JarBuildOptions {
  /** Build even when the jar is newer than every input. @default false */
  readonly force?: boolean;
  /** @default 10 minutes: the first build downloads Flink's API jars into the Maven cache. */
  readonly timeoutMs?: number;
  /** Receives one line when a build starts and one when it ends. @default silent */
  readonly progress?: (line: string) => void;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const OUTPUT_TAIL_CHARS = 6000;

/** Newest modification time under a file or folder (0 when it does not exist). */
async function newestMtimeMs(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtimeMs(join(path, entry)));
  return newest;
}

/** Whether the jar is missing or older than any of its inputs. */
export async function isJarStale(module: MavenJarModule): Promise<boolean> {
  const jar = join(module.moduleDir, module.jar);
  if (!existsSync(jar)) return true;
  const jarTime = (await stat(jar)).mtimeMs;
  for (const input of module.inputs) if ((await newestMtimeMs(input)) > jarTime) return true;
  return false;
}

/**
 * Returns the module's jar, building it first with `mvn -q -B package -DskipTests` when it is
 * missing or stale. Throws a {@link JarBuildError} with the tail of Maven's output when the
 * build fails, times out, or ends without the jar.
 */
export async function ensureJar(module: MavenJarModule, options: JarBuildOptions = {}): Promise<string> {
  const jar = join(module.moduleDir, module.jar);
  if (!options.force && !(await isJarStale(module))) return jar;
  if (!existsSync(join(module.moduleDir, 'pom.xml'))) {
    throw new JarBuildError(module.moduleDir, 'no pom.xml', `${join(module.moduleDir, 'pom.xml')} does not exist`);
  }
  const progress = options.progress ?? (() => undefined);
  progress(`building ${module.jar} with Maven in ${module.moduleDir} (the first build downloads dependencies; later ones use the Maven cache)`);
  const began = Date.now();
  await runMaven(module.moduleDir, ['-q', '-B', 'package', '-DskipTests'], options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (!existsSync(jar)) throw new JarBuildError(module.moduleDir, 'Maven succeeded but wrote no jar', `expected ${jar}`);
  progress(`built ${jar} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  return jar;
}

function runMaven(moduleDir: string, args: readonly string[], timeoutMs: number): Promise<void> {
  const maven = toolExecutable('mvn');
  return new Promise((resolve, reject) => {
    const child = spawn(maven, args, { cwd: moduleDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer): void => {
      tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new JarBuildError(moduleDir, `could not run ${maven}: ${error.message}; install Maven 3.8+`, tail, error));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const outcome = signal === 'SIGKILL' ? `killed after ${timeoutMs / 1000} s` : signal ? `killed by ${signal}` : `exit code ${code}`;
      reject(new JarBuildError(moduleDir, `${maven} ${args.join(' ')}: ${outcome}`, tail));
    });
  });
}
