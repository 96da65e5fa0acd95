/**
 * Local files that carry a trained candidate from the train activity to the evaluate and register
 * activities, keyed by the training run, so workflow history holds a path and never the model
 * bytes. The files live on the worker's disk: a deployment with several training workers gives
 * them one shared directory (or a training task queue per host).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where candidates are written and read back. */
export interface CandidateArtifacts {
  /** Writes the candidate of one training run and returns its path. */
  write(runKey: string, bytes: Uint8Array): Promise<string>;
  /** Reads a candidate back; throws {@link CandidateArtifactMissingError} when the file is not there. */
  read(path: string): Promise<Uint8Array>;
  /** Deletes a run's candidate once it is registered. */
  remove(path: string): Promise<void>;
}

/** The candidate file of a run is not on this worker's disk. Not retriable on this worker. */
export class CandidateArtifactMissingError extends Error {
  override readonly name = 'CandidateArtifactMissingError';
  readonly retriable = false;

  constructor(
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(`the trained candidate ${path} is not on this worker's disk; train and register must share the artifact directory`, options);
  }
}

/** A file name made of the run key: letters, digits, dot, dash and underscore only. */
const safeName = (runKey: string): string => runKey.replace(/[^A-Za-z0-9._-]/g, '_');

/** Candidate files under `directory`, one folder per run key. */
export function createLocalCandidateArtifacts(directory: string): CandidateArtifacts {
  return {
    async write(runKey, bytes) {
      const folder = join(directory, safeName(runKey));
      await mkdir(folder, { recursive: true });
      const path = join(folder, 'candidate.json');
      await writeFile(path, bytes);
      return path;
    },
    async read(path) {
      try {
        return new Uint8Array(await readFile(path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CandidateArtifactMissingError(path, { cause: error });
        throw error;
      }
    },
    async remove(path) {
      await rm(path, { force: true });
    },
  };
}
