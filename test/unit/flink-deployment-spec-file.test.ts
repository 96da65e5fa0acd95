import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeploymentSpecFileError, readDeploymentSpecFile } from '../../src/flink/deployment-spec-file.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-spec-file-'));
writeFileSync(join(folder, 'job.jar'), 'jar bytes');
const specFile = (name: string, content: unknown): string => {
  const file = join(folder, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

describe('readDeploymentSpecFile', () => {
  it('reads a spec, resolving the jar beside the file and taking the job name from the command', () => {
    const file = specFile('ok.json', { version: 'v3', jarPath: 'job.jar', entryClass: 'Main', programArgs: ['--features-topic', 't.v3'], parallelism: 2, observedTopics: { inputs: ['in'], outputs: ['t.v3'] } });
    expect(readDeploymentSpecFile(file, 'features')).toEqual({
      jobName: 'features',
      version: 'v3',
      jarPath: join(folder, 'job.jar'),
      entryClass: 'Main',
      programArgs: ['--features-topic', 't.v3'],
      parallelism: 2,
      observedTopics: { inputs: ['in'], outputs: ['t.v3'] },
    });
  });

  it('names every problem of a bad spec in one message', () => {
    const file = specFile('bad.json', { jobName: 'other', version: '', jarPath: 'missing.jar', entryClass: 'Main', programArgs: 'x', parallelism: 0, observedTopics: { inputs: [] }, colour: 'green' });
    expect(() => readDeploymentSpecFile(file, 'features')).toThrow(
      `spec file ${file} (7 problems): unknown field "colour"; jobName "other" is not the job being deployed ("features"); version must be a non-empty string; ` +
        `jarPath ${join(folder, 'missing.jar')} does not exist; programArgs must be an array of strings; parallelism must be a whole number >= 1, got 0; ` +
        'observedTopics must be { "inputs": [topics], "outputs": [topics] }',
    );
  });

  it('refuses a file that is not a JSON object', () => {
    expect(() => readDeploymentSpecFile(specFile('text.json', 'not json'), 'features')).toThrow(DeploymentSpecFileError);
    expect(() => readDeploymentSpecFile(specFile('array.json', []), 'features')).toThrow(/expected a JSON object$/);
  });
});
