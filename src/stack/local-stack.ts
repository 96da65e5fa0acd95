import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { HealthReport, Installation, StackComponent, StackContext } from './component.js';
import type { ComponentName } from './stack-layout.js';
import { PortInUseError, StackError } from './errors.js';
import { probeHealth, waitUntilHealthy } from './health-wait.js';
import { describePortOwner, isPortFree } from './port-owner.js';
import { ProcessSupervisor } from './process-supervisor.js';
import type { Tool } from '../toolchain/external-tools.js';
import { requireTools } from './toolchain.js';
import { StackLock } from './stack-lock.js';

export type ComponentStatus =
  | { readonly name: ComponentName; readonly state: 'healthy'; readonly pid: number; readonly rssMiB: number | undefined; readonly report: HealthReport }
  | { readonly name: ComponentName; readonly state: 'unhealthy'; readonly pid: number; readonly rssMiB: number | undefined; readonly reason: string }
  | { readonly name: ComponentName; readonly state: 'stopped' | 'dead' };

export interface UpResult {
  /** Components this call started; a test run stops exactly these afterwards. */
  readonly started: readonly ComponentName[];
  readonly alreadyRunning: readonly ComponentName[];
  readonly status: readonly ComponentStatus[];
}

function residentMiB(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? Math.round(Number(kib) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The local real stack: installs its servers once into the cache, runs each as a
 * background process with its own log and pid file, and stops exactly what it started.
 */
export class LocalStack {
  private readonly supervisor: ProcessSupervisor;
  private readonly lock: StackLock;

  constructor(
    private readonly ctx: StackContext,
    private readonly components: readonly StackComponent[],
  ) {
    this.supervisor = new ProcessSupervisor(ctx.layout);
    this.lock = new StackLock(ctx.layout);
  }

  component(name: string): StackComponent {
    const found = this.components.find((c) => c.name === name);
    if (!found) {
      throw new StackError(`unknown component "${name}"; the components are: ${this.components.map((c) => c.name).join(', ')}`);
    }
    return found;
  }

  /** Installs what is missing and starts what is not running; a running stack is left as it is. */
  async up(): Promise<UpResult> {
    return this.lock.hold(async () => {
      const toStart: StackComponent[] = [];
      const alreadyRunning: ComponentName[] = [];
      for (const component of this.components) {
        const current = await this.supervisor.state(component.name);
        if (current.state === 'running') {
          alreadyRunning.push(component.name);
          continue;
        }
        if (current.state === 'dead') {
          this.ctx.progress(`${component.name}: pid ${current.record.pid} from the last start is gone; starting it again`);
          await this.supervisor.forget(component.name);
        }
        toStart.push(component);
      }
      for (const name of alreadyRunning) {
        await waitUntilHealthy(this.component(name), this.ctx, this.supervisor);
      }
      if (toStart.length === 0) return { started: [], alreadyRunning, status: await this.status() };

      await this.installMissing(toStart);
      requireTools(toStart.flatMap((c) => c.runTools));
      await this.checkPortsFree(toStart);

      const started: ComponentName[] = [];
      try {
        await this.startInDependencyOrder(toStart, started);
      } catch (error) {
        this.ctx.progress(`stopping what this start began: ${started.join(', ') || 'nothing'}`);
        await this.stopComponents(started);
        throw error;
      }
      return { started, alreadyRunning, status: await this.status() };
    });
  }

  /** Installs every missing component into the cache without starting anything. */
  async install(): Promise<void> {
    await this.lock.hold(() => this.installMissing(this.components));
  }

  /** Stops the given components (all by default), dependants first. Data stays in place. */
  async down(only?: readonly ComponentName[]): Promise<ComponentName[]> {
    return this.lock.hold(() => this.stopComponents(only ?? this.components.map((c) => c.name)));
  }

  /** Stops everything and deletes the stack's data, logs and pid files (installs stay cached). */
  async reset(): Promise<ComponentName[]> {
    return this.lock.hold(async () => {
      const stopped = await this.stopComponents(this.components.map((c) => c.name));
      await rm(this.ctx.layout.dataDir, { recursive: true, force: true });
      return stopped;
    });
  }

  async status(): Promise<ComponentStatus[]> {
    return Promise.all(
      this.components.map(async (component): Promise<ComponentStatus> => {
        const current = await this.supervisor.state(component.name);
        if (current.state !== 'running') return { name: component.name, state: current.state };
        const { pid } = current.record;
        const probe = await probeHealth(component, this.ctx, 5000);
        return probe.healthy
          ? { name: component.name, state: 'healthy', pid, rssMiB: residentMiB(pid), report: probe.report }
          : { name: component.name, state: 'unhealthy', pid, rssMiB: residentMiB(pid), reason: probe.reason };
      }),
    );
  }

  private async installMissing(components: readonly StackComponent[]): Promise<void> {
    const installations = [...new Map(components.map((c) => [c.installation.id, c.installation])).values()];
    const missing: Installation[] = [];
    for (const installation of installations) {
      if (!(await installation.isInstalled(this.ctx))) missing.push(installation);
    }
    if (missing.length === 0) return;
    requireTools(missing.flatMap((i): Tool[] => [...i.installTools]));
    for (const installation of missing) {
      const began = Date.now();
      this.ctx.progress(`${installation.id} ${installation.version}: installing into ${this.ctx.layout.installDir(installation.id, installation.version)}`);
      await installation.install(this.ctx);
      this.ctx.progress(`${installation.id} ${installation.version}: installed in ${((Date.now() - began) / 1000).toFixed(0)}s`);
    }
  }

  private async checkPortsFree(components: readonly StackComponent[]): Promise<void> {
    for (const component of components) {
      for (const port of component.ports) {
        if (!(await isPortFree(port))) throw new PortInUseError(port, component.name, describePortOwner(port));
      }
    }
  }

  /** Starts components whose dependencies are healthy, in parallel waves; records each start in `started`. */
  private async startInDependencyOrder(toStart: readonly StackComponent[], started: ComponentName[]): Promise<void> {
    const pending = new Set(toStart);
    const healthy = new Set(this.components.map((c) => c.name).filter((name) => !toStart.some((c) => c.name === name)));
    while (pending.size > 0) {
      const wave = [...pending].filter((c) => c.dependsOn.every((dependency) => healthy.has(dependency)));
      if (wave.length === 0) {
        throw new StackError(`cannot start ${[...pending].map((c) => c.name).join(', ')}: their dependencies are not running`);
      }
      const results = await Promise.allSettled(
        wave.map(async (component) => {
          await component.prepare(this.ctx);
          const record = await this.supervisor.start(component.name, component.processSpec(this.ctx));
          started.push(component.name);
          this.ctx.progress(`${component.name}: started (pid ${record.pid}), waiting until healthy`);
          const began = Date.now();
          const report = await waitUntilHealthy(component, this.ctx, this.supervisor);
          this.ctx.progress(`${component.name}: healthy after ${((Date.now() - began) / 1000).toFixed(1)}s (${report.version})`);
          await component.afterHealthy?.(this.ctx);
        }),
      );
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
      for (const component of wave) {
        pending.delete(component);
        healthy.add(component.name);
      }
    }
  }

  private async stopComponents(names: readonly ComponentName[]): Promise<ComponentName[]> {
    const stopped: ComponentName[] = [];
    // Reverse declaration order stops dependants (task manager, gateway) before what they need.
    for (const component of [...this.components].reverse()) {
      if (!names.includes(component.name)) continue;
      if (await this.supervisor.stop(component.name)) {
        stopped.push(component.name);
        this.ctx.progress(`${component.name}: stopped`);
      }
    }
    return stopped;
  }
}
