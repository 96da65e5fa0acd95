/**
 * The Helm chart (deploy/helm/tributary), rendered by the pinned helm with the default values
 * and with a secure, two-pipeline values file, and every rendered object validated against
 * the pinned Kubernetes OpenAPI document and the Strimzi, Flink operator, KEDA and Prometheus
 * Operator CRDs (src/chart). No cluster runs here: this is what can be checked without one.
 * The tables the chart shares with the code (topics, ACLs, settings, feature job arguments)
 * are compared with the code's own, so the two cannot drift apart; the second pipeline of the
 * secure values is another domain (test/fixtures/helm/maintenance), whose objects must name only
 * its own topics.
 *
 * The first run installs helm and the schema set into the cache (several minutes: helm is
 * built with go install); later runs find them there.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderChart } from '../../src/chart/chart-renderer.js';
import { ChartRenderError, SchemaSetError } from '../../src/chart/errors.js';
import { chartToolchain } from '../../src/chart/chart-verification.js';
import { formatProblem, ManifestValidator } from '../../src/chart/manifest-validator.js';
import { schemaDir } from '../../src/chart/schema-installation.js';
import { SCHEMA_FILE_SHA256 } from '../../src/chart/chart-versions.js';
import { chartValuesYaml, pipelineChartValues, strimziGrant, type ChartPipelineValues } from '../../src/chart/pipeline-values.js';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { SETTINGS, type Setting } from '../../src/config/settings.js';
import { pipelineJarJob } from '../../src/flink/jar-feature-job.js';
import { FEATURE_JOB_LATENCY_SETTINGS, featureJobProgramArgs, featureJobSpec } from '../../src/flink/job-spec.js';
import { platformTopics } from '../../src/pipeline-apply/platform-resources.js';
import { pipelinesTopicSpec } from '../../src/pipeline-store/kafka-pipeline-store.js';
import { parseDuration } from '../../src/pipelines/duration.js';
import { DEFAULT_CHECKPOINT_INTERVAL, type PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { featureJobName, pipelineTopics } from '../../src/pipelines/pipeline-topics.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import type { StackContext } from '../../src/stack/component.js';
import { secureKafkaGrants } from '../../src/stack/secure-kafka-acls.js';
import { createStackContext } from '../../src/stack/stack-context.js';

// Rendered manifests are arbitrary YAML; the tests read them field by field and the assertions check each value.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K8sObject = Record<string, any>;

const SECURE_VALUES = join(import.meta.dirname, '../fixtures/helm/secure-multi-pipeline.yaml');
/** Installing builds helm from source on the first run. */
const INSTALL_TIMEOUT_MS = 30 * 60_000;

let ctx: StackContext;
let helm: string;
let validator: ManifestValidator;
let defaults: K8sObject[];
let secure: K8sObject[];

beforeAll(async () => {
  ctx = createStackContext(loadConfig(), (line) => console.log(line));
  ({ helm, validator } = await chartToolchain(ctx));
  defaults = await renderChart(helm);
  secure = await renderChart(helm, { valuesFiles: [SECURE_VALUES] });
}, INSTALL_TIMEOUT_MS);

const ofKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};
const problemsOf = (objects: K8sObject[]): string[] => objects.flatMap((o) => validator.validate(o).map(formatProblem));

const FRAUD_FILE = fileURLToPath(new URL('../../examples/fraud/pipeline.yaml', import.meta.url));
const MAINTENANCE_FILE = fileURLToPath(new URL('../fixtures/helm/maintenance/pipeline.yaml', import.meta.url));

interface SecurePipeline {
  readonly name: string;
  readonly prefix: string;
  readonly file: string;
  readonly definition: PipelineDefinition;
}

