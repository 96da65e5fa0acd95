/**
 * The version of the code a worker runs, recorded in every model's lineage: the git commit when
 * the code is a git checkout (with `-dirty` when it has uncommitted changes), else the package
 * version (an installed package has no .git).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function git(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // Not a checkout, or no git installed: the package version stands in.
    return undefined;
  }
}

/** `git:<short sha>[-dirty]`, or `package:<version>`. */
export function resolveCodeVersion(): string {
  const commit = git(['rev-parse', '--short=12', 'HEAD']);
  if (commit !== undefined && commit !== '') return `git:${commit}${git(['status', '--porcelain', '--untracked-files=no']) ? '-dirty' : ''}`;
  const { version } = JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version: string };
  return `package:${version}`;
}
