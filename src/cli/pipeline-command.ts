/**
 * `tributary pipeline …`: definition files, checked offline (`validate`), compared with the live
 * system (`plan`), carried out (`apply`), and the applied pipelines (`list`, `describe`, `delete`).
 * yaml, ajv, avsc, kafkajs and the Temporal SDK load inside the actions, so `--help` stays fast.
 */
import { Command } from 'commander';
import type { Admin } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import type { DeploymentRecordStore } from '../flink/deployment-record-store.js';
import type { FlinkRestClient } from '../flink/flink-rest-client.js';
import type { SqlJobEnvironment } from '../flink/sql-feature-job.js';
import type { SqlGatewayClient } from '../flink/sql-gateway-client.js';
import type { FeatureJobItem, FeatureJobPlanner, PipelinePlan } from '../pipeline-apply/pipeline-plan.js';
import type { WorkflowControl } from '../pipeline-apply/workflow-plan.js';
import type { PipelineRevision, PipelineStore, RevisionDraft } from '../pipelines/pipeline-store.js';
import type { SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import type { CliEnvironment } from './cli-environment.js';
import { defaultAuthor } from './default-author.js';
import { positiveInteger } from './option-parsers.js';
import { progressPrinter } from './output.js';
import { pipelineName } from './pipeline-name.js';
import { renderTable } from '../terminal/text-table.js';

/** Exit code of a definition with problems, or a change the registry refuses: the input is wrong, as for bad arguments. */
const EXIT_BAD_INPUT = 2;


const counted = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** The clients a command that looks at the live system works with. */
interface LiveSystem {
  readonly config: TributaryConfig;
  readonly admin: Admin;
  readonly schemaRegistry: SchemaRegistryClient;
  readonly store: PipelineStore;
  readonly deployments: DeploymentRecordStore;
}

/** Connects to Kafka, the schema registry and the pipeline store, runs `work`, and always disconnects. */
async function withLiveSystem<T>(config: TributaryConfig, work: (live: LiveSystem) => Promise<T>): Promise<T> {
  const [{ connectKafkaAdmin }, { createSchemaRegistryClient }, { KafkaPipelineStore }, { PipelineStoreError }, { FileDeploymentRecordStore }, { deploymentRecordsDir }] = await Promise.all([
    import('../streaming/kafka-admin.js'),
    import('../streaming/schema-registry-client.js'),
    import('../pipeline-store/kafka-pipeline-store.js'),
    import('../pipelines/errors.js'),
    import('../flink/deployment-record-store.js'),
    import('../flink/deployment-paths.js'),
  ]);
  const { kafka, admin } = await connectKafkaAdmin(config, 'pipeline', ({ action, reason, retriable, cause }) => new PipelineStoreError(action, reason, { retriable, cause }), {
    retries: 2,
    attempt: { operation: 'describe', topics: [`${config.topics.prefix}*`] },
  });
  try {
    const store = await KafkaPipelineStore.open({ kafka, admin, config });
    try {
      return await work({ config, admin, schemaRegistry: createSchemaRegistryClient(config.schemaRegistry), store, deployments: new FileDeploymentRecordStore(deploymentRecordsDir(config)) });
    } finally {
      await store.close();
    }
  } finally {
    await admin.disconnect();
  }
}

/** Connects to Temporal for the pipeline's trigger, drift monitor and schedule, runs `work`, and always disconnects. */
async function withWorkflowControl<T>(config: TributaryConfig, by: string, work: (workflows: WorkflowControl) => Promise<T>): Promise<T> {
  const [{ withClient }, { TemporalWorkflowControl }] = await Promise.all([import('./workflow-client.js'), import('../pipeline-apply/temporal-workflow-control.js')]);
  return withClient(config, (client) => work(new TemporalWorkflowControl({ client, taskQueue: config.temporal.taskQueue, by })));
}

/**
 * Deploys a jar feature job as `tributary flink deploy <job>` does by default (mode savepoint,
 * a deployment worker in this process until the deployment ends), built from the definition's
 * jar, main class, arguments, parallelism and checkpoint interval.
 */
async function deployJarFeatureJob(config: TributaryConfig, baseDir: string, draft: RevisionDraft, item: FeatureJobItem): Promise<string> {
  const { parallelism, checkpointing } = draft.definition.features;
  const [{ PipelineError }, { pipelineJarJob }, { FileDeploymentRecordStore }, { deploymentRecordsDir }, { currentFeaturesTopic, prepareFeatureJobDeployment }, client, worker, { Client, Connection }, { describePhase, renderDeployResult }] = await Promise.all([
    import('../pipelines/errors.js'),
    import('../flink/jar-feature-job.js'),
    import('../flink/deployment-record-store.js'),
    import('../flink/deployment-paths.js'),
    import('../flink/deployment-feature-job.js'),
    import('../worker/flink-deploy-client.js'),
    import('../worker/flink-deploy-worker.js'),
    import('@temporalio/client'),
    import('./flink-command.js'),
  ]);
  // A SQL pipeline's jobs are submitted by submitSqlFeatureJobs; pipelineJarJob refuses them.
  const job = pipelineJarJob(draft.definition, baseDir);
  const progress = progressPrinter();
  const record = await new FileDeploymentRecordStore(deploymentRecordsDir(config)).read(item.jobName);
  const spec = await prepareFeatureJobDeployment(config, job, {
    jobName: item.jobName,
    featuresTopic: currentFeaturesTopic(record),
    parallelism,
    // Without an interval of its own the job gets the feature job's default (featureJobFlinkConfiguration).
    flinkConfiguration: checkpointing?.interval === undefined ? undefined : { 'execution.checkpointing.interval': checkpointing.interval },
    progress,
  });
  const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 10_000 });
  try {
    const temporal = new Client({ connection, namespace: config.temporal.namespace });
    progress(`deployment worker in this process; its log: ${worker.logDeployWorkerToFile(config)}`);
    const result = await worker.withInProcessDeployWorker(config, async () => {
      const handle = await client.startDeployment(temporal, { spec, mode: 'savepoint', drain: false, savepointRetention: 5, health: { windowMs: 30_000 } }, { taskQueue: worker.flinkDeployTaskQueue(config), uiUrl: config.temporal.uiUrl });
      progress(`started ${client.deploymentWorkflowId(item.jobName)} (${spec.version})`);
      return client.followDeployment(handle, (status) => progress(describePhase(status)));
    });
    const rendered = renderDeployResult(result);
    if (result.outcome !== 'deployed') throw new PipelineError(`flinkDeploy ended ${result.outcome}:\n${rendered}`);
    return `feature job ${rendered}`;
  } finally {
    await connection.close();
  }
}

