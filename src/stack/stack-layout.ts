import { join } from 'node:path';
import type { TributaryConfig } from '../config/config.js';

/** Names of the processes the local stack runs; also the names of their log and pid files. */
export type ComponentName =
  | 'kafka'
  | 'kafka-secure'
  | 'schema-registry'
  | 'temporal'
  | 'flink-jobmanager'
  | 'flink-taskmanager'
  | 'flink-sql-gateway';

/** Fixed local ports of the stack (see STACK-NOTES: chosen so that none clash). */
export const STACK_PORTS = {
  temporalGrpc: 7233,
  temporalUi: 8233,
  kafka: 9092,
  kafkaController: 9093,
  /** The secure broker (`stack up --secure`): SASL_SSL for clients, its own controller. */
  kafkaSecure: 9094,
  kafkaSecureController: 9095,
  flinkRest: 8081,
  flinkJobManagerRpc: 6123,
  flinkSqlGateway: 8083,
  schemaRegistry: 8085,
  schemaRegistryManagement: 8086,
} as const;

/**
 * Where the local stack keeps things. Installs go to the cache directory (kept across
 * resets); data, logs and pid files go under the data directory.
 */
export interface StackLayout {
  /** Installed components, one folder per installation id and version. */
  readonly cacheDir: string;
  /** Persistent server data (Kafka log dirs, Temporal's SQLite, registry DB, savepoints). */
  readonly dataDir: string;
  /** Log files, one per component. */
  readonly logDir: string;
  /** Pid files, one per component. */
  readonly runDir: string;
  installDir(installationId: string, version: string): string;
  componentDataDir(name: ComponentName | 'flink'): string;
  logFile(name: ComponentName): string;
  pidFile(name: ComponentName): string;
}

export function stackLayout(config: Pick<TributaryConfig, 'paths'>): StackLayout {
  const { cacheDir, dataDir } = config.paths;
  const logDir = join(dataDir, 'logs');
  const runDir = join(dataDir, 'run');
  return {
    cacheDir,
    dataDir,
    logDir,
    runDir,
    installDir: (id, version) => join(cacheDir, id, version),
    componentDataDir: (name) => join(dataDir, 'data', name),
    logFile: (name) => join(logDir, `${name}.log`),
    pidFile: (name) => join(runDir, `${name}.pid`),
  };
}
