import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Progress } from './component.js';
import { StackError } from './errors.js';

/**
 * The repository's docker-compose.yml. This file is `src/stack/docker-stack.ts` and compiles
 * to `dist/stack/docker-stack.js`: both sit two levels below the repository root.
 */
export const DOCKER_COMPOSE_FILE = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));

/** How a command ended and what it printed. */
export interface CommandResult {
  /** The exit code; `null` when a signal ended the command. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The runner stopped the command because it ran longer than its timeout. */
  readonly timedOut: boolean;
}

export interface RunOptions {
  readonly timeoutMs: number;
  /** Receives each output line (stdout and stderr) as it arrives, for progress on long commands. */
  readonly onLine?: (line: string) => void;
}

/**
 * Runs one command to completion and resolves whatever its exit code. Rejects only when the
 * command cannot be started at all, with the spawn error (`code: 'ENOENT'` when the
 * executable is not on PATH).
 */
export type CommandRunner = (executable: string, args: readonly string[], options: RunOptions) => Promise<CommandResult>;

/** Output kept per stream; `logs` output is bounded by its line count, compose's own output is small. */
const MAX_CAPTURE_CHARS = 16 * 1024 * 1024;
/** Grace between SIGTERM and SIGKILL when a command outlives its timeout (compose cleans up on SIGTERM). */
const KILL_GRACE_MS = 10_000;

/** The real runner: child_process.spawn with the caller's environment, a timeout, and line callbacks. */
export const spawnCommandRunner: CommandRunner = (executable, args, options) =>
  new Promise((resolve, reject) => {
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    const captured = { stdout: '', stderr: '' };
    const pending = { stdout: '', stderr: '' };
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (captured[stream].length < MAX_CAPTURE_CHARS) captured[stream] += text;
      if (!options.onLine) return;
      const lines = (pending[stream] + text).split('\n');
      pending[stream] = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.onLine(line.trimEnd());
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    }, options.timeoutMs);
    const stopTimers = (): void => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
    };
    child.on('error', (error) => {
      stopTimers();
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      stopTimers();
      for (const stream of ['stdout', 'stderr'] as const) {
        if (options.onLine && pending[stream].trim()) options.onLine(pending[stream].trimEnd());
      }
      resolve({ exitCode, signal, stdout: captured.stdout, stderr: captured.stderr, timedOut });
    });
  });

/**
 * One service's container as `docker compose ps` reports it. `healthy`, `starting` and
 * `unhealthy` are running containers with a healthcheck; `running` is one without.
 * `not created` means compose knows the service but has no container for it (before the
 * first `up`, or after `down`).
 */
export type DockerServiceState =
  | 'healthy'
  | 'starting'
  | 'unhealthy'
  | 'running'
  | 'restarting'
  | 'paused'
  | 'exited'
  | 'dead'
  | 'created'
  | 'removing'
  | 'not created'
  | 'unknown';

export interface DockerServiceStatus {
  /** The compose service, e.g. `kafka`, `flink-jobmanager`. */
  readonly service: string;
  readonly state: DockerServiceState;
  /** The container's name, e.g. `tributary-kafka-1`. */
  readonly container: string | undefined;
  readonly image: string | undefined;
  /** How the container ended, for `exited` and `dead`. */
  readonly exitCode: number | undefined;
  /** Docker's own summary, e.g. `Up 3 minutes (healthy)` or `Exited (1) 2 seconds ago`. */
  readonly detail: string;
  /** Published ports, e.g. `127.0.0.1:9092->9092/tcp`. */
  readonly ports: readonly string[];
}

/** Whether every service is up and, where it has a healthcheck, passing it. */
export function everyServiceHealthy(status: readonly DockerServiceStatus[]): boolean {
  return status.length > 0 && status.every((s) => s.state === 'healthy' || s.state === 'running');
}

/** Headers and rows for a table of services (the CLI renders them like the local stack's table). */
export function dockerStatusTable(status: readonly DockerServiceStatus[]): { headers: string[]; rows: string[][] } {
  return {
    headers: ['SERVICE', 'STATE', 'CONTAINER', 'IMAGE', 'PORTS', 'DETAIL'],
    rows: status.map((s) => [
      s.service,
      s.state === 'healthy' || s.state === 'running' || s.state === 'not created' ? s.state : s.state.toUpperCase(),
      s.container ?? '-',
      s.image ?? '-',
      s.ports.join(' ') || '-',
      s.detail,
    ]),
  };
}