/** The pipelines of the secure values file: the chart's name, the topic prefix and the definition its entry was printed from. */
const SECURE_PIPELINES: readonly SecurePipeline[] = [
  { name: 'cards', prefix: 'cards.', file: FRAUD_FILE, definition: loadPipelineDefinition(FRAUD_FILE) },
  { name: 'maintenance', prefix: 'plant.', file: MAINTENANCE_FILE, definition: loadPipelineDefinition(MAINTENANCE_FILE) },
];
const FRAUD = SECURE_PIPELINES[0]!;
const MAINTENANCE = SECURE_PIPELINES[1]!;

/** A values file with these entries, as `tributary pipeline helm-values` prints them. */
async function entriesFile(dir: string, entries: readonly ChartPipelineValues[]): Promise<string> {
  const file = join(dir, 'values.yaml');
  await writeFile(file, chartValuesYaml(entries, 'test values'));
  return file;
}
const entryOf = (pipeline: SecurePipeline, options: Parameters<typeof pipelineChartValues>[3] = {}): ChartPipelineValues =>
  pipelineChartValues(pipeline.definition, pipeline.file, dirname(pipeline.file), options);

/** Every object of one pipeline: labelled with it, and its FlinkDeployment (named after its job). */
const objectsOf = (objects: K8sObject[], pipeline: SecurePipeline): K8sObject[] =>
  objects.filter((o) => o.metadata.labels?.['tributary.dev/pipeline'] === pipeline.name || o.metadata.name === featureJobName(pipeline.definition) || o.metadata.name.includes(`-${pipeline.name}-`));