/**
 * On a broker with SASL (secure mode), grants each role its ACLs on the pipeline's topics before
 * apply creates them and starts its feature job, whose preflight checks them: ACLs on a literal
 * name need no topic, and granting an existing one again changes nothing. Returns the line to
 * print. A principal that may not create ACLs (only the broker's super user may) leaves them to
 * whoever administers the cluster, and the line says how; apply goes on.
 */
async function grantPipelineAccess(config: TributaryConfig, admin: Admin, draft: RevisionDraft): Promise<string | undefined> {
  if (config.kafka.sasl === undefined) return undefined;
  const [{ applySecureKafkaGrants, pipelineKafkaGrants }, { reasonOf }] = await Promise.all([import('../stack/secure-kafka-acls.js'), import('../errors/tributary-error.js')]);
  const grants = pipelineKafkaGrants(config, draft.definition);
  try {
    await applySecureKafkaGrants(admin, grants);
  } catch (error) {
    if (!/authoriz/i.test(`${(error as { type?: string }).type ?? ''} ${reasonOf(error)}`)) throw error;
    return `ACLs: not granted, ${config.kafka.sasl.username} may not create ACLs (${reasonOf(error)}); apply as the broker's admin user (TRIBUTARY_KAFKA_SASL_USERNAME=admin on the local secure stack) or grant them as your cluster does (the Helm chart's KafkaUsers)`;
  }
  return `ACLs: ${grants.length} grants on the topics of ${draft.name} for the scorer, the feature job, the producer and the worker (secure-kafka-acls.ts) are in place`;
}

