/**
 * Removes what a test's feature-job deployments left on the shared cluster and disk: the job's
 * running versions (cancelled), the savepoints its deployment record lists, and the record itself.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TributaryConfig } from '../../src/config/config.js';
import { FileDeploymentRecordStore } from '../../src/flink/deployment-record-store.js';
import { deploymentRecordsDir } from '../../src/flink/deployment-paths.js';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.js';
import { RestFlinkService } from '../../src/flink/flink-service.js';

const CANCEL_TIMEOUT_MS = 60_000;

export async function removeFeatureJobDeployments(config: TributaryConfig, jobName: string): Promise<void> {
  const rest = new FlinkRestClient({ baseUrl: config.flink.restUrl });
  const flink = new RestFlinkService({ baseUrl: config.flink.restUrl });
  for (const job of await flink.activeJobs(jobName)) {
    await rest.cancel(job.jobId).catch(() => undefined);
    await rest.waitForJobState(job.jobId, ['CANCELED'], CANCEL_TIMEOUT_MS).catch(() => undefined);
  }
  const record = await new FileDeploymentRecordStore(deploymentRecordsDir(config)).read(jobName).catch(() => undefined);
  for (const savepoint of record?.savepoints ?? []) await flink.disposeSavepoint(savepoint.path).catch(() => undefined);
  // The store's own file name for the job (FileDeploymentRecordStore): one JSON file per job name.
  await rm(join(deploymentRecordsDir(config), `${encodeURIComponent(jobName)}.json`), { force: true });
}