/** One entry of `docker compose ps --format json`; only the fields read here. */
export interface ComposePsEntry {
  readonly Service?: unknown;
  readonly Name?: unknown;
  readonly Image?: unknown;
  readonly State?: unknown;
  readonly Health?: unknown;
  readonly Status?: unknown;
  readonly ExitCode?: unknown;
  readonly Publishers?: unknown;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * Parses `docker compose ps --format json`: one JSON object per line (Compose 2.21 and
 * later) or one JSON array (earlier 2.x). Empty output means no containers.
 */
export function parseComposePs(output: string): ComposePsEntry[] {
  const trimmed = output.trim();
  if (trimmed === '') return [];
  const parse = (json: string): unknown => {
    try {
      return JSON.parse(json);
    } catch (error) {
      throw new StackError(`cannot read the output of \`docker compose ps --format json\` (${(error as Error).message}): ${json.slice(0, 200)}`, { cause: error });
    }
  };
  const documents = trimmed.startsWith('[') ? [parse(trimmed)] : trimmed.split('\n').filter((line) => line.trim()).map(parse);
  return documents.flatMap((document) => (Array.isArray(document) ? document : [document])) as ComposePsEntry[];
}

const CONTAINER_STATES: ReadonlySet<string> = new Set(['restarting', 'paused', 'exited', 'dead', 'created', 'removing']);

function serviceState(entry: ComposePsEntry): DockerServiceState {
  const state = text(entry.State).toLowerCase();
  const summary = `${state} ${text(entry.Status).toLowerCase()}`;
  if (state === 'running' || state.startsWith('up')) {
    // Compose reports health in its own field; older releases only inside the status text.
    const health = text(entry.Health).toLowerCase() || (/\((healthy|unhealthy|health: starting)\)/.exec(summary)?.[1] ?? '');
    if (health === 'healthy') return 'healthy';
    if (health === 'unhealthy') return 'unhealthy';
    if (health.includes('starting')) return 'starting';
    return 'running';
  }
  const first = state.split(/[\s(]/)[0] ?? '';
  return CONTAINER_STATES.has(first) ? (first as DockerServiceState) : 'unknown';
}

function publishedPorts(publishers: unknown): string[] {
  if (!Array.isArray(publishers)) return [];
  const ports = new Set<string>();
  for (const p of publishers as { URL?: unknown; PublishedPort?: unknown; TargetPort?: unknown; Protocol?: unknown }[]) {
    if (typeof p.PublishedPort !== 'number' || p.PublishedPort === 0) continue; // exposed, not published
    const host = text(p.URL) || '0.0.0.0';
    ports.add(`${host.includes(':') ? `[${host}]` : host}:${p.PublishedPort}->${String(p.TargetPort)}/${text(p.Protocol) || 'tcp'}`);
  }
  return [...ports];
}

/**
 * Turns `docker compose ps --all --format json` output into one status per service, in the
 * order of `services` (from `docker compose config --services`); a service without a
 * container is `not created`.
 */
export function serviceStatuses(services: readonly string[], psOutput: string): DockerServiceStatus[] {
  const entries = parseComposePs(psOutput);
  const known = [...services, ...entries.map((e) => text(e.Service)).filter((s) => s && !services.includes(s))];
  return [...new Set(known)].map((service): DockerServiceStatus => {
    const containers = entries.filter((e) => text(e.Service) === service);
    // With more than one container (scaled or being replaced), a running one speaks for the service.
    const entry = containers.find((e) => ['healthy', 'starting', 'unhealthy', 'running'].includes(serviceState(e))) ?? containers[0];
    if (!entry) return { service, state: 'not created', container: undefined, image: undefined, exitCode: undefined, detail: '', ports: [] };
    const state = serviceState(entry);
    return {
      service,
      state,
      container: text(entry.Name) || undefined,
      image: text(entry.Image) || undefined,
      exitCode: (state === 'exited' || state === 'dead') && typeof entry.ExitCode === 'number' ? entry.ExitCode : undefined,
      detail: text(entry.Status),
      ports: publishedPorts(entry.Publishers),
    };
  });
}

export interface DockerTimeouts {
  /** `docker info` and `docker compose version`. */
  readonly check: number;
  /** `up -d --wait`: the first run pulls about 2 GB of images and builds the Flink image. */
  readonly up: number;
  readonly down: number;
  /** `ps`, `config --services`, `logs`. */
  readonly query: number;
}

const DEFAULT_TIMEOUTS: DockerTimeouts = { check: 30_000, up: 30 * 60_000, down: 5 * 60_000, query: 60_000 };

export interface DockerStackOptions {
  /** @default the repository's docker-compose.yml */
  readonly composeFile?: string;
  /** @default {@link spawnCommandRunner} */
  readonly runner?: CommandRunner;
  /** Receives compose's progress lines during `up` and `down`. */
  readonly progress?: Progress;
  readonly timeouts?: Partial<DockerTimeouts>;
}

export interface DockerUpResult {
  readonly status: readonly DockerServiceStatus[];
}

const USE_LOCAL = 'or use the default local stack: unset TRIBUTARY_STACK';

/** The first line worth showing from a failed command's output. */
function firstLine(result: CommandResult): string {
  const line = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.trim()).find(Boolean);
  if (line) return line;
  return result.signal ? `killed by ${result.signal}` : `exit code ${String(result.exitCode)}`;
}

/** The last lines of a failed command's output, where compose says what went wrong. */
function lastLines(result: CommandResult, count: number): string {
  return `${result.stdout}\n${result.stderr}`.split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-count).join('\n');
}

