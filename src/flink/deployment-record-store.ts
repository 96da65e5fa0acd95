import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyDeploymentRecord, type DeploymentRecord } from './deployment-record.js';
import { DeploymentRecordError } from './deployment-errors.js';

/** Where deployment records live; the workflow's activities and the CLI read and write through it. */
export interface DeploymentRecordStore {
  /** The job's record; an empty one when nothing was recorded yet. */
  read(jobName: string): Promise<DeploymentRecord>;
  /** Applies `change` to the current record and stores the result; updates of one store never interleave. */
  update(jobName: string, change: (record: DeploymentRecord) => DeploymentRecord): Promise<DeploymentRecord>;
}

/**
 * One JSON file per job in a folder (`<dataDir>/flink/deployments` by default), replaced
 * atomically. Workers on several hosts need the folder on shared storage, or another store.
 */
export class FileDeploymentRecordStore implements DeploymentRecordStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly folder: string) {}

  async read(jobName: string): Promise<DeploymentRecord> {
    const file = this.fileOf(jobName);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyDeploymentRecord(jobName);
      throw new DeploymentRecordError(jobName, file, `cannot be read: ${(error as Error).message}`, error);
    }
    try {
      return JSON.parse(text) as DeploymentRecord;
    } catch (error) {
      throw new DeploymentRecordError(jobName, file, `is not valid JSON (${(error as Error).message}); restore it from a backup or move it away to start a new history`, error);
    }
  }

  update(jobName: string, change: (record: DeploymentRecord) => DeploymentRecord): Promise<DeploymentRecord> {
    const next = this.queue.then(async () => {
      const updated = change(await this.read(jobName));
      const file = this.fileOf(jobName);
      await mkdir(this.folder, { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(updated, null, 2)}\n`);
      await rename(temporary, file);
      return updated;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private fileOf(jobName: string): string {
    return join(this.folder, `${encodeURIComponent(jobName)}.json`);
  }
}
