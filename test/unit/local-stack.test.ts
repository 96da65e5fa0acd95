import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { StackComponent, StackContext } from '../../src/stack/component.js';
import type { ComponentName } from '../../src/stack/stack-layout.js';
import { ComponentStartError, PortInUseError, StackError } from '../../src/stack/errors.js';
import { LocalStack } from '../../src/stack/local-stack.js';
import { ProcessSupervisor, previousLogFile } from '../../src/stack/process-supervisor.js';
import { createStackContext } from '../../src/stack/stack-context.js';
import { requireTools } from '../../src/stack/toolchain.js';

/** A free TCP port on loopback, found by binding port 0. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Running, not merely an exited child that its parent (this test process) has yet to reap. */
const isAlive = (pid: number): boolean => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

/** A real process (a tiny HTTP server) standing in for a server of the stack. */
function httpComponent(name: ComponentName, port: number, options: { dependsOn?: ComponentName[]; neverHealthy?: boolean } = {}): StackComponent {
  const script = options.neverHealthy
    ? `console.log('starting but never listening'); setInterval(() => {}, 1000);`
    : `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1', () => console.log('listening'));`;
  return {
    name,
    installation: { id: `fake-${name}`, version: '1', installTools: [], isInstalled: async () => true, install: async () => undefined },
    ports: [port],
    dependsOn: options.dependsOn ?? [],
    startTimeoutMs: options.neverHealthy ? 1500 : 10_000,
    runTools: [],
    prepare: async () => undefined,
    processSpec: () => ({ executable: process.execPath, args: ['-e', script] }),
    checkHealth: async () => {
      await axios.get(`http://127.0.0.1:${port}/`, { timeout: 1000 });
      return { version: 'fake 1', endpoints: { http: `http://127.0.0.1:${port}` } };
    },
  };
}