/**
 * The stack of docker-compose.yml, driven through the `docker compose` CLI: the same services
 * and host ports as the local stack, for `TRIBUTARY_STACK=docker`.
 */
export class DockerStack {
  readonly composeFile: string;
  private readonly run: CommandRunner;
  private readonly progress: Progress;
  private readonly timeouts: DockerTimeouts;
  private engineChecked = false;

  constructor(options: DockerStackOptions = {}) {
    this.composeFile = options.composeFile ?? DOCKER_COMPOSE_FILE;
    this.run = options.runner ?? spawnCommandRunner;
    this.progress = options.progress ?? (() => undefined);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  }

  /** Starts every service that is not running (building the Flink image once) and waits until all are healthy. */
  async up(): Promise<DockerUpResult> {
    await this.ensureEngine();
    this.progress(`docker compose: starting the stack of ${this.composeFile} and waiting until every service is healthy`);
    const result = await this.compose(['up', '-d', '--wait'], this.timeouts.up, true);
    if (!this.succeeded(result)) throw await this.upFailure(result);
    return { status: await this.status() };
  }

  /** Stops and removes the containers; with `purge`, also deletes the data volumes. */
  async down(options: { purge?: boolean } = {}): Promise<void> {
    await this.ensureEngine();
    const result = await this.compose(['down', ...(options.purge ? ['-v'] : [])], this.timeouts.down, true);
    if (!this.succeeded(result)) throw this.failure(`docker compose down${options.purge ? ' -v' : ''}`, result);
  }

  /** Every service of the compose file with the state of its container. */
  async status(): Promise<DockerServiceStatus[]> {
    await this.ensureEngine();
    const services = await this.services();
    const ps = await this.compose(['ps', '--all', '--format', 'json'], this.timeouts.query);
    if (!this.succeeded(ps)) throw this.failure('docker compose ps', ps);
    return serviceStatuses(services, ps.stdout);
  }

  /** The last `lines` lines of one service's log. */
  async logs(service: string, lines: number): Promise<string> {
    await this.ensureEngine();
    const services = await this.services();
    if (!services.includes(service)) {
      throw new StackError(`unknown service "${service}"; the services are: ${services.join(', ')}`);
    }
    const result = await this.compose(['logs', '--no-color', '--no-log-prefix', '--tail', String(lines), service], this.timeouts.query);
    if (!this.succeeded(result)) throw this.failure(`docker compose logs ${service}`, result);
    return result.stdout;
  }

