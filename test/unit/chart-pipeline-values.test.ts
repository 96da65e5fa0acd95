/**
 * `tributary pipeline helm-values` and the values it computes (src/chart/pipeline-values.ts):
 * figures written out by hand for a small jar pipeline of another domain, the chart's default
 * values and the two-pipeline fixture printed again and compared (so neither drifts from its
 * definition), and the one-line refusals: a SQL feature job, a name that cannot name objects,
 * a definition with problems (pipeline validate's lines) and a missing file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ChartValuesError } from '../../src/chart/errors.js';
import { chartValuesYaml, pipelineChartValues, type ChartValuesOptions } from '../../src/chart/pipeline-values.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';
import { runTributaryInProcess } from '../helpers/in-process-cli.js';

const FRAUD = fileURLToPath(new URL('../../examples/fraud/pipeline.yaml', import.meta.url));
const DELIVERY = fileURLToPath(new URL('../../examples/delivery/pipeline.yaml', import.meta.url));
const MAINTENANCE = fileURLToPath(new URL('../fixtures/helm/maintenance/pipeline.yaml', import.meta.url));
const VALUES = fileURLToPath(new URL('../../deploy/helm/tributary/values.yaml', import.meta.url));
const SECURE_VALUES = fileURLToPath(new URL('../fixtures/helm/secure-multi-pipeline.yaml', import.meta.url));

const valuesOf = (file: string, options: ChartValuesOptions = {}) => pipelineChartValues(loadPipelineDefinition(file), file, dirname(file), options);

const tributary = runTributaryInProcess;

describe('the chart values of a pipeline definition', () => {
  it("gives a jar pipeline its own topics, feature job and grants under the prefix", () => {
    const values = valuesOf(MAINTENANCE, { topicPrefix: 'plant.' });
    const week = { 'cleanup.policy': 'delete', 'retention.ms': '604800000' };
    const month = { 'cleanup.policy': 'delete', 'retention.ms': '2592000000' };
    expect(values).toMatchObject({ name: 'maintenance', topicPrefix: 'plant.', taskQueue: 'maintenance', model: 'maintenance' });
    expect(values.topics).toEqual([
      { role: 'source', name: 'plant.machine-telemetry', partitions: 3, config: week },
      { role: 'features', name: 'plant.machine-features', partitions: 3, config: week },
      { role: 'labels', name: 'plant.machine-failures', partitions: 3, config: month },
      { role: 'training-examples', name: 'plant.maintenance.training-examples', partitions: 3, config: month },
      { role: 'scores', name: 'plant.maintenance.scores', partitions: 3, config: month },
      { role: 'dlq', name: 'plant.maintenance.dlq', partitions: 3, config: month },
    ]);
    expect(values.featureJob).toEqual({
      name: 'maintenance-features',
      jarURI: 'local:///opt/flink/usrlib/maintenance-features.jar',
      entryClass: 'dev.example.maintenance.MachineFeatureJob',
      args: ['--window', '1h', '--max-out-of-orderness-ms', '30000'],
      parallelism: 2,
      // checkpointing.interval 2s; labels.horizon 2d.
      checkpointIntervalMs: 2000,
      labelHorizonMs: 2 * 24 * 3600 * 1000,
      topics: {
        sources: ['plant.machine-telemetry'],
        labels: 'plant.machine-failures',
        features: 'plant.machine-features',
        trainingExamples: 'plant.maintenance.training-examples',
        dlq: 'plant.maintenance.dlq',
      },
    });
    const topic = (operation: string, name: string) => ({ operation, resource: 'topic', name, pattern: 'literal' });
    expect(values.grants).toEqual({
      simulator: [topic('Write', 'plant.machine-telemetry'), topic('Write', 'plant.machine-failures')],
      scorer: [topic('Read', 'plant.machine-features'), topic('Write', 'plant.maintenance.scores'), topic('Write', 'plant.maintenance.dlq')],
      trainer: [
        topic('Read', 'plant.maintenance.training-examples'),
        topic('Read', 'plant.machine-features'),
        topic('Read', 'plant.machine-failures'),
        topic('Read', 'plant.maintenance.scores'),
        topic('Describe', 'plant.machine-telemetry'),
        topic('Describe', 'plant.maintenance.dlq'),
      ],
      flink: [
        topic('Read', 'plant.machine-telemetry'),
        topic('Read', 'plant.machine-failures'),
        topic('Write', 'plant.machine-features'),
        topic('Write', 'plant.maintenance.training-examples'),
        topic('Write', 'plant.maintenance.dlq'),
      ],
    });
  });

  it('takes the prefix and task queue from the name by default, and the image and jar URI when given', () => {
    const values = valuesOf(MAINTENANCE, { image: 'registry.example.com/m:1', jarUri: 'local:///opt/flink/usrlib/m.jar' });
    expect(values.topicPrefix).toBe('maintenance.');
    expect(values.topics[0]!.name).toBe('maintenance.machine-telemetry');
    expect(values.featureJob).toMatchObject({ image: 'registry.example.com/m:1', jarURI: 'local:///opt/flink/usrlib/m.jar' });
  });

  it("is what the chart's default values.yaml holds for the fraud example", () => {
    const { pipelines } = parse(readFileSync(VALUES, 'utf8')) as { pipelines: unknown[] };
    expect(pipelines).toEqual([valuesOf(FRAUD, { topicPrefix: 'tributary.', taskQueue: 'tributary' })]);
  });

  it('is in the two-pipeline fixture unchanged, under its per-pipeline settings', () => {
    const { pipelines } = parse(readFileSync(SECURE_VALUES, 'utf8')) as { pipelines: unknown[] };
    expect(pipelines).toMatchObject([
      valuesOf(FRAUD, { name: 'cards', topicPrefix: 'cards.', taskQueue: 'cards' }),
      valuesOf(MAINTENANCE, { topicPrefix: 'plant.', image: 'registry.example.com/maintenance-flink:2.2.1' }),
    ]);
  });

  it('reads back as the values it was printed from', () => {
    const values = valuesOf(MAINTENANCE);
    const text = chartValuesYaml([values], 'tributary pipeline helm-values pipeline.yaml');
    expect(text.startsWith('# tributary pipeline helm-values pipeline.yaml\n')).toBe(true);
    expect(parse(text)).toEqual({ pipelines: [values] });
  });

  it('refuses a Flink SQL feature job, and a name that cannot name Kubernetes objects, with one line', () => {
    expect(() => valuesOf(DELIVERY)).toThrow(ChartValuesError);
    expect(() => valuesOf(DELIVERY)).toThrow(/^[^\n]+features\.job is Flink SQL \(features\.sql\), and the chart runs jar feature jobs only .*`tributary pipeline apply` against a Flink cluster with a SQL Gateway/);
    expect(() => valuesOf(MAINTENANCE, { name: 'Plant_1' })).toThrow(
      `${MAINTENANCE}: pipeline name "Plant_1" cannot name the chart's objects (a DNS label of at most 20 characters: lower-case letters, digits, '-'); pass --name with one`,
    );
  });
});

describe('tributary pipeline helm-values', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-helm-values-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('prints a values file with the pipeline, exit 0', async () => {
    const result = await tributary('pipeline', 'helm-values', MAINTENANCE, '--topic-prefix', 'plant.');
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(`# tributary pipeline helm-values ${MAINTENANCE} --topic-prefix plant.`);
    expect(parse(result.stdout)).toEqual({ pipelines: [valuesOf(MAINTENANCE, { topicPrefix: 'plant.' })] });
  });

  it("prints pipeline validate's lines for a definition with problems, and for a missing file, exit 2", async () => {
    const broken = join(scratch, 'broken.yaml');
    const dir = dirname(MAINTENANCE);
    // The definition's files by absolute path, so that its one problem is the misspelt field.
    const text = readFileSync(MAINTENANCE, 'utf8').replaceAll('schema: schemas/', `schema: ${dir}/schemas/`).replace('maven: feature-job', `maven: ${dir}/feature-job`);
    writeFileSync(broken, text.replace('field: readings_1h', 'field: readings_2h'));
    const validate = await tributary('pipeline', 'validate', broken);
    const values = await tributary('pipeline', 'helm-values', broken);
    expect(values).toEqual({ exitCode: 2, stdout: '', stderr: validate.stderr });
    expect(values.stderr).toMatch(/^error: .*broken\.yaml:\d+: model\.inputs\[3\]\.field "readings_2h" is not a field of the features schema[^\n]*\n$/);

    const missing = join(scratch, 'missing.yaml');
    expect(await tributary('pipeline', 'helm-values', missing)).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `error: ${missing}: cannot be read: ENOENT: no such file or directory, open '${missing}'\n`,
    });
  });

  it('refuses a SQL pipeline with one line that says how its job is deployed, exit 2', async () => {
    const result = await tributary('pipeline', 'helm-values', DELIVERY);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).toContain('submit this pipeline with `tributary pipeline apply` against a Flink cluster with a SQL Gateway');
  });

  it('refuses a topic prefix the chart would refuse, before reading the file', async () => {
    const result = await tributary('pipeline', 'helm-values', MAINTENANCE, '--topic-prefix', 'a b');
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toBe(`error: option '--topic-prefix <prefix>' argument 'a b' is invalid. expected a topic prefix of letters, digits, '.', '_' or '-', starting with a letter or digit, got "a b"\n`);
  });
});
