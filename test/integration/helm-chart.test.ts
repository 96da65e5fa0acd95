/**
 * The Helm chart (deploy/helm/tributary), rendered by the pinned helm with the default values
 * and with a secure, two-pipeline values file, and every rendered object validated against
 * the pinned Kubernetes OpenAPI document and the Strimzi, Flink operator, KEDA and Prometheus
 * Operator CRDs (src/chart). No cluster runs here: this is what can be checked without one.
 * The tables the chart shares with the code (topics, ACLs, settings, feature job arguments)
 * are compared with the code's own, so the two cannot drift apart.
 *
 * The first run installs helm and the schema set into the cache (several minutes: helm is
 * built with go install); later runs find them there.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderChart } from '../../src/chart/chart-renderer.js';
import { ChartRenderError, SchemaSetError } from '../../src/chart/errors.js';
import { chartToolchain } from '../../src/chart/chart-verification.js';
import { formatProblem, ManifestValidator } from '../../src/chart/manifest-validator.js';
import { schemaDir } from '../../src/chart/schema-installation.js';
import { SCHEMA_FILE_SHA256 } from '../../src/chart/chart-versions.js';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { SETTINGS, type Setting } from '../../src/config/settings.js';
import { pipelinesTopicSpec } from '../../src/pipeline-store/kafka-pipeline-store.js';
import { defaultFeatureJobName } from '../../src/pipelines/pipeline-topics.js';
import { FEATURE_JOB_LATENCY_SETTINGS, featureJobFlinkConfiguration, featureJobProgramArgs, featureJobSpec } from '../../src/flink/job-spec.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';
import { fraudDefinition } from '../helpers/fraud-pipeline.js';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import type { StackContext } from '../../src/stack/component.js';
import { secureKafkaGrants } from '../../src/stack/secure-kafka-acls.js';
import { createStackContext } from '../../src/stack/stack-context.js';
import { topicCatalogue } from '../../src/streaming/topic-catalogue.js';

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

/** The pipelines of the secure values file: name, topic prefix and model. */
const SECURE_PIPELINES = [
  { name: 'cards', prefix: 'cards.', model: 'card-risk' },
  { name: 'loans', prefix: 'loans.', model: 'loan-default' },
];

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
    expect(ofKind(secure, 'FlinkDeployment').map((o) => o.metadata.name).sort()).toEqual([defaultFeatureJobName('cards'), defaultFeatureJobName('loans')]);
  });

  it('refuses a broken object with a message naming it, the path and the fault', () => {
    const deployment = structuredClone(named(secure, 'Deployment', 'tributary-cards-scorer'));
    deployment.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    deployment.spec.replicas = 'two';
    expect(validator.validate(deployment).map(formatProblem)).toEqual([
      'Deployment/tributary-cards-scorer /spec/replicas: must be integer',
      'Deployment/tributary-cards-scorer /spec/template/spec/containers/0: unknown field "imagePullPolcy"',
    ]);
    const flink = structuredClone(named(secure, 'FlinkDeployment', 'cards-features'));
    flink.spec.job.upgradeMode = 'last-sate';
    expect(validator.validate(flink).map(formatProblem)).toEqual([
      'FlinkDeployment/cards-features /spec/job/upgradeMode: must be equal to one of the allowed values: "last-state", "savepoint", "stateless"',
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
  it('creates every catalogue topic of every pipeline and its pipeline store\'s topic, with their partitions and configs', () => {
    const topics = ofKind(secure, 'KafkaTopic');
    for (const { name, prefix } of SECURE_PIPELINES) {
      const rendered = topics.filter((t) => t.metadata.labels['tributary.dev/pipeline'] === name);
      // The chart gives every topic min.insync.replicas from its replication factor; the store's first write would create it without.
      const store = pipelinesTopicSpec({ topics: { prefix } }, 3);
      const expected = [...topicCatalogue({ topics: { prefix } }, { replicationFactor: 3 }), { ...store, configs: { ...store.configs, 'min.insync.replicas': '2' } }];
      expect(rendered.map((t) => ({ name: t.spec.topicName, partitions: t.spec.partitions, replicas: t.spec.replicas, configs: t.spec.config })).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
        expected.map((t) => ({ name: t.name, partitions: t.partitions, replicas: t.replicationFactor, configs: t.configs })).sort((a, b) => a.name.localeCompare(b.name)),
      );
      for (const topic of rendered) expect(topic.metadata.labels['strimzi.io/cluster']).toBe('tributary');
    }
  });

  it('gives each principal of each pipeline exactly the ACLs stack up --secure grants, with SCRAM-SHA-512', () => {
    const strimziType = { TOPIC: 'topic', GROUP: 'group', TRANSACTIONAL_ID: 'transactionalId' } as const;
    const strimziOperation = { READ: 'Read', WRITE: 'Write', DESCRIBE: 'Describe' } as const;
    for (const { name, prefix } of SECURE_PIPELINES) {
      // Each pipeline of the chart runs the fraud example's job on its topics.
      const grants = secureKafkaGrants({ topics: { prefix } }, [fraudDefinition]);
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
          .map((g) => ({ type: strimziType[g.resource], name: g.name, pattern: g.pattern === 'PREFIXED' ? 'prefix' : 'literal', operations: [strimziOperation[g.operation]], host: '*' }));
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
        expect(config.topics.prefix).toBe(`${pipeline}.`);
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

  it('runs the feature job with the arguments tributary flink deploy gives it, savepoint upgrades and its state in the object store', () => {
    for (const { name, prefix } of SECURE_PIPELINES) {
      const jobName = defaultFeatureJobName(name);
      const deployment = named(secure, 'FlinkDeployment', jobName);
      const config = {
        kafka: { brokers: ['tributary-kafka-bootstrap.tributary.svc:9093'] },
        schemaRegistry: { url: 'http://tributary-schema-registry.tributary.svc:8080/apis/ccompat/v7' },
        topics: { prefix },
      } as unknown as TributaryConfig;
      const spec = featureJobSpec(config, fraudJarJob, {
        jobName,
        jobVersion: '0.1.0',
        piiKeyFile: '/opt/tributary/secrets/pii/key',
        kafkaClientPropertiesFile: '/opt/tributary/kafka/client.properties',
      });
      expect(deployment.spec.job).toMatchObject({ entryClass: fraudJarJob.mainClass, upgradeMode: 'savepoint', state: 'running', args: featureJobProgramArgs(spec) });
      expect(deployment.spec.flinkConfiguration).toMatchObject({
        // The latency settings every submission of tributary's carries (the fixture sets its own interval for one pipeline).
        ...FEATURE_JOB_LATENCY_SETTINGS,
        'execution.checkpointing.dir': `s3://tributary-state/prod/checkpoints/${jobName}`,
        'execution.checkpointing.savepoint-dir': `s3://tributary-state/prod/savepoints/${jobName}`,
      });
    }
    const local = named(defaults, 'FlinkDeployment', 'main-features');
    expect(local.spec.flinkConfiguration).toMatchObject(featureJobFlinkConfiguration());
    expect(local.spec.flinkConfiguration['execution.checkpointing.savepoint-dir']).toBe('file:///flink-data/savepoints/main-features');
    expect(local.spec.podTemplate.spec.volumes).toContainEqual({ name: 'state', persistentVolumeClaim: { claimName: 'main-features-state' } });
    const stateClaim = named(defaults, 'PersistentVolumeClaim', 'main-features-state');
    expect(stateClaim.spec.accessModes).toEqual(['ReadWriteMany']);
    // The claim holds the job's only savepoints: an uninstall must not delete it with the release.
    expect(stateClaim.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
  });

  it('names a feature job as its definition does: featureJob.name (the definition\'s features.job.name) when set, and lets its pods reach Kafka and the registry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-values-'));
    try {
      const file = join(dir, 'values.yaml');
      await writeFile(file, 'pipelines:\n  - { name: main, topicPrefix: "tributary.", taskQueue: tributary, model: fraud, featureJob: { name: tributary-feature-job } }\n');
      const objects = await renderChart(helm, { valuesFiles: [file] });
      expect(ofKind(objects, 'FlinkDeployment').map((o) => o.metadata.name)).toEqual(['tributary-feature-job']);
      expect(named(objects, 'Kafka', 'tributary').spec.kafka.listeners[0].networkPolicyPeers).toContainEqual({ podSelector: { matchLabels: { app: 'tributary-feature-job' } } });
      expect(named(objects, 'NetworkPolicy', 'tributary-schema-registry').spec.ingress[0].from).toContainEqual({ podSelector: { matchLabels: { app: 'tributary-feature-job' } } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('scales each scorer on its own consumer group, never past the features partitions', () => {
    const features = topicCatalogue({ topics: { prefix: '' } }).find((t) => t.logical === 'features')!;
    const [listener] = named(secure, 'Kafka', 'tributary').spec.kafka.listeners;
    expect(listener.networkPolicyPeers, "KEDA's operator reaches Kafka for the lag").toContainEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } } });
    for (const { name, prefix, model } of SECURE_PIPELINES) {
      const scaled = named(secure, 'ScaledObject', `tributary-${name}-scorer`);
      expect(scaled.spec.scaleTargetRef).toEqual({ name: `tributary-${name}-scorer` });
      expect(scaled.spec.maxReplicaCount).toBeLessThanOrEqual(features.partitions);
      expect(scaled.spec.triggers[0].metadata).toMatchObject({ consumerGroup: defaultScorerGroupId({ topics: { prefix } }, model), topic: `${prefix}features` });
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
    expect(named(defaults, 'Deployment', 'tributary-main-worker').spec.template.spec.serviceAccountName).toBe('tributary-worker');
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

  it('refuses a scorer scaled past the features partitions', async () => {
    const rendering = renderWith('pipelineDefaults:\n  scorer:\n    maxReplicas: 4\n');
    await expect(rendering).rejects.toBeInstanceOf(ChartRenderError);
    await expect(rendering).rejects.toThrow(
      'pipelines[0].scorer.maxReplicas 4: the features topic has 3 partitions, and replicas beyond that would sit idle in the consumer group',
    );
  });

  it('refuses a feature job name that cannot name a FlinkDeployment, and two feature jobs of one name', async () => {
    await expect(renderWith('pipelines:\n  - { name: a, topicPrefix: "x.", taskQueue: a, model: m, featureJob: { name: Fraud_Job } }\n')).rejects.toThrow(
      'pipelines[0].featureJob.name "Fraud_Job": the feature job names its FlinkDeployment, so expected a DNS label of at most 40 characters (lower-case letters, digits, \'-\')',
    );
    await expect(renderWith('pipelineDefaults:\n  featureJob:\n    name: shared\npipelines:\n  - { name: a, topicPrefix: "x.", taskQueue: a, model: m }\n  - { name: b, topicPrefix: "y.", taskQueue: b, model: m }\n')).rejects.toThrow(
      'pipelines[1].featureJob.name "shared": another pipeline\'s feature job has this name (set it per pipeline, not in pipelineDefaults)',
    );
  });

  it('refuses two pipelines on one topic prefix', async () => {
    const rendering = renderWith('pipelines:\n  - { name: a, topicPrefix: "x.", taskQueue: a, model: m }\n  - { name: b, topicPrefix: "x.", taskQueue: b, model: m }\n');
    await expect(rendering).rejects.toThrow('pipelines[1].topicPrefix "x.": another pipeline uses it; each pipeline needs its own topics');
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