  /** The command that follows a service's log until interrupted, for a caller that streams it to the terminal. */
  followLogsCommand(service: string, lines: number): { executable: string; args: string[] } {
    return { executable: 'docker', args: this.composeArgs(['logs', '--follow', '--no-color', '--no-log-prefix', '--tail', String(lines), service]) };
  }

  /** Fails with one line saying what is missing when docker, its engine or compose cannot be used. */
  private async ensureEngine(): Promise<void> {
    if (this.engineChecked) return;
    const info = await this.exec(['info', '--format', '{{.ServerVersion}}'], this.timeouts.check);
    if (info.timedOut) {
      throw new StackError(`TRIBUTARY_STACK=docker needs a running Docker engine, but \`docker info\` did not answer within ${this.timeouts.check / 1000}s — start or restart Docker, ${USE_LOCAL}`, { retriable: true });
    }
    if (info.exitCode !== 0 || info.stdout.trim() === '') {
      throw new StackError(`TRIBUTARY_STACK=docker needs a running Docker engine, but \`docker info\` failed (${firstLine(info)}) — start Docker, ${USE_LOCAL}`, { retriable: true });
    }
    const compose = await this.exec(['compose', 'version', '--short'], this.timeouts.check);
    if (compose.exitCode !== 0) {
      throw new StackError(`TRIBUTARY_STACK=docker needs the Docker Compose v2 plugin, but \`docker compose version\` failed (${firstLine(compose)}) — install it, ${USE_LOCAL}`);
    }
    this.engineChecked = true;
  }

  private async services(): Promise<string[]> {
    const result = await this.compose(['config', '--services'], this.timeouts.query);
    if (!this.succeeded(result)) throw this.failure('docker compose config --services', result);
    return result.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  }

  private composeArgs(args: readonly string[]): string[] {
    return ['compose', '-f', this.composeFile, ...args];
  }

  private compose(args: readonly string[], timeoutMs: number, withProgress = false): Promise<CommandResult> {
    return this.exec(this.composeArgs(args), timeoutMs, withProgress);
  }

  private async exec(args: readonly string[], timeoutMs: number, withProgress = false): Promise<CommandResult> {
    try {
      return await this.run('docker', args, { timeoutMs, ...(withProgress ? { onLine: (line: string) => this.progress(`docker compose: ${line}`) } : {}) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new StackError(`TRIBUTARY_STACK=docker needs Docker, but there is no \`docker\` command on PATH — install Docker, ${USE_LOCAL}`, { cause: error });
      }
      throw new StackError(`could not run docker ${args.join(' ')}: ${(error as Error).message}`, { cause: error });
    }
  }

  private succeeded(result: CommandResult): boolean {
    return result.exitCode === 0 && !result.timedOut;
  }

  private failure(command: string, result: CommandResult): StackError {
    const how = result.timedOut ? 'did not finish in time' : `failed (${result.signal ? `killed by ${result.signal}` : `exit code ${String(result.exitCode)}`})`;
    return new StackError(`${command} ${how}:\n${lastLines(result, 15)}`, { retriable: true });
  }

  /** Says which services are not healthy and where to look, with compose's own last words. */
  private async upFailure(result: CommandResult): Promise<StackError> {
    const lines = [this.failure('docker compose up -d --wait', result).message];
    if (/address already in use|port is already allocated/i.test(`${result.stdout}\n${result.stderr}`)) {
      lines.push('a port the stack publishes is taken: stop the local stack (`tributary stack down` without TRIBUTARY_STACK) or whatever else holds it');
    }
    const status = await this.status().catch(() => undefined);
    const notHealthy = status?.filter((s) => s.state !== 'healthy' && s.state !== 'running') ?? [];
    if (notHealthy.length > 0) {
      lines.push(`not healthy: ${notHealthy.map((s) => `${s.service} (${s.state}${s.exitCode === undefined ? '' : `, exit code ${s.exitCode}`})`).join(', ')}`);
      lines.push(`see why: tributary stack logs ${notHealthy[0]?.service ?? '<service>'}`);
    }
    return new StackError(lines.join('\n'), { retriable: true });
  }
}
