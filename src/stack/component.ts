import type { TributaryConfig } from '../config/config.js';
import type { ComponentName, StackLayout } from './stack-layout.js';
import type { Tool } from '../toolchain/external-tools.js';

/** Reports one step of a long operation to the person watching (one line each). */
export type Progress = (line: string) => void;

export interface StackContext {
  readonly config: TributaryConfig;
  readonly layout: StackLayout;
  readonly progress: Progress;
}

/**
 * Something installed once into the cache directory and shared by one or more components
 * (the three Flink processes share one Flink installation).
 */
export interface Installation {
  /** Stable id, also the name of its folder under the cache directory. */
  readonly id: string;
  readonly version: string;
  /** Tools needed to install (not to run). */
  readonly installTools: readonly Tool[];
  isInstalled(ctx: StackContext): Promise<boolean>;
  /** Installs from package registries only, reporting one line per step; idempotent. */
  install(ctx: StackContext): Promise<void>;
}

/** How to start one background process. The supervisor adds the log file and pid file. */
export interface ProcessSpec {
  readonly executable: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** What a healthy component reports about itself. */
export interface HealthReport {
  readonly version: string;
  /** Human-facing endpoints, e.g. `{ grpc: '127.0.0.1:7233', ui: 'http://127.0.0.1:8233' }`. */
  readonly endpoints: Readonly<Record<string, string>>;
}

/** One server process of the local stack. */
export interface StackComponent {
  readonly name: ComponentName;
  readonly installation: Installation;
  /** TCP ports the process binds; checked before start so a foreign process is named, not fought. */
  readonly ports: readonly number[];
  /** Components that must be healthy before this one starts. */
  readonly dependsOn: readonly ComponentName[];
  /** How long the component may take from spawn to healthy. */
  readonly startTimeoutMs: number;
  /** Tools needed to run (not to install). */
  readonly runTools: readonly Tool[];
  /** Writes configuration and initialises storage before the first start; idempotent. */
  prepare(ctx: StackContext): Promise<void>;
  processSpec(ctx: StackContext): ProcessSpec;
  /**
   * A real protocol call against the running server. Resolves with version and endpoints
   * when healthy, throws (with the reason) when not.
   */
  checkHealth(ctx: StackContext): Promise<HealthReport>;
  /** Runs once the process this start spawned is healthy (e.g. grants ACLs through it); idempotent. */
  afterHealthy?(ctx: StackContext): Promise<void>;
}
