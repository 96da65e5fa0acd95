/**
 * Where Flink deployments keep their files under the data directory. Apart from the deployment
 * worker's wiring so that `tributary flink submit` and `cancel` can find them without loading
 * Temporal's worker.
 */
import { join } from 'node:path';
import type { TributaryConfig } from '../config/config.js';

/** Where deployment records live: `<dataDir>/flink/deployments`. */
export const deploymentRecordsDir = (config: TributaryConfig): string => join(config.paths.dataDir, 'flink', 'deployments');

/** Where deployed jars are pinned by content: `<dataDir>/flink/jars`. */
export const pinnedJarsDir = (config: TributaryConfig): string => join(config.paths.dataDir, 'flink', 'jars');

/** Where an in-process deployment worker writes the Temporal SDK's log: `<dataDir>/logs/flink-deploy-worker.log`. */
export const deployWorkerLogFile = (config: TributaryConfig): string => join(config.paths.dataDir, 'logs', 'flink-deploy-worker.log');
