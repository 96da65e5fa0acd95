/**
 * A deployment spec written by a person: a JSON file in the shape of {@link FlinkJobSpec}
 * (`tributary flink deploy <job> --spec <file>`), checked field by field so a mistake is named
 * before anything reaches the cluster. A relative `jarPath` is relative to the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FlinkJobSpec } from './deployment-spec.js';
import { FlinkError } from './errors.js';

/** The file cannot be read, is not JSON, or describes no usable spec; the message names every problem. Bad input: not retriable. */
export class DeploymentSpecFileError extends FlinkError {
  override readonly name = 'DeploymentSpecFileError';

  constructor(message: string) {
    super(message, { retriable: false });
  }
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Reads and checks the spec in `file`; `jobName` defaults to the one the command names and must match it when given. */
export function readDeploymentSpecFile(file: string, jobName: string): FlinkJobSpec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DeploymentSpecFileError(`spec file ${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new DeploymentSpecFileError(`spec file ${file}: expected a JSON object`);
  const spec = parsed as Record<string, unknown>;
  const problems: string[] = [];
  const known = new Set(['jobName', 'version', 'jarPath', 'entryClass', 'programArgs', 'parallelism', 'flinkConfiguration', 'allowNonRestoredState', 'observedTopics']);
  for (const key of Object.keys(spec)) if (!known.has(key)) problems.push(`unknown field "${key}"`);
  if (spec.jobName !== undefined && spec.jobName !== jobName) problems.push(`jobName "${String(spec.jobName)}" is not the job being deployed ("${jobName}")`);
  for (const key of ['version', 'jarPath', 'entryClass'] as const) {
    if (typeof spec[key] !== 'string' || spec[key].trim() === '') problems.push(`${key} must be a non-empty string`);
  }
  const jarPath = typeof spec.jarPath === 'string' && spec.jarPath !== '' ? resolve(dirname(file), spec.jarPath) : undefined;
  if (jarPath && !existsSync(jarPath)) problems.push(`jarPath ${jarPath} does not exist`);
  if (spec.programArgs !== undefined && !isStringArray(spec.programArgs)) problems.push('programArgs must be an array of strings');
  if (spec.parallelism !== undefined && !(Number.isInteger(spec.parallelism) && (spec.parallelism as number) >= 1)) problems.push(`parallelism must be a whole number >= 1, got ${JSON.stringify(spec.parallelism)}`);
  const configuration = spec.flinkConfiguration;
  if (configuration !== undefined && (typeof configuration !== 'object' || configuration === null || !Object.values(configuration).every((value) => typeof value === 'string'))) {
    problems.push('flinkConfiguration must be an object of string values');
  }
  if (spec.allowNonRestoredState !== undefined && typeof spec.allowNonRestoredState !== 'boolean') problems.push('allowNonRestoredState must be true or false');
  const observed = spec.observedTopics as { inputs?: unknown; outputs?: unknown } | undefined;
  if (observed !== undefined && (typeof observed !== 'object' || observed === null || !isStringArray(observed.inputs) || !isStringArray(observed.outputs))) {
    problems.push('observedTopics must be { "inputs": [topics], "outputs": [topics] }');
  }
  if (problems.length > 0) throw new DeploymentSpecFileError(`spec file ${file} (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`);
  return { ...(spec as unknown as FlinkJobSpec), jobName, jarPath: jarPath as string, programArgs: (spec.programArgs as string[] | undefined) ?? [] };
}