/** What a SQL pipeline's jobs are checked and submitted with. */
interface SqlJobClients {
  readonly env: SqlJobEnvironment;
  readonly gateway: SqlGatewayClient;
  readonly flink: FlinkRestClient;
}

/**
 * The clients of the configured cluster and the environment its generated jobs load (the functions
 * jar built when missing or stale, the PII key file written), prepared on first use and once per
 * command: plan checks the jobs as apply would submit them.
 */
function sqlJobClientsOf(config: TributaryConfig): () => Promise<SqlJobClients> {
  let clients: Promise<SqlJobClients> | undefined;
  const prepare = async (): Promise<SqlJobClients> => {
    const [{ FlinkRestClient }, { SqlGatewayClient }, { prepareSqlJobEnvironment }] = await Promise.all([
      import('../flink/flink-rest-client.js'),
      import('../flink/sql-gateway-client.js'),
      import('../flink/sql-feature-job.js'),
    ]);
    return {
      env: await prepareSqlJobEnvironment(config, { progress: progressPrinter() }),
      gateway: new SqlGatewayClient({ baseUrl: config.flink.sqlGatewayUrl }),
      flink: new FlinkRestClient({ baseUrl: config.flink.restUrl }),
    };
  };
  return () => (clients ??= prepare());
}

/** Plans the feature jobs of a definition: a jar job from its deployment record, a SQL pipeline's two jobs on the gateway. */
function featureJobPlanner(baseDir: string, deployments: DeploymentRecordStore, sql: () => Promise<SqlJobClients>, discardState: boolean): FeatureJobPlanner {
  return async (draft, applied) => {
    if (draft.definition.features.job.kind === 'sql') {
      const { planSqlFeatureJobs } = await import('../pipeline-apply/sql-feature-job-plan.js');
      return planSqlFeatureJobs(draft, { ...(await sql()), discardState }, applied);
    }
    const { planFeatureJob } = await import('../pipeline-apply/feature-job-plan.js');
    return [await planFeatureJob(draft, baseDir, deployments)];
  };
}

/**
 * The feature-job step of a SQL pipeline: ensureSqlPipelineJobs registers the training-example
 * schema, submits each job that does not run and upgrades by savepoint each one the plan says
 * changed. Returns one line saying what became of each.
 */
async function submitSqlFeatureJobs(config: TributaryConfig, draft: RevisionDraft, items: readonly FeatureJobItem[], clients: SqlJobClients, registry: SchemaRegistryClient, discardState: boolean): Promise<string> {
  const { ensureSqlPipelineJobs } = await import('../flink/sql-feature-job-deploy.js');
  const upgrades = new Map(items.flatMap((item) => (item.action === 'upgrade' && item.previous ? [[item.jobName, item.previous] as const] : [])));
  const outcomes = await ensureSqlPipelineJobs({ config, definition: draft.definition, files: draft.files, registry, ...clients, upgrades, discardState });
  const said = { submitted: 'submitted through the SQL Gateway as job', running: 'already running, left as it is: job', upgraded: 'upgraded by savepoint; now job' };
  return outcomes
    .map(({ jobName, action, jobId, savepoint, restored }) =>
      `feature job ${jobName}: ${said[action]} ${jobId}${action === 'upgraded' ? ` (${restored === true ? 'restored from' : 'started WITHOUT the state of'} savepoint ${savepoint})` : ''}`)
    .join('; ');
}

/** Why apply would change nothing, one line per kind of refusal in the plan, each saying what to do. */
async function refusalLines(plan: PipelinePlan): Promise<string[]> {
  const { refusals } = await import('../pipeline-apply/pipeline-plan.js');
  const refused = refusals(plan);
  const schemas = refused.filter((item) => item.kind === 'subject').length;
  const jobs = refused.filter((item) => item.kind === 'feature-job').length;
  return [
    ...(schemas > 0 ? [`apply would change nothing: the registry refuses ${counted(schemas, 'schema')} (above); make the schema compatible, or write to a new topic`] : []),
    ...(jobs > 0 ? [`apply would change nothing: the SQL Gateway refuses ${counted(jobs, 'feature job')} (above); correct the query at the line named (or the definition), then plan again`] : []),
  ];
}