describe('helm template validates against the pinned schemas', () => {
  it('renders the default values into objects every schema accepts', () => {
    expect(problemsOf(defaults)).toEqual([]);
    const kinds = new Set(defaults.map((o) => `${o.apiVersion} ${o.kind}`));
    for (const kind of [
      'kafka.strimzi.io/v1 Kafka',
      'kafka.strimzi.io/v1 KafkaNodePool',
      'kafka.strimzi.io/v1 KafkaTopic',
      'kafka.strimzi.io/v1 KafkaUser',
      'flink.apache.org/v1beta1 FlinkDeployment',
      'apps/v1 Deployment',
      'policy/v1 PodDisruptionBudget',
      'networking.k8s.io/v1 NetworkPolicy',
      'rbac.authorization.k8s.io/v1 Role',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
  });

  it('renders the secure two-pipeline values into objects every schema accepts, KEDA and Prometheus Operator included', () => {
    expect(problemsOf(secure)).toEqual([]);
    expect(ofKind(secure, 'ScaledObject')).toHaveLength(2);
    expect(ofKind(secure, 'TriggerAuthentication')).toHaveLength(2);
    expect(ofKind(secure, 'ServiceMonitor')).toHaveLength(2);
    expect(ofKind(secure, 'FlinkDeployment').map((o) => o.metadata.name).sort()).toEqual(['maintenance-features', 'tributary-feature-job']);
  });

  it('refuses a broken object with a message naming it, the path and the fault', () => {
    const deployment = structuredClone(named(secure, 'Deployment', 'tributary-cards-scorer'));
    deployment.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    deployment.spec.replicas = 'two';
    expect(validator.validate(deployment).map(formatProblem)).toEqual([
      'Deployment/tributary-cards-scorer /spec/replicas: must be integer',
      'Deployment/tributary-cards-scorer /spec/template/spec/containers/0: unknown field "imagePullPolcy"',
    ]);
    const flink = structuredClone(named(secure, 'FlinkDeployment', 'maintenance-features'));
    flink.spec.job.upgradeMode = 'last-sate';
    expect(validator.validate(flink).map(formatProblem)).toEqual([
      'FlinkDeployment/maintenance-features /spec/job/upgradeMode: must be equal to one of the allowed values: "last-state", "savepoint", "stateless"',
    ]);
    const user = structuredClone(named(secure, 'KafkaUser', 'cards-scorer'));
    user.apiVersion = 'kafka.strimzi.io/v1beta2';
    expect(validator.validate(user).map(formatProblem)).toEqual([
      'KafkaUser/cards-scorer /: no schema for apiVersion kafka.strimzi.io/v1beta2 kind KafkaUser in the pinned set',
    ]);
  });

  it('refuses a schema file whose bytes are not the pinned ones, naming it', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'tributary-schemas-'));
    try {
      await cp(schemaDir(ctx), copy, { recursive: true });
      const file = Object.keys(SCHEMA_FILE_SHA256).find((f) => f.startsWith('strimzi'))!;
      await writeFile(join(copy, file), '# altered\n', { flag: 'a' });
      const opened = ManifestValidator.open(copy);
      await expect(opened).rejects.toBeInstanceOf(SchemaSetError);
      await expect(opened).rejects.toThrow(new RegExp(`schema file ${join(copy, file).replaceAll('.', '\\.')}: SHA-256 [0-9a-f]{64}, the pinned one is`));
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});

describe('the chart and the code agree', () => {
  it("creates each pipeline's own topics as pipeline apply would, and the platform's of its prefix and its pipeline store's topic, with their partitions and configs", () => {
    const topics = ofKind(secure, 'KafkaTopic');
    for (const { name, prefix, definition } of SECURE_PIPELINES) {
      const rendered = topics.filter((t) => t.metadata.labels['tributary.dev/pipeline'] === name);
      // The chart gives every topic min.insync.replicas from its replication factor; the store's first write would create it without.
      const store = pipelinesTopicSpec({ topics: { prefix } }, 3);
      const expected = [
        ...pipelineTopics(definition, { prefix, replicationFactor: 3 }),
        ...platformTopics({ prefix, replicationFactor: 3 }),
        { ...store, configs: { ...store.configs, 'min.insync.replicas': '2' } },
      ];
      expect(rendered.map((t) => ({ name: t.spec.topicName, partitions: t.spec.partitions, replicas: t.spec.replicas, configs: t.spec.config })).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
        expected.map((t) => ({ name: t.name, partitions: t.partitions, replicas: t.replicationFactor, configs: t.configs })).sort((a, b) => a.name.localeCompare(b.name)),
      );
      for (const topic of rendered) expect(topic.metadata.labels['strimzi.io/cluster']).toBe('tributary');
    }
  });

  it('gives each principal of each pipeline exactly the ACLs stack up --secure grants for its prefix and its definition, with SCRAM-SHA-512', () => {
    for (const { name, prefix, definition } of SECURE_PIPELINES) {
      const grants = secureKafkaGrants({ topics: { prefix } }, [definition]);
      for (const role of ['simulator', 'scorer', 'trainer', 'flink'] as const) {
        const user = named(secure, 'KafkaUser', `${name}-${role}`);
        expect(user.spec.authentication).toEqual({ type: 'scram-sha-512' });
        const rendered = (user.spec.authorization.acls as K8sObject[]).map((acl) => ({
          type: acl.resource.type,
          name: acl.resource.name,
          pattern: acl.resource.patternType,
          operations: acl.operations,
          host: acl.host,
        }));
        const expected = grants
          .filter((g) => g.principal === role)
          .map(strimziGrant)
          .map((g) => ({ type: g.resource, name: g.name, pattern: g.pattern, operations: [g.operation], host: '*' }));
        const order = (a: { type: string; name: string; operations: string[] }, b: typeof a): number => `${a.type} ${a.name} ${a.operations[0]}`.localeCompare(`${b.type} ${b.name} ${b.operations[0]}`);
        expect(rendered.sort(order), `${name}-${role}`).toEqual(expected.sort(order));
      }
    }
    const kafka = named(secure, 'Kafka', 'tributary');
    expect(kafka.spec.kafka.authorization).toEqual({ type: 'simple' });
    expect(kafka.spec.kafka.listeners).toEqual([expect.objectContaining({ name: 'tls', tls: true, authentication: { type: 'scram-sha-512' } })]);
  });

  it('sets only settings Tributary knows, and secrets only as files', () => {
    const settings: Setting<unknown>[] = Object.values(SETTINGS);
    const known = new Set(settings.flatMap((s) => (s.secret ? [s.env, `${s.env}_FILE`] : [s.env])));
    const secretEnv = new Set(settings.filter((s) => s.secret).map((s) => s.env));
    const deployments = ofKind(secure, 'Deployment').filter((d) => ['worker', 'scorer'].includes(d.metadata.labels['app.kubernetes.io/component']));
    expect(deployments).toHaveLength(4);
    for (const deployment of deployments) {
      const [container] = deployment.spec.template.spec.containers;
      const env = container.env as { name: string; value?: string; valueFrom?: unknown }[];
      for (const { name, valueFrom } of env.filter((e) => e.name.startsWith('TRIBUTARY_'))) {
        expect(known, `${deployment.metadata.name} sets ${name}`).toContain(name);
        expect(secretEnv, `${deployment.metadata.name} passes the secret ${name} as a value`).not.toContain(name);
        expect(valueFrom, `${deployment.metadata.name} ${name}`).toBeUndefined();
      }
      const mounted = (container.volumeMounts as { mountPath: string }[]).map((m) => m.mountPath);
      for (const { name, value } of env.filter((e) => e.name.endsWith('_FILE'))) {
        expect(mounted.some((path) => value!.startsWith(`${path}/`)), `${deployment.metadata.name} ${name}=${value} is on a mounted volume`).toBe(true);
      }
      expect(JSON.stringify(container.command)).not.toMatch(/password|api-key|hmac/i);
    }
    const worker = named(secure, 'Deployment', 'tributary-cards-worker');
    const workerEnv = Object.fromEntries((worker.spec.template.spec.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    expect(workerEnv).toMatchObject({
      TRIBUTARY_FLINK_SERVICE: 'kubernetes',
      TRIBUTARY_FLINK_KUBERNETES_NAMESPACE: 'tributary',
      TRIBUTARY_FLINK_KUBERNETES_API_URL: 'https://kubernetes.default.svc',
      TRIBUTARY_TOPIC_PREFIX: 'cards.',
      TRIBUTARY_TEMPORAL_TASK_QUEUE: 'cards',
      TRIBUTARY_TEMPORAL_TLS: 'true',
      TRIBUTARY_KAFKA_SASL_USERNAME: 'cards-trainer',
    });
  });

  it("gives the worker and the scorer an environment Tributary's configuration loader accepts", async () => {
    const mounts = await mkdtemp(join(tmpdir(), 'tributary-mounts-'));
    try {
      for (const deployment of ofKind(secure, 'Deployment').filter((d) => ['worker', 'scorer'].includes(d.metadata.labels['app.kubernetes.io/component']))) {
        const env: NodeJS.ProcessEnv = { HOME: mounts };
        for (const { name, value } of deployment.spec.template.spec.containers[0].env as { name: string; value: string }[]) {
          // The Secrets' files exist in the pod; here they are stand-ins under a scratch folder.
          if (!value.startsWith('/var/run/secrets/')) {
            env[name] = value;
            continue;
          }
          const file = join(mounts, value);
          await mkdir(dirname(file), { recursive: true });
          await writeFile(file, 'a-secret-of-at-least-16-characters\n');
          env[name] = file;
        }
        const config = loadConfig({ env });
        const pipeline = deployment.metadata.labels['tributary.dev/pipeline'] as string;
        const component = deployment.metadata.labels['app.kubernetes.io/component'] as string;
        const secret = (path: string): string => join(mounts, path);
        expect(config.topics.prefix).toBe(SECURE_PIPELINES.find((p) => p.name === pipeline)!.prefix);
        expect(config.kafka.sasl).toEqual({
          mechanism: 'scram-sha-512',
          username: `${pipeline}-${component === 'worker' ? 'trainer' : 'scorer'}`,
          password: 'a-secret-of-at-least-16-characters',
        });
        expect(config.kafka.tls?.caFile).toBe(secret('/var/run/secrets/tributary/kafka-ca/ca.crt'));
        if (component === 'worker') {
          expect(config.flink).toMatchObject({ service: 'kubernetes', kubernetes: { namespace: 'tributary', apiUrl: 'https://kubernetes.default.svc' } });
          expect(config.temporal).toMatchObject({ address: 'payments.a1b2c.tmprl.cloud:7233', taskQueue: pipeline, apiKey: 'a-secret-of-at-least-16-characters' });
          expect(config.temporal.tls).toEqual({
            caFile: secret('/var/run/secrets/tributary/temporal-tls/ca.crt'),
            certFile: secret('/var/run/secrets/tributary/temporal-tls/tls.crt'),
            keyFile: secret('/var/run/secrets/tributary/temporal-tls/tls.key'),
            serverName: 'payments.a1b2c.tmprl.cloud',
          });
          expect(config.pii.hashKey).toBe('a-secret-of-at-least-16-characters');
        }
      }
    } finally {
      await rm(mounts, { recursive: true, force: true });
    }
  });

  it("runs each pipeline's own jar with the arguments tributary flink deploy gives it, its checkpoint interval, savepoint upgrades and its state in the object store", () => {
    for (const { prefix, file, definition } of SECURE_PIPELINES) {
      const job = pipelineJarJob(definition, dirname(file));
      const jobName = job.jobName;
      const deployment = named(secure, 'FlinkDeployment', jobName);
      const config = {
        kafka: { brokers: ['tributary-kafka-bootstrap.tributary.svc:9093'] },
        schemaRegistry: { url: 'http://tributary-schema-registry.tributary.svc:8080/apis/ccompat/v7' },
        topics: { prefix },
      } as unknown as TributaryConfig;
      const spec = featureJobSpec(config, job, {
        jobName,
        jobVersion: '0.1.0',
        piiKeyFile: '/opt/tributary/secrets/pii/key',
        kafkaClientPropertiesFile: '/opt/tributary/kafka/client.properties',
      });
      expect(deployment.spec.job).toMatchObject({
        entryClass: job.mainClass,
        jarURI: `local:///opt/flink/usrlib/${job.jar.split('/').at(-1)}`,
        upgradeMode: 'savepoint',
        state: 'running',
        args: featureJobProgramArgs(spec),
      });
      // The maintenance definition names 2; the fixture gives cards 3, its definition naming none.
      expect(deployment.spec.job.parallelism).toBe(definition.features.parallelism ?? 3);
      expect(deployment.spec.flinkConfiguration).toMatchObject({
        // The latency settings every submission of tributary's carries, and the definition's interval.
        ...FEATURE_JOB_LATENCY_SETTINGS,
        'execution.checkpointing.interval': `${parseDuration(definition.features.checkpointing?.interval ?? DEFAULT_CHECKPOINT_INTERVAL)}ms`,
        'execution.checkpointing.dir': `s3://tributary-state/prod/checkpoints/${jobName}`,
        'execution.checkpointing.savepoint-dir': `s3://tributary-state/prod/savepoints/${jobName}`,
      });
    }
    const local = named(defaults, 'FlinkDeployment', 'tributary-feature-job');
    expect(local.spec.flinkConfiguration).toMatchObject({ ...FEATURE_JOB_LATENCY_SETTINGS, 'execution.checkpointing.interval': '500ms' });
    expect(local.spec.flinkConfiguration['execution.checkpointing.savepoint-dir']).toBe('file:///flink-data/savepoints/tributary-feature-job');
    expect(local.spec.podTemplate.spec.volumes).toContainEqual({ name: 'state', persistentVolumeClaim: { claimName: 'tributary-feature-job-state' } });
    const stateClaim = named(defaults, 'PersistentVolumeClaim', 'tributary-feature-job-state');
    expect(stateClaim.spec.accessModes).toEqual(['ReadWriteMany']);
    // The claim holds the job's only savepoints: an uninstall must not delete it with the release.
    expect(stateClaim.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
  });

  it("names a pipeline's objects after it and lets its feature job's pods reach Kafka and the registry", () => {
    expect(ofKind(defaults, 'FlinkDeployment').map((o) => o.metadata.name)).toEqual(['tributary-feature-job']);
    for (const objects of [defaults, secure]) {
      for (const job of ofKind(objects, 'FlinkDeployment').map((o) => o.metadata.name as string)) {
        expect(named(objects, 'Kafka', 'tributary').spec.kafka.listeners[0].networkPolicyPeers).toContainEqual({ podSelector: { matchLabels: { app: job } } });
        expect(named(objects, 'NetworkPolicy', 'tributary-schema-registry').spec.ingress[0].from).toContainEqual({ podSelector: { matchLabels: { app: job } } });
      }
    }
  });

  it("gives the second domain's pipeline only its own topics, ACLs and job arguments: no fraud name in any of its objects", () => {
    const objects = objectsOf(secure, MAINTENANCE);
    expect(objects.map((o) => o.kind).sort()).toEqual(
      [...Array(10).fill('KafkaTopic'), ...Array(4).fill('KafkaUser'), 'FlinkDeployment', 'Deployment', 'Deployment', 'Service', 'Service', 'ScaledObject', 'TriggerAuthentication', 'PodDisruptionBudget', 'PodDisruptionBudget'].sort(),
    );
    expect(JSON.stringify(objects)).not.toMatch(/fraud|card|merchant|chargeback|transactions?\b/i);
    // None of the fraud example's topics under this prefix, except the catalogue's scores and dlq, which the platform grants every prefix's scorer for a model without a pipeline.
    const fraudTopics = pipelineTopics(FRAUD.definition, { prefix: MAINTENANCE.prefix }).map((t) => t.name).filter((t) => !['plant.scores', 'plant.dlq'].includes(t));
    const mentioned = JSON.stringify(objects);
    for (const topic of fraudTopics) expect(mentioned, topic).not.toContain(`"${topic}"`);
    const job = named(secure, 'FlinkDeployment', 'maintenance-features').spec.job;
    expect(job.entryClass).toBe('dev.example.maintenance.MachineFeatureJob');
    expect(job.args.slice(job.args.indexOf('--source-topics'), job.args.indexOf('--source-topics') + 2)).toEqual(['--source-topics', 'plant.machine-telemetry']);
    expect(job.args.slice(-4)).toEqual(['--window', '1h', '--max-out-of-orderness-ms', '30000']);
    const flinkTopics = (named(secure, 'KafkaUser', 'maintenance-flink').spec.authorization.acls as K8sObject[]).filter((a) => a.resource.type === 'topic').map((a) => `${a.operations[0]} ${a.resource.name}`);
    expect(flinkTopics.sort()).toEqual(['Read plant.machine-failures', 'Read plant.machine-telemetry', 'Write plant.machine-features', 'Write plant.maintenance.dlq', 'Write plant.maintenance.training-examples']);
  });

  it("passes a definition's argument of a platform name in place of the platform's, as flink deploy does", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-values-'));
    try {
      const entry = entryOf(MAINTENANCE, { topicPrefix: 'plant.' });
      const args = ['--dlq-topic', 'plant.quarantine', '--verbose', '--window', '1h'];
      const objects = await renderChart(helm, { valuesFiles: [await entriesFile(dir, [{ ...entry, featureJob: { ...entry.featureJob, args } }])] });
      const rendered = named(objects, 'FlinkDeployment', 'maintenance-features').spec.job.args as string[];
      const config = { kafka: { brokers: ['tributary-kafka-bootstrap.tributary.svc:9093'] }, schemaRegistry: { url: 'http://tributary-schema-registry.tributary.svc:8080/apis/ccompat/v7' }, topics: { prefix: 'plant.' } } as unknown as TributaryConfig;
      const job = { ...pipelineJarJob(MAINTENANCE.definition, dirname(MAINTENANCE.file)), args };
      const spec = featureJobSpec(config, job, { jobVersion: '0.1.0', piiKeyFile: '/opt/tributary/secrets/pii/key', kafkaClientPropertiesFile: '/opt/tributary/kafka/client.properties' });
      expect(rendered).toEqual(featureJobProgramArgs(spec));
      expect(rendered.slice(rendered.indexOf('--dlq-topic'), rendered.indexOf('--dlq-topic') + 2)).toEqual(['--dlq-topic', 'plant.quarantine']);
      expect(rendered.slice(-3)).toEqual(['--verbose', '--window', '1h']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('scales each scorer on its own consumer group of its features topic, never past its partitions', () => {
    const [listener] = named(secure, 'Kafka', 'tributary').spec.kafka.listeners;
    expect(listener.networkPolicyPeers, "KEDA's operator reaches Kafka for the lag").toContainEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } } });
    for (const { name, prefix, definition } of SECURE_PIPELINES) {
      const features = pipelineTopics(definition, { prefix }).find((t) => t.role === 'features')!;
      const scaled = named(secure, 'ScaledObject', `tributary-${name}-scorer`);
      expect(scaled.spec.scaleTargetRef).toEqual({ name: `tributary-${name}-scorer` });
      expect(scaled.spec.maxReplicaCount).toBeLessThanOrEqual(features.partitions);
      // A pipeline's model is named after it.
      expect(scaled.spec.triggers[0].metadata).toMatchObject({ consumerGroup: defaultScorerGroupId({ topics: { prefix } }, definition.name), topic: features.name });
      expect(named(secure, 'Deployment', `tributary-${name}-scorer`).spec.template.spec.containers[0].command).toEqual(expect.arrayContaining(['serve', '--model', definition.name]));
      const scorer = named(secure, 'Deployment', `tributary-${name}-scorer`);
      expect(scorer.spec.replicas, 'KEDA owns the replica count').toBeUndefined();
      const [container] = scorer.spec.template.spec.containers;
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    }
  });

  it("probes the worker's own /healthz and /readyz on the port its health address setting names", () => {
    for (const objects of [defaults, secure]) {
      for (const worker of ofKind(objects, 'Deployment').filter((d) => d.metadata.labels['app.kubernetes.io/component'] === 'worker')) {
        const [container] = worker.spec.template.spec.containers;
        const health = (container.ports as { name: string; containerPort: number }[]).find((p) => p.name === 'health');
        expect(health, `${worker.metadata.name} names a health port`).toBeDefined();
        const env = Object.fromEntries((container.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
        expect(env[SETTINGS.temporalWorkerHealthAddress.env]).toBe(`0.0.0.0:${health!.containerPort}`);
        expect(env[SETTINGS.temporalWorkerMetricsAddress.env]).not.toBe(env[SETTINGS.temporalWorkerHealthAddress.env]);
        expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
        expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
      }
    }
  });

  it("gives the worker the least rights on FlinkDeployments and nothing else", () => {
    expect(named(defaults, 'Role', 'tributary-worker').rules).toEqual([
      { apiGroups: ['flink.apache.org'], resources: ['flinkdeployments'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
      { apiGroups: ['flink.apache.org'], resources: ['flinkdeployments/status'], verbs: ['get'] },
    ]);
    expect(named(defaults, 'RoleBinding', 'tributary-worker').subjects).toEqual([{ kind: 'ServiceAccount', name: 'tributary-worker', namespace: 'tributary' }]);
    expect(named(defaults, 'Deployment', 'tributary-fraud-worker').spec.template.spec.serviceAccountName).toBe('tributary-worker');
  });
});

describe("the chart's rules refuse bad values with one line", () => {
  const renderWith = async (values: string): Promise<unknown> => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-values-'));
    try {
      const file = join(dir, 'values.yaml');
      await writeFile(file, values);
      return await renderChart(helm, { valuesFiles: [file] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  /** Renders these entries, as `tributary pipeline helm-values` prints them, with changes. */
  const renderIn = async (entries: readonly ChartPipelineValues[]): Promise<unknown> => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-values-'));
    try {
      return await renderChart(helm, { valuesFiles: [await entriesFile(dir, entries)] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('refuses a scorer scaled past the features partitions', async () => {
    const rendering = renderWith('pipelineDefaults:\n  scorer:\n    maxReplicas: 4\n');
    await expect(rendering).rejects.toBeInstanceOf(ChartRenderError);
    await expect(rendering).rejects.toThrow(
      'pipelines[0].scorer.maxReplicas 4: the features topic has 3 partitions, and replicas beyond that would sit idle in the consumer group',
    );
  });

  it('refuses a feature job name that cannot name a FlinkDeployment, and two feature jobs of one name', async () => {
    const fraud = entryOf(FRAUD, { name: 'a', topicPrefix: 'x.' });
    await expect(renderIn([{ ...fraud, featureJob: { ...fraud.featureJob, name: 'Fraud_Job' } }])).rejects.toThrow(
      'pipelines[0].featureJob.name "Fraud_Job": the feature job names its FlinkDeployment, so expected a DNS label of at most 40 characters (lower-case letters, digits, \'-\')',
    );
    const maintenance = entryOf(MAINTENANCE, { topicPrefix: 'y.' });
    await expect(renderIn([fraud, { ...maintenance, featureJob: { ...maintenance.featureJob, name: fraud.featureJob.name } }])).rejects.toThrow(
      'pipelines[1].featureJob.name "tributary-feature-job": another pipeline\'s feature job has this name (set it per pipeline, not in pipelineDefaults)',
    );
  });

  it('refuses two pipelines on one topic prefix', async () => {
    const rendering = renderIn([entryOf(FRAUD, { name: 'a', topicPrefix: 'x.' }), entryOf(MAINTENANCE, { topicPrefix: 'x.' })]);
    await expect(rendering).rejects.toThrow('pipelines[1].topicPrefix "x.": another pipeline uses it; each pipeline needs its own topics');
  });

  it('refuses an entry written by hand without topics or job, a prefix changed after printing, and a topic that cannot name its KafkaTopic', async () => {
    await expect(renderWith('pipelines:\n  - { name: a, topicPrefix: "x.", taskQueue: a, model: m }\n')).rejects.toThrow(
      'pipelines[0] "a": no topics, grants or feature job (entryClass, jarURI, topics); make the entry from the pipeline\'s definition with `tributary pipeline helm-values <definition>`',
    );
    await expect(renderIn([{ ...entryOf(MAINTENANCE, { topicPrefix: 'plant.' }), topicPrefix: 'factory.' }])).rejects.toThrow(
      'pipelines[0].topics[0].name "plant.machine-telemetry": not under the pipeline\'s topicPrefix "factory."; print the entry again with `tributary pipeline helm-values <definition> --topic-prefix factory.`',
    );
    const entry = entryOf(MAINTENANCE, { topicPrefix: 'plant.' });
    await expect(renderIn([{ ...entry, topics: [...entry.topics, { ...entry.topics[0]!, name: 'plant.Machine_Telemetry' }] }])).rejects.toThrow(
      'pipelines[0].topics[6].name "plant.Machine_Telemetry": its KafkaTopic would be maintenance-machine-telemetry, as another topic\'s of the pipeline (plant.machine-telemetry)',
    );
  });
});

describe('tributary chart verify', () => {
  /** The built CLI (npm test builds first), as a platform engineer runs it. */
  const verify = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const result = spawnSync(process.execPath, ['dist/cli/main.js', 'chart', 'verify', ...args], { encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it('says how many objects it validated, and exits 0, for values the chart accepts', () => {
    const result = verify('-f', SECURE_VALUES);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^${secure.length} objects rendered, each valid against the pinned schemas \\(k8s-`));
    expect(result.status).toBe(0);
  });

  it('prints one line per refused object and exits 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-values-'));
    try {
      const file = join(dir, 'values.yaml');
      await writeFile(file, 'kafka:\n  replicas: three\n');
      const result = verify('-f', file);
      expect(result.stderr).toBe('error: KafkaNodePool/tributary-dual-role /spec/replicas: must be integer\n');
      expect(result.status).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
