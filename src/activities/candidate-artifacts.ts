/**
 * Local files that carry a trained candidate from the train activity to the evaluate and register
 * activities, keyed by the training run, so workflow history holds a path and never the model
 * bytes. The files live on the worker's disk: a deployment with several training workers gives
 * them one shared directory (or a training task queue per host). Beside a candidate, the evaluate
 * activity leaves the verdict of its ONNX export, which the register activity reads.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { OnnxExportVerdict } from '../models/onnx-export.js';

/** Where candidates are written and read back. */
export interface CandidateArtifacts {
  /** Writes the candidate of one training run and returns its path. */
  write(runKey: string, bytes: Uint8Array): Promise<string>;
  /** Reads a candidate back; throws {@link CandidateArtifactMissingError} when the file is not there. */
  read(path: string): Promise<Uint8Array>;
  /** Deletes a run's candidate, and its export verdict, once it is registered. */
  remove(path: string): Promise<void>;
  /** Keeps the verdict of the ONNX export of the candidate at `candidatePath` beside it (the export's bytes when accepted). */
  writeOnnxExport(candidatePath: string, verdict: OnnxExportVerdict): Promise<void>;
  /** The verdict kept beside the candidate; undefined when none was written (a worker older than the export evaluated it). */
  readOnnxExport(candidatePath: string): Promise<OnnxExportVerdict | undefined>;
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

/** The export verdict's file: JSON, the ONNX bytes in base64. */
const ONNX_EXPORT_FILE = 'onnx-export.json';
const ONNX_EXPORT_FORMAT = 'tributary-onnx-export';
const ONNX_EXPORT_FORMAT_VERSION = 1;

type StoredVerdict = (Omit<Extract<OnnxExportVerdict, { accepted: true }>, 'onnx'> & { readonly onnx: string }) | Extract<OnnxExportVerdict, { accepted: false }>;

interface OnnxExportDocument {
  readonly format: typeof ONNX_EXPORT_FORMAT;
  readonly formatVersion: number;
  readonly verdict: StoredVerdict;
}

const exportPathOf = (candidatePath: string): string => join(dirname(candidatePath), ONNX_EXPORT_FILE);

/** Reads a file; undefined when it is not there. */
async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
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
      await rm(exportPathOf(path), { force: true });
    },
    async writeOnnxExport(candidatePath, verdict) {
      const stored: StoredVerdict = verdict.accepted ? { ...verdict, onnx: Buffer.from(verdict.onnx).toString('base64') } : verdict;
      const document: OnnxExportDocument = { format: ONNX_EXPORT_FORMAT, formatVersion: ONNX_EXPORT_FORMAT_VERSION, verdict: stored };
      await writeFile(exportPathOf(candidatePath), JSON.stringify(document));
    },
    async readOnnxExport(candidatePath) {
      const bytes = await readIfPresent(exportPathOf(candidatePath));
      if (bytes === undefined) return undefined;
      const document = JSON.parse(bytes.toString('utf8')) as OnnxExportDocument;
      // Written by another build: registered as if no export had been checked, which serves tfjs.
      if (document.format !== ONNX_EXPORT_FORMAT || document.formatVersion !== ONNX_EXPORT_FORMAT_VERSION) return undefined;
      const { verdict } = document;
      return verdict.accepted ? { ...verdict, onnx: new Uint8Array(Buffer.from(verdict.onnx, 'base64')) } : verdict;
    },
  };
}