/**
 * A SQL pipeline's jobs as Flink reports them. They run where the SQL Gateway submits them, the
 * session cluster at flink.restUrl, whichever service deploys jar jobs (flink.service).
 */
async function describeSqlJobs(config: TributaryConfig, revision: PipelineRevision): Promise<string[]> {
  const [{ RestFlinkService }, { describeSqlFeatureJobs }] = await Promise.all([import('../flink/flink-service.js'), import('../pipeline-apply/sql-feature-job-status.js')]);
  const flink = new RestFlinkService({ baseUrl: config.flink.restUrl });
  return describeSqlFeatureJobs(revision.definition, flink, { flinkUrl: config.flink.restUrl, live: revision.deleted !== true, prefix: config.topics.prefix });
}

/** The registered versions of a pipeline's model, or why the registry cannot say: a description stands without them. */
async function describeModel(config: TributaryConfig, model: string): Promise<string> {
  const [{ RegistryError }, { openKafkaModelRegistry }] = await Promise.all([import('../registry/errors.js'), import('./models-command.js')]);
  let registry: Awaited<ReturnType<typeof openKafkaModelRegistry>>;
  try {
    registry = await openKafkaModelRegistry(config);
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    return `model ${model}: the model registry cannot be read: ${error.message}`;
  }
  try {
    const versions = (await registry.listModels()).includes(model) ? await registry.listVersions(model) : [];
    if (versions.length === 0) return `model ${model}: no version registered`;
    return `model ${model}:\n${renderTable(['VERSION', 'STAGE', 'CREATED', 'METRICS'], versions.map((version) => [
      String(version.version), version.stage, version.createdAt,
      Object.entries(version.metrics).map(([metric, value]) => `${metric} ${value.toFixed(4)}`).join(', '),
    ]))}`;
  } finally {
    await registry.close();
  }
}

