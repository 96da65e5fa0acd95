/**
 * How long the `tributary` CLI takes before it does anything: wall time of a fresh
 * `node dist/cli/main.js <args>` process for help texts (nothing to do but load the command tree),
 * beside the same-run baseline of a bare `node -e ''` (Node's own start-up on this machine).
 * Runs are interleaved (baseline, then each command, ROUNDS times) so a busy neighbour slows
 * all of them alike. Measures the built CLI: run `npm run build` first. Prints one JSON document.
 *
 *   npx tsx bench/cli-startup.bench.ts      # ROUNDS=15
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

if (!existsSync(MAIN)) {
  process.stderr.write(`cli-startup: ${MAIN} does not exist; run npm run build first\n`);
  process.exit(1);
}

const CASES: Readonly<Record<string, readonly string[]>> = {
  baseline: ['-e', ''],
  help: [MAIN, '--help'],
  stackHelp: [MAIN, 'stack', '--help'],
  rolloutStartHelp: [MAIN, 'rollout', 'start', '--help'],
};

/** Wall time of one process run to its exit, in ms; throws when it fails. */
function timedRun(args: readonly string[]): number {
  const began = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - began) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${String(result.status)}: ${result.stderr.trim()}`);
  return ms;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

// One unmeasured round warms the file-system cache, as any second invocation of a CLI finds it.
for (const args of Object.values(CASES)) timedRun(args);
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(CASES).map((name) => [name, []]));
for (let round = 1; round <= ROUNDS; round += 1) {
  for (const [name, args] of Object.entries(CASES)) samples[name]!.push(timedRun(args));
  process.stderr.write(`cli-startup: round ${round}/${ROUNDS}\n`);
}

const medians = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, Math.round(median(values))]));
console.log(
  JSON.stringify(
    {
      benchmark: 'cli-startup',
      measured: 'median wall ms of a fresh node process running the built CLI to its exit, beside a bare node -e "" in the same run',
      rounds: ROUNDS,
      medianMs: medians,
      helpOverBaseline: medians.help! / medians.baseline!,
      samplesMs: Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, values.map(Math.round)])),
    },
    null,
    2,
  ),
);
