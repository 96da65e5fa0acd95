/**
 * The benchmark suite: runs each benchmark (every bench/*.bench.ts, or the ones named) one after
 * another — never two at once, they measure the same machine — collects the JSON document each
 * prints on stdout, and writes one JSON file with every document plus a markdown table of the
 * headline figures (bench/results/<timestamp>.json and .md, git-ignored), then prints the table.
 * A benchmark's progress goes to stderr and passes through. Exits 1 when a benchmark failed
 * (the others still run and are written), 2 for an unknown name.
 *
 *   npm run bench                    # all of them
 *   npm run bench -- training        # only the named ones
 *   BENCH_TIMEOUT_MIN=90 npm run bench
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchmarkDocument, markdownTable, type BenchmarkRun } from './results-table.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const TSX = join(BENCH_DIR, '..', 'node_modules', '.bin', 'tsx');
const SUFFIX = '.bench.ts';
/** Longest one benchmark may run before it is stopped and counted as failed. */
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MIN ?? 60) * 60_000;

/** Runs one benchmark, its stderr passed through, its stdout kept. */
function runBenchmark(name: string): Promise<BenchmarkRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(TSX, [join(BENCH_DIR, `${name}${SUFFIX}`)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, TIMEOUT_MS);
    const finish = (exitCode: number, spawnProblem?: string): void => {
      clearTimeout(timer);
      const document = benchmarkDocument(stdout);
      const problem =
        spawnProblem ?? (timedOut ? `stopped after ${TIMEOUT_MS / 60_000} min (BENCH_TIMEOUT_MIN)` : exitCode !== 0 ? `exit code ${exitCode} (its stderr above says why)` : document === undefined ? 'printed no JSON object on stdout' : null);
      resolve({ name, exitCode, durationMs: Date.now() - started, result: problem === null ? document! : null, problem });
    };
    child.on('error', (error) => finish(-1, `could not start ${TSX}: ${error.message}`));
    child.on('close', (code, signal) => finish(code ?? (signal === null ? -1 : 128)));
  });
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: BENCH_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const available = readdirSync(BENCH_DIR)
  .filter((file) => file.endsWith(SUFFIX))
  .map((file) => file.slice(0, -SUFFIX.length))
  .sort();
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`error: no benchmark named ${unknown.join(', ')}; the benchmarks are: ${available.join(', ')}\n`);
  process.exit(2);
}
const selected = requested.length === 0 ? available : available.filter((name) => requested.includes(name));

const startedAt = new Date();
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverageAtStart: loadavg().map((load) => Math.round(load * 100) / 100) };
const runs: BenchmarkRun[] = [];
for (const name of selected) {
  process.stderr.write(`bench: ${name} …\n`);
  const run = await runBenchmark(name);
  process.stderr.write(`bench: ${name} ${run.problem === null ? 'done' : `FAILED: ${run.problem}`} in ${Math.round(run.durationMs / 1000)} s\n`);
  runs.push(run);
}

const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const resultsDir = join(BENCH_DIR, 'results');
mkdirSync(resultsDir, { recursive: true });
const table = markdownTable(runs);
const jsonFile = join(resultsDir, `${stamp}.json`);
const markdownFile = join(resultsDir, `${stamp}.md`);
writeFileSync(jsonFile, `${JSON.stringify({ startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), commit: gitCommit(), machine, benchmarks: runs }, null, 2)}\n`);
writeFileSync(
  markdownFile,
  `# Benchmarks ${startedAt.toISOString()}\n\nCommit ${gitCommit() ?? 'unknown'}; ${machine.cpus} × ${machine.cpuModel ?? 'unknown CPU'}, ${machine.memoryGiB} GiB, Node ${machine.node}; load average at start ${machine.loadAverageAtStart.join(' ')}.\n\n${table}`,
);
process.stdout.write(`${table}\nWrote ${relative(process.cwd(), jsonFile)} and ${relative(process.cwd(), markdownFile)}\n`);
process.exitCode = runs.some((run) => run.problem !== null) ? 1 : 0;