describe('LocalStack with real processes', () => {
  let dataDir: string;
  let ctx: StackContext;
  let progress: string[];
  const stacks: LocalStack[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tributary-stack-'));
    progress = [];
    ctx = createStackContext(loadConfig({ env: { TRIBUTARY_DATA_DIR: dataDir, TRIBUTARY_CACHE_DIR: join(dataDir, 'cache') } }), (line) => progress.push(line));
  });

  afterEach(async () => {
    await Promise.all(stacks.splice(0).map((stack) => stack.down()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const stackOf = (components: StackComponent[]): LocalStack => {
    const stack = new LocalStack(ctx, components);
    stacks.push(stack);
    return stack;
  };

  it('starts components in dependency order, reports them healthy, and stops them by pid', async () => {
    const stack = stackOf([httpComponent('kafka', await freePort()), httpComponent('temporal', await freePort(), { dependsOn: ['kafka'] })]);
    const result = await stack.up();
    expect(result.started).toEqual(['kafka', 'temporal']);
    expect(result.status.map((s) => [s.name, s.state])).toEqual([
      ['kafka', 'healthy'],
      ['temporal', 'healthy'],
    ]);
    const pids = result.status.map((s) => (s.state === 'healthy' ? s.pid : -1));
    expect(pids.every(isAlive)).toBe(true);

    expect(await stack.down()).toEqual(['temporal', 'kafka']);
    expect(pids.some(isAlive)).toBe(false);
    expect((await stack.status()).map((s) => s.state)).toEqual(['stopped', 'stopped']);
  });

  it('changes nothing when the stack is already running', async () => {
    const stack = stackOf([httpComponent('kafka', await freePort())]);
    const first = await stack.up();
    const second = await stack.up();
    expect(second.started).toEqual([]);
    expect(second.alreadyRunning).toEqual(['kafka']);
    const pid = (s: (typeof first.status)[number]): number | undefined => (s.state === 'healthy' ? s.pid : undefined);
    expect(pid(second.status[0]!)).toBe(pid(first.status[0]!));
  });

  it('shows a killed component as down and restarts it alone', async () => {
    const stack = stackOf([httpComponent('kafka', await freePort()), httpComponent('temporal', await freePort())]);
    const { status } = await stack.up();
    const victim = status.find((s) => s.name === 'temporal');
    if (victim?.state !== 'healthy') throw new Error('temporal did not start');
    process.kill(victim.pid, 'SIGKILL');
    await expect.poll(async () => (await stack.status()).find((s) => s.name === 'temporal')?.state).toBe('dead');

    const again = await stack.up();
    expect(again.started).toEqual(['temporal']);
    expect(again.alreadyRunning).toEqual(['kafka']);
    expect(progress.some((line) => line.includes(`pid ${victim.pid} from the last start is gone`))).toBe(true);
  });

  it('refuses a port held by a foreign process, naming the port and the process, and starts nothing', async () => {
    const heldPort = await freePort();
    const foreign: Server = createServer();
    await new Promise<void>((resolve) => foreign.listen(heldPort, '127.0.0.1', resolve));
    try {
      const free = httpComponent('kafka', await freePort());
      const stack = stackOf([free, httpComponent('temporal', heldPort)]);
      const failure = await stack.up().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(PortInUseError);
      expect((failure as Error).message).toMatch(
        new RegExp(`^port ${heldPort} needed by temporal is already in use by pid ${process.pid} \\(.*node.*\\); stop that process or free the port, then run \`tributary stack up\` again$`),
      );
      expect((await stack.status()).map((s) => s.state)).toEqual(['stopped', 'stopped']);
    } finally {
      foreign.close();
    }
  });

  it('prints the log tail of a component that never becomes healthy and stops what this start began', async () => {
    const stack = stackOf([httpComponent('kafka', await freePort()), httpComponent('temporal', await freePort(), { dependsOn: ['kafka'], neverHealthy: true })]);
    const failure = await stack.up().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ComponentStartError);
    const message = (failure as Error).message;
    expect(message).toMatch(/^temporal failed to start: not healthy within 1.5s \(last check: .+\)/);
    expect(message).toContain(`--- last lines of ${ctx.layout.logFile('temporal')} ---\nstarting but never listening`);
    expect((await stack.status()).map((s) => s.state)).toEqual(['stopped', 'stopped']);
    expect(progress).toContain('stopping what this start began: kafka, temporal');
  });

  it('runs a component\'s afterHealthy once it answers (not when already running), and a failing one stops what this start began', async () => {
    const calls: string[] = [];
    const granting = (name: ComponentName, port: number, outcome: 'ok' | 'fail'): StackComponent => ({
      ...httpComponent(name, port),
      afterHealthy: async () => {
        calls.push(name);
        if (outcome === 'fail') throw new StackError(`${name}: granting ACLs failed`);
      },
    });
    const stack = stackOf([granting('kafka-secure', await freePort(), 'ok')]);
    await stack.up();
    await stack.up();
    expect(calls).toEqual(['kafka-secure']);

    const failing = stackOf([granting('kafka', await freePort(), 'fail')]);
    await expect(failing.up()).rejects.toThrow('kafka: granting ACLs failed');
    expect((await failing.status()).map((s) => s.state)).toEqual(['stopped']);
  });

  it('never stops a process whose pid was reused by someone else', async () => {
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => bystander.once('spawn', resolve));
      const supervisor = new ProcessSupervisor(ctx.layout);
      // A pid file from an earlier start whose pid now belongs to an unrelated process.
      mkdirSync(ctx.layout.runDir, { recursive: true });
      writeFileSync(ctx.layout.pidFile('kafka'), JSON.stringify({ pid: bystander.pid, cmdline: 'java kafka.Kafka server.properties', startedAt: new Date().toISOString() }));
      expect((await supervisor.state('kafka')).state).toBe('dead');
      expect(await supervisor.stop('kafka')).toBe(false);
      expect(isAlive(bystander.pid as number)).toBe(true);
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('starts each process with a fresh log and keeps only the log of the previous start beside it', async () => {
    const supervisor = new ProcessSupervisor(ctx.layout);
    const logFile = ctx.layout.logFile('kafka');
    const printing = (line: string) => ({ executable: process.execPath, args: ['-e', `console.log(${JSON.stringify(line)}); setInterval(() => {}, 1000)`] });
    const startAndWaitFor = async (line: string): Promise<void> => {
      await supervisor.start('kafka', printing(line));
      while (!(existsSync(logFile) && readFileSync(logFile, 'utf8').includes(line))) await new Promise((resolve) => setTimeout(resolve, 20));
      await supervisor.stop('kafka');
    };
    await startAndWaitFor('first start');
    await startAndWaitFor('second start');
    await startAndWaitFor('third start');
    expect(readFileSync(logFile, 'utf8')).toBe('third start\n');
    expect(readFileSync(previousLogFile(logFile), 'utf8')).toBe('second start\n');
    expect(readdirSync(ctx.layout.logDir).sort()).toEqual(['kafka.log', 'kafka.log.1']);
  });

  it('names an unknown component and lists the known ones', () => {
    const stack = stackOf([httpComponent('kafka', 1)]);
    expect(() => stack.component('zookeeper')).toThrow(new StackError('unknown component "zookeeper"; the components are: kafka'));
  });
});

describe('toolchain check', () => {
  it('names each missing tool and how to get it', () => {
    expect(() => requireTools(['go', 'mvn'], { PATH: '/nonexistent' })).toThrow(
      [
        'missing toolchain:',
        '  go is missing or broken (ran "go version"): install Go 1.24+ (Debian: apt-get install golang, or https://go.dev/dl)',
        '  mvn is missing or broken (ran "mvn --version"): install Apache Maven 3.8+ (Debian: apt-get install maven)',
      ].join('\n'),
    );
  });

  it('accepts the tools this machine has', () => {
    expect(() => requireTools(['java'])).not.toThrow();
  });
});