/** `tributary pipeline validate | plan | apply | list | describe | delete`. */
export function pipelineCommand(cli: CliEnvironment): Command {
  const command = new Command('pipeline').description(
    'pipeline definitions: one YAML or JSON file per pipeline naming its sources, feature job, labels, model, gates, trigger, rollout, drift and serving (see docs/pipelines.md)',
  );
  const replicationOption = ['--replication-factor <count>', 'replicas of each partition of a topic apply creates (1 on the local single-broker stack)', positiveInteger, 1] as const;
  const discardStateOption = [
    '--discard-state',
    'start a SQL feature job whose statements changed WITHOUT its state (it resumes from its consumer group\'s committed offsets with empty windows, aggregates and joins), for a change Flink cannot restore from a savepoint',
  ] as const;

  /** Prints every problem of a definition that cannot be used and sets exit 2; rethrows anything else. */
  const reportDefinitionProblems = async (error: unknown): Promise<void> => {
    const { PipelineDefinitionError, formatProblem } = await import('../pipelines/errors.js');
    if (!(error instanceof PipelineDefinitionError)) throw error;
    for (const problem of error.problems) cli.fail(formatProblem(problem));
    cli.setExitCode(EXIT_BAD_INPUT);
  };

  /** The file as a revision draft, or undefined after its problems were printed. */
  const draftOf = async (file: string, by: string): Promise<{ draft: RevisionDraft; baseDir: string } | undefined> => {
    const [{ revisionDraftFromFile }, { dirname, resolve }] = await Promise.all([import('../pipelines/pipeline-revision.js'), import('node:path')]);
    try {
      return { draft: revisionDraftFromFile(file, { appliedBy: by, appliedAt: new Date().toISOString() }), baseDir: dirname(resolve(file)) };
    } catch (error) {
      await reportDefinitionProblems(error);
      return undefined;
    }
  };

  command
    .command('validate')
    .description(
      'check a definition offline, without connecting to anything: its structure against the JSON Schema, the files and Avro fields it names, ' +
        'encodings against field types, settings against the task; prints every problem on its own line with its line in the file, and exits 2 when there is one',
    )
    .argument('<file>', 'a pipeline definition (.yaml, .yml or .json)')
    .action(async (file: string) => {
      const { loadPipelineDefinition } = await import('../pipelines/validate-pipeline.js');
      try {
        const definition = loadPipelineDefinition(file);
        cli.print(`${file}: valid (${counted(definition.sources.length, 'source')}, ${counted(definition.model.inputs.length, 'input')}, task ${definition.model.task})`);
      } catch (error) {
        await reportDefinitionProblems(error);
      }
    });

  command
    .command('plan')
    .description(
      'validate a definition, then show what `pipeline apply` would change on the live system, one line per item: topics to create (or that exist with other settings), ' +
        'schema subjects with the registry\'s compatibility verdict (its reasons when it would refuse), the feature job (a SQL pipeline\'s query and label join checked on the SQL Gateway), ' +
        'the model\'s threshold trigger, drift monitor and retraining schedule to start, update (with the settings that changed), leave or stop, and the revision apply would record. ' +
        'Changes nothing on the cluster; exits 2 when the registry would refuse a schema or the gateway a query',
    )
    .argument('<file>', 'a pipeline definition (.yaml, .yml or .json)')
    .option(...replicationOption)
    .option(...discardStateOption)
    .action(async (file: string, options: { replicationFactor: number; discardState?: boolean }) => {
      const drafted = await draftOf(file, defaultAuthor());
      if (!drafted) return;
      const { draft, baseDir } = drafted;
      const { planPipeline, planChanges, renderPlan } = await import('../pipeline-apply/pipeline-plan.js');
      const config = cli.config();
      await withLiveSystem(config, (live) => withWorkflowControl(config, draft.appliedBy, async (workflows) => {
        const plan = await planPipeline(draft, {
          ...live,
          prefix: config.topics.prefix,
          replicationFactor: options.replicationFactor,
          featureJob: featureJobPlanner(baseDir, live.deployments, sqlJobClientsOf(config), options.discardState === true),
          workflows,
        });
        for (const line of renderPlan(plan)) cli.print(line);
        const refused = await refusalLines(plan);
        if (refused.length > 0) {
          for (const line of refused) cli.fail(line);
          cli.setExitCode(EXIT_BAD_INPUT);
        } else {
          cli.print(planChanges(plan) ? `${draft.name}: \`tributary pipeline apply ${file}\` carries this out` : `${draft.name}: nothing to change`);
        }
      }));
    });

  command
    .command('apply')
    .description(
      'carry a definition out on the live system: create its topics, register its schemas, deploy or upgrade a jar feature job through flinkDeploy (by savepoint) or submit a SQL pipeline\'s feature query and label join through the SQL Gateway unless they run, ' +
        'start, update or stop the model\'s threshold trigger, drift monitor and retraining schedule as the definition declares them (under the ids `tributary trigger|drift|schedule` use), ' +
        'and record a new revision when the definition changed. Applying the same file again changes nothing; after a failure part way, applying it again completes it. ' +
        'A schema the registry would refuse, or a query the gateway refuses, stops it before any change (exit 2)',
    )
    .argument('<file>', 'a pipeline definition (.yaml, .yml or .json)')
    .option('--by <who>', 'who applies, recorded with the revision (default: the OS user)')
    .option(...replicationOption)
    .option(...discardStateOption)
    .action(async (file: string, options: { by?: string; replicationFactor: number; discardState?: boolean }) => {
      const drafted = await draftOf(file, options.by ?? defaultAuthor());
      if (!drafted) return;
      const { draft, baseDir } = drafted;
      const [{ applyPipeline }, { ApplyRefusedError }] = await Promise.all([import('../pipeline-apply/pipeline-apply.js'), import('../pipeline-apply/errors.js')]);
      const config = cli.config();
      await withLiveSystem(config, (live) => withWorkflowControl(config, draft.appliedBy, async (workflows) => {
        const sql = sqlJobClientsOf(config);
        const granted = await grantPipelineAccess(config, live.admin, draft);
        if (granted !== undefined) progressPrinter()(granted);
        try {
          const outcome = await applyPipeline(draft, {
            ...live,
            prefix: config.topics.prefix,
            replicationFactor: options.replicationFactor,
            featureJob: featureJobPlanner(baseDir, live.deployments, sql, options.discardState === true),
            // A jar job's plan is its one item.
            deployFeatureJob: async (candidate, items) =>
              candidate.definition.features.job.kind === 'sql'
                ? submitSqlFeatureJobs(config, candidate, items, await sql(), live.schemaRegistry, options.discardState === true)
                : deployJarFeatureJob(config, baseDir, candidate, items[0]!),
            workflows,
            progress: (line) => cli.print(line),
          });
          const { revision } = outcome;
          cli.print(
            outcome.done.length === 0
              ? `${draft.name}: nothing to change; the live system is as defined (revision ${revision.revision}, digest ${revision.digest.slice(0, 12)}, applied by ${revision.appliedBy} at ${revision.appliedAt})`
              : `${draft.name}: applied (${counted(outcome.done.length, 'change')}; revision ${revision.revision})`,
          );
        } catch (error) {
          if (!(error instanceof ApplyRefusedError)) throw error;
          for (const line of error.message.split('\n')) cli.fail(line);
          cli.setExitCode(EXIT_BAD_INPUT);
        }
      }));
    });

  command
    .command('list')
    .description('list the applied pipelines that are not deleted: current revision, who applied it and when, its task and feature job')
    .action(async () => {
      await withLiveSystem(cli.config(), async ({ store }) => {
        const { featureJobName } = await import('../pipelines/pipeline-topics.js');
        const pipelines = await store.list();
        if (pipelines.length === 0) {
          cli.print('no pipeline is applied; `tributary pipeline apply <file>` applies one');
          return;
        }
        cli.print(renderTable(['NAME', 'REVISION', 'APPLIED BY', 'APPLIED AT', 'TASK', 'FEATURE JOB', 'DIGEST'], pipelines.map((revision) => [
          revision.name, String(revision.revision), revision.appliedBy, revision.appliedAt, revision.definition.model.task,
          `${featureJobName(revision.definition)} (${revision.definition.features.job.kind})`, revision.digest.slice(0, 12),
        ])));
      });
    });

  command
    .command('describe')
    .description('show a pipeline: every revision with who, when and digest, its topics on the cluster, its feature job (a jar job\'s deployment record; a SQL pipeline\'s query and label join as Flink reports them), and the registered versions of its model')
    .argument('<name>', 'the pipeline\'s name', pipelineName)
    .action(async (name: string) => {
      const config = cli.config();
      await withLiveSystem(config, async ({ store, admin, deployments }) => {
        const [{ PipelineNotFoundError }, { featureJobName, pipelineTopics }, { inspectTopics }] = await Promise.all([
          import('../pipelines/errors.js'),
          import('../pipelines/pipeline-topics.js'),
          import('../streaming/topic-admin.js'),
        ]);
        const history = await store.history(name);
        const latest = history.at(-1);
        if (!latest) throw new PipelineNotFoundError(name, (await store.list()).map((revision) => revision.name));
        cli.print(`${name}${latest.deleted ? ' (deleted)' : ''}: ${latest.definition.description ?? 'no description'}; owner ${latest.definition.owner}`);
        cli.print('');
        cli.print(renderTable(['REVISION', 'APPLIED BY', 'APPLIED AT', 'DIGEST', ''], history.map((revision) => [
          String(revision.revision), revision.appliedBy, revision.appliedAt, revision.digest.slice(0, 12), revision.deleted ? 'deleted' : '',
        ])));
        cli.print('');
        const reports = await inspectTopics(admin, pipelineTopics(latest.definition, { prefix: config.topics.prefix }));
        cli.print(renderTable(['TOPIC', 'ROLE', 'STATE'], reports.map(({ topic, state, differences }) => [
          topic.name, topic.role, state === 'drift' ? `other settings (${differences.map((difference) => difference.setting).join(', ')})` : state,
        ])));
        cli.print('');
        if (latest.definition.features.job.kind === 'sql') {
          for (const line of await describeSqlJobs(config, latest)) cli.print(line);
        } else {
          const jobName = featureJobName(latest.definition);
          const { current, events } = await deployments.read(jobName);
          const lastEvent = events.at(-1);
          cli.print(
            `feature job ${jobName} (jar): ` +
              (current ? `${current.spec.version} runs as job ${current.jobId} since ${new Date(current.since).toISOString()}` : 'no deployment recorded') +
              (lastEvent ? `; last deployment ${lastEvent.outcome} at ${new Date(lastEvent.at).toISOString()}` : ''),
          );
        }
        cli.print(await describeModel(config, name));
      });
    });

  command
    .command('delete')
    .description(
      'mark a pipeline deleted: a tombstone revision ends it and keeps its history (`pipeline describe` shows it; applying its file again brings it back as a new revision). ' +
        'Its trigger, drift monitor and schedule are stopped (applying the file again starts them, carrying their state); its topics, schemas, feature job and models are left as they are; --purge also deletes its topics, after saying what is lost, and only with --yes',
    )
    .argument('<name>', 'the pipeline\'s name', pipelineName)
    .option('--purge', 'also delete the pipeline\'s topics and every record in them')
    .option('--yes', 'confirm --purge')
    .option('--by <who>', 'who deletes, recorded with the tombstone revision (default: the OS user)')
    .action(async (name: string, options: { purge?: boolean; yes?: boolean; by?: string }) => {
      const config = cli.config();
      await withLiveSystem(config, async ({ store, admin }) => {
        const [{ PipelineNotFoundError }, { pipelineTopics }] = await Promise.all([import('../pipelines/errors.js'), import('../pipelines/pipeline-topics.js')]);
        const current = await store.current(name);
        // A purge that stopped part way is completed on the deleted pipeline's last revision.
        const latest = current ?? (options.purge ? (await store.history(name)).at(-1) : undefined);
        if (!latest) throw new PipelineNotFoundError(name, (await store.list()).map((revision) => revision.name));
        const existing = new Set(await admin.listTopics());
        const topics = pipelineTopics(latest.definition, { prefix: config.topics.prefix }).filter((topic) => existing.has(topic.name));
        if (options.purge && !options.yes) {
          cli.fail(
            `--purge deletes ${topics.length === 0 ? 'no topic (none of them exists)' : `${counted(topics.length, 'topic')} with every record in them, for good: ${topics.map((topic) => topic.name).join(', ')}`}; ` +
              `nothing was changed. Run \`tributary pipeline delete ${name} --purge --yes\` to go ahead, or without --purge to keep the topics`,
          );
          cli.setExitCode(EXIT_BAD_INPUT);
          return;
        }
        if (current) {
          const by = options.by ?? defaultAuthor();
          // Its trigger, drift monitor and schedule stop first: a stop that fails leaves the pipeline applied, and deleting again completes it.
          const stopped = await withWorkflowControl(config, by, async (control) => {
            const { applyWorkflow, planWorkflowsOfDeleted } = await import('../pipeline-apply/workflow-plan.js');
            const lines: string[] = [];
            for (const item of await planWorkflowsOfDeleted(current.definition, control)) lines.push(await applyWorkflow(item, control));
            return lines;
          });
          const tombstone = await store.markDeleted(name, { appliedBy: by, appliedAt: new Date().toISOString() });
          cli.print(`${name}: deleted as revision ${tombstone.revision}; its history is kept (\`tributary pipeline describe ${name}\`)`);
          for (const line of stopped) cli.print(`  ${line}`);
        }
        if (!options.purge) {
          cli.print(`  left as they are: its topics, schema subjects, feature job and models; \`tributary pipeline delete ${name} --purge\` also deletes the topics`);
          return;
        }
        if (topics.length > 0) await admin.deleteTopics({ topics: topics.map((topic) => topic.name) });
        cli.print(`  topics deleted: ${topics.length === 0 ? 'none existed' : topics.map((topic) => topic.name).join(', ')}`);
      });
    });

  return command;
}
