/**
 * The pipeline definition: what a user writes (YAML or JSON) to bring a stream to Tributary, as
 * TypeScript types for those who define pipelines in code.
 *
 * These types and `pipeline.schema.json` beside them are both maintained by hand;
 * `test/unit/pipeline-schema.test.ts` keeps them in step: definitions typed with these types that
 * set every field the schema declares must pass the schema (which refuses unknown fields), and the
 * schema's defaults are compared with the code that applies them today. Why not TypeBox, which
 * derives one from the other: the JSON Schema is the contract editors and users read (completion,
 * hover text, `default`), so it is kept as a plain file with descriptions and `x-expected` phrases
 * for messages rather than the output of a builder; and the types stay free of a runtime
 * dependency, so workflow code can import them.
 *
 * Names of fields refer to the Avro schemas of the topics; times are durations written as
 * `500ms`, `30s`, `10m`, `2h` or `7d`.
 */

/** A duration: a whole number followed by `ms`, `s`, `m`, `h` or `d`, e.g. `10m`. */
export type Duration = string;

/** The root of a definition file. */
export interface PipelineDefinition {
  /** The JSON Schema a JSON definition follows, for editors; YAML files name it in a `yaml-language-server` comment instead. @default none */
  readonly $schema?: string;
  /**
   * The pipeline's name, also the name of its model in the registry: lowercase letters, digits,
   * `.`, `_` and `-`, starting with a letter or digit.
   */
  readonly name: string;
  readonly description?: string;
  /** Who answers for it: a team or a person, e.g. `risk-ml@example.com`. */
  readonly owner: string;
  /** The topics the events arrive on. At least one. */
  readonly sources: readonly SourceDefinition[];
  readonly features: FeaturesDefinition;
  readonly labels: LabelsDefinition;
  readonly model: ModelDefinition;
  /** What a candidate must reach; the gates of `model.task` only. @default {} (the task's defaults) */
  readonly gates?: GatesDefinition;
  /** Train when enough new labelled examples have arrived. @default none: no threshold trigger */
  readonly trigger?: TriggerDefinition;
  /** Retrain on a calendar. @default none: no schedule */
  readonly schedule?: ScheduleDefinition;
  /** How a challenger reaches traffic. @default { plan: 'standard' } */
  readonly rollout?: RolloutDefinition;
  /** Watch live features and scores for drift and retrain on it. @default none: no drift monitor */
  readonly drift?: DriftDefinition;
  /** How the scorer consumes and writes. @default {} (exactly once, chunks of 500) */
  readonly serving?: ServingDefinition;
  /** The names of the topics the platform provides for the pipeline. @default {} (each named after the pipeline) */
  readonly topics?: PlatformTopicsDefinition;
}

/** Topics Tributary creates and writes for a pipeline, named without the configured topic prefix. */
export interface PlatformTopicsDefinition {
  /** Features joined with their labels; what training reads. @default `<name>.training-examples` */
  readonly trainingExamples?: string;
  /** Every scored event with the model version and variant that scored it. @default `<name>.scores` */
  readonly scores?: string;
  /** Records a component could not process, with the reason. @default `<name>.dlq` */
  readonly dlq?: string;
}

// ---------------------------------------------------------------------------------------------
// Sources

/** A topic of raw events with its Avro value schema. */
export interface SourceDefinition {
  /** Kafka topic name, without the configured topic prefix (which is put in front of it). */
  readonly topic: string;
  /** The `.avsc` file of the topic's values, relative to the definition file. */
  readonly schema: string;
  /** The field that identifies the entity (customer, machine, order) the events are about. */
  readonly entityKey: string;
  /** The field holding when the event happened: a `long` (epoch ms, or a timestamp logical type). */
  readonly eventTime: string;
  /**
   * Fields that are personal data: they are replaced by a keyed hash before anything downstream
   * sees them, so none may appear under its own name in the features schema. @default []
   */
  readonly pii?: readonly string[];
  /**
   * How far behind the latest event time an event may arrive and still count: a Flink SQL feature
   * job's watermark on this source trails the largest event time by this much. @default '5s'
   */
  readonly maxOutOfOrderness?: Duration;
}

// ---------------------------------------------------------------------------------------------
// Features

/** The features topic and the Flink job that writes it. */
export interface FeaturesDefinition {
  /** Kafka topic name, without the configured topic prefix. */
  readonly topic: string;
  /** The `.avsc` file of the features topic, relative to the definition file. */
  readonly schema: string;
  /** The features field that identifies the entity: A/B routing hashes it, scores carry it. */
  readonly entityKey: string;
  /** The features field that identifies the event; scores carry it, labels join on it or on `labels.joinKey`. */
  readonly eventId: string;
  /** The features field with the event's time; the train/validation/test split cuts on it. */
  readonly eventTime: string;
  readonly job: FeatureJobDefinition;
  /** Parallel instances of each operator. @default the cluster's `parallelism.default` */
  readonly parallelism?: number;
  /** @default { interval: '500ms', mode: 'exactly-once' } */
  readonly checkpointing?: CheckpointingDefinition;
}

/** The feature job: Flink SQL statements or a jar. */
export type FeatureJobDefinition = SqlFeatureJob | JarFeatureJob;

/** Flink SQL statements in a file, submitted through the SQL Gateway. */
export interface SqlFeatureJob {
  readonly kind: 'sql';
  /** The `.sql` file, relative to the definition file. */
  readonly file: string;
}

/** A Flink job packaged as a jar, uploaded and run through the Flink REST API. */
export interface JarFeatureJob {
  readonly kind: 'jar';
  /** The job's name on the Flink cluster and in its deployment records. @default `<name>-features` */
  readonly name?: string;
  /** The jar, relative to the definition file; it may not exist yet when `build` makes it. */
  readonly jar: string;
  /** The class with the job's `main`, e.g. `dev.tributary.flink.features.FeatureJob`. */
  readonly mainClass: string;
  /** Program arguments, after those Tributary passes itself (topics, brokers, registry). @default [] */
  readonly args?: readonly string[];
  /** How the jar is built when it is missing or older than its inputs. @default none: the jar must exist */
  readonly build?: JarBuildDefinition;
}

/** A Maven module that packages the jar with `mvn package`. */
export interface JarBuildDefinition {
  /** The folder holding `pom.xml`, relative to the definition file. */
  readonly maven: string;
  /** Files or folders outside the module whose change makes the jar stale, relative to the definition file. @default [] */
  readonly inputs?: readonly string[];
}

/**
 * The feature job's checkpoint interval when the definition names none. Its exactly-once Kafka
 * sinks make output visible when a checkpoint completes, so features wait half an interval on
 * average; 500 ms was chosen by measurement (`npm run bench -- latency`, docs/measured.md): 10 s
 * put 5–10 s into every score, 200 ms took no less time under load, since checkpoints then ran
 * back to back.
 */
export const DEFAULT_CHECKPOINT_INTERVAL = '500ms';

export interface CheckpointingDefinition {
  /** Time between two checkpoints; transactional sinks commit on them, so it bounds end-to-end latency. @default {@link DEFAULT_CHECKPOINT_INTERVAL} (500ms) */
  readonly interval?: Duration;
  /** @default 'exactly-once' */
  readonly mode?: 'exactly-once' | 'at-least-once';
}

// ---------------------------------------------------------------------------------------------
// Labels

/** The topic of outcomes, joined with the features into training examples. */
export interface LabelsDefinition {
  /** Kafka topic name, without the configured topic prefix. */
  readonly topic: string;
  /** The `.avsc` file of the labels topic, relative to the definition file. */
  readonly schema: string;
  /** The field the labels are joined on; a field of both the labels and the features schema. */
  readonly joinKey: string;
  /** The outcome: a boolean (or int 0/1) for binary classification, a number for regression. */
  readonly field: string;
  /** The labels field holding when the outcome became known: a `long` (epoch ms, or a timestamp logical type). */
  readonly eventTime: string;
  /** How long after the event its label may arrive and still make a training example. @default '7d' */
  readonly horizon?: Duration;
}

// ---------------------------------------------------------------------------------------------
// Model

export type ModelTask = 'binary-classification' | 'regression';

export interface ModelDefinition {
  readonly task: ModelTask;
  /** The features the model reads, each with its encoding; the vectoriser lays them out in this order. At least one. */
  readonly inputs: readonly ModelInput[];
  /** @default { kind: 'mlp', hiddenUnits: [32, 16], dropout: 0.1 } */
  readonly architecture?: ArchitectureDefinition;
  /** @default {} (every default below) */
  readonly training?: TrainingDefinition;
  /** Where a classifier's threshold is set; classifiers only. @default { targetRecall: 0.8 } for classifiers */
  readonly decision?: DecisionPolicy;
  /** Shares of the examples, oldest to newest by `features.eventTime`; they add up to 1. @default { train: 0.7, validation: 0.15, test: 0.15 } */
  readonly split?: SplitDefinition;
  /** Which trainer trains the model. @default { kind: 'built-in' } */
  readonly trainer?: TrainerDefinition;
  /**
   * The runtime that serves a network the built-in trainer trains: `onnx` exports it to ONNX at
   * registration, used only once it scores the held-out examples as the network does (otherwise
   * TensorFlow.js, with the reason in the version's tags); `tfjs` keeps TensorFlow.js. ONNX
   * Runtime scores the same network 5–26 times faster (docs/onnx.md). @default 'onnx'
   */
  readonly serveAs?: ModelServingRuntime;
}

/** The runtimes a pipeline may serve its trained network with (`model.serveAs`). */
export type ModelServingRuntime = 'onnx' | 'tfjs';

/** `model.serveAs` when the definition names none: chosen by measurement, docs/onnx.md. */
export const DEFAULT_SERVE_AS: ModelServingRuntime = 'onnx';

/**
 * Which trainer trains the model: Tributary's own network, or a worker in another language on a
 * Temporal task queue that returns an ONNX model (docs/python-trainer.md has its contract).
 */
export type TrainerDefinition = BuiltInTrainerDefinition | PythonTrainerDefinition;

/** The TensorFlow.js network of `model.architecture`, trained by Tributary's own training workers. */
export interface BuiltInTrainerDefinition {
  readonly kind: 'built-in';
}

/** An activity on `taskQueue`, run by a Python worker (python/trainer), that trains and returns an ONNX model. */
export interface PythonTrainerDefinition {
  readonly kind: 'python';
  /** The task queue the trainer's workers poll. */
  readonly taskQueue: string;
  /** Longest one attempt may take (its start-to-close timeout), e.g. `10m`. */
  readonly timeout: string;
  /** Longest the trainer may go without a heartbeat before its attempt fails. @default '1m' */
  readonly heartbeatTimeout?: string;
  /** Attempts before the run fails; a non-retryable error from the trainer fails it at once. @default 1 */
  readonly attempts?: number;
  /** Passed to the trainer as written, e.g. its estimator's hyper-parameters. @default {} */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** A feature field and how it becomes model columns. */
export type ModelInput =
  | NumericInput
  | Log1pInput
  | ClippedInput
  | FlagInput
  | OneHotInput
  | HashedInput
  | CyclicInput
  | MissingIndicatorInput;

/** What every input says about its field. */
interface InputBase {
  /** A field of the features schema. */
  readonly field: string;
}

/**
 * Options of encodings that read a value, for a nullable field (an Avro union with `null`):
 * `fillNull` is required there and refused elsewhere.
 */
interface NullHandling<Fill> {
  /** The value used for a null, in the field's own units, before encoding. @default none: required for a nullable field */
  readonly fillNull?: Fill;
  /** Also add a column that is 1 when the field is null, so the model can tell a filled value from a real one. Nullable fields only. @default true for a nullable field */
  readonly missingIndicator?: boolean;
}

/**
 * A number (`int`, `long`, `float`, `double`): `raw` is the value itself; `standardised` is
 * (x − mean) / std, with mean and std fitted on the training split.
 */
export interface NumericInput extends InputBase, NullHandling<number> {
  readonly encoding: 'raw' | 'standardised';
}

/** A heavy-tailed number as sign(x)·ln(1 + |x|), then standardised unless `standardise` is false. */
export interface Log1pInput extends InputBase, NullHandling<number> {
  readonly encoding: 'log1p';
  /** @default true */
  readonly standardise?: boolean;
}

/** A number clipped to [min, max], then standardised unless `standardise` is false. */
export interface ClippedInput extends InputBase, NullHandling<number> {
  readonly encoding: 'clipped';
  readonly min: number;
  /** Above `min`. */
  readonly max: number;
  /** @default true */
  readonly standardise?: boolean;
}

/** A `boolean` as one column, 0 or 1. */
export interface FlagInput extends InputBase, NullHandling<boolean> {
  readonly encoding: 'flag';
}

/**
 * A category (`string`, `enum`, `int`, `long`) as one column per value of a vocabulary learned
 * from the training split, plus one out-of-vocabulary column for any other value (and null).
 */
export interface OneHotInput extends InputBase {
  readonly encoding: 'one-hot';
  /** The vocabulary keeps at most this many values, the most frequent first. @default 100 */
  readonly maxCategories?: number;
  /** Values seen fewer times than this in training go to the out-of-vocabulary column. @default 1 */
  readonly minCount?: number;
}

/** A category (`string`, `enum`, `int`, `long`) hashed into a fixed number of columns; no vocabulary to learn, and null hashes like one more value. */
export interface HashedInput extends InputBase {
  readonly encoding: 'hashed';
  /** Columns; distinct values share one when their hashes collide. */
  readonly buckets: number;
}

/**
 * A position in a cycle as its sine and cosine, so 23:00 and 00:00 are neighbours. The field is an
 * `int`/`long` holding the hour (0–23) or the ISO day of the week (1–7), or a timestamp (`long`
 * with a timestamp logical type) whose UTC hour or day is taken.
 */
export interface CyclicInput extends InputBase, NullHandling<number> {
  readonly encoding: 'cyclic';
  readonly period: 'hour-of-day' | 'day-of-week';
}

/** Only whether a nullable field is null: one column, 1 for null. */
export interface MissingIndicatorInput extends InputBase {
  readonly encoding: 'missing-indicator';
}

export type InputEncoding = ModelInput['encoding'];

/** A multilayer perceptron; `hiddenUnits: []` is logistic (or linear) regression. */
export interface ArchitectureDefinition {
  readonly kind: 'mlp';
  /** Units of each hidden layer (ReLU), input side first. @default [32, 16] */
  readonly hiddenUnits?: readonly number[];
  /** Share of hidden activations dropped in each training step, in [0, 1). @default 0.1 */
  readonly dropout?: number;
}

export interface TrainingDefinition {
  /** Adam learning rate. @default 0.001 */
  readonly learningRate?: number;
  /** Examples per gradient step. @default 256 */
  readonly batchSize?: number;
  /** @default 50 */
  readonly maxEpochs?: number;
  /** Epochs without improvement of the validation loss after which training stops. @default 5 */
  readonly patience?: number;
  /** Smallest drop of the validation loss that counts as an improvement. @default 0.0001 */
  readonly minDelta?: number;
  /** How much each class counts in the loss; classifiers only. @default 'balanced' */
  readonly classWeight?: 'balanced' | 'none' | { readonly negative: number; readonly positive: number };
  /** Seeds initial weights, batch order and dropout. @default 42 */
  readonly seed?: number;
  /** Fewer examples refuse the training run. @default 1000 */
  readonly minExamples?: number;
}

/** Exactly one of the two. */
export type DecisionPolicy =
  /** The highest threshold that flags at least this share of positives. */
  | { readonly targetRecall: number }
  /** The lowest threshold whose false-positive rate stays at or below this. */
  | { readonly maxFalsePositiveRate: number };

export interface SplitDefinition {
  /** @default 0.7 */
  readonly train: number;
  /** @default 0.15 */
  readonly validation: number;
  /** @default 0.15 */
  readonly test: number;
}

// ---------------------------------------------------------------------------------------------
// Gates

export type ClassificationMetric = 'rocAuc' | 'prAuc' | 'brierScore';
export type RegressionMetric = 'mae' | 'rmse' | 'r2';

/**
 * What a candidate must reach on the test split, and by how much it must beat the champion.
 * Classifier gates (`minRocAuc`, `minPrAuc`, `minRecall`, `maxFalsePositiveRate`) and regression
 * gates (`maxMae`, `maxRmse`, `minR2`) are refused on a model of the other task.
 */
export interface GatesDefinition {
  /** Classifiers. @default 0.7 */
  readonly minRocAuc?: number;
  /** Classifiers: average precision. @default 0 */
  readonly minPrAuc?: number;
  /** Classifiers: recall at the decision threshold. @default none */
  readonly minRecall?: number;
  /** Classifiers: false-positive rate at the decision threshold. @default none */
  readonly maxFalsePositiveRate?: number;
  /** Regression: mean absolute error, in the label's units. @default none */
  readonly maxMae?: number;
  /** Regression: root mean squared error, in the label's units. @default none */
  readonly maxRmse?: number;
  /** Regression: coefficient of determination. @default 0 */
  readonly minR2?: number;
  /** The metric a challenger must beat the champion on. @default 'prAuc' for classifiers, 'rmse' for regression */
  readonly primaryMetric?: ClassificationMetric | RegressionMetric;
  /** Smallest gain over the champion on the primary metric (a drop, for an error metric). @default 0.005 */
  readonly minImprovement?: number;
}

// ---------------------------------------------------------------------------------------------
// Trigger, schedule, rollout, drift, serving

export interface TriggerDefinition {
  /** New labelled examples since the last training that start the next one. */
  readonly threshold: number;
  /** New positive labels also required; classifiers only. @default 0 */
  readonly minPositives?: number;
  /** Least time between two training starts. @default '10m' */
  readonly cooldown?: Duration;
  /** Time between two polls of the end offsets. @default '30s' */
  readonly pollInterval?: Duration;
}

export interface ScheduleDefinition {
  /** A cron expression in UTC, e.g. `0 3 * * *`; Temporal checks its dialect. */
  readonly cron: string;
  /** What happens when the previous run is still going. @default 'skip' */
  readonly overlap?: 'skip' | 'buffer-one' | 'buffer-all' | 'cancel-other' | 'terminate-other' | 'allow-all';
}

export interface RolloutDefinition {
  /** A preset (`standard`: shadow → 10 % → 50 % → 100 %; `quick`: minutes, for demos) or a plan. @default 'standard' */
  readonly plan?: 'standard' | 'quick' | RolloutPlanDefinition;
}

/** Metrics compared live between champion and challenger. */
export type LiveMetric = 'precision' | 'recall' | 'falsePositiveRate' | 'mae' | 'rmse';

export interface RolloutStepDefinition {
  /** SHADOW: the challenger scores without deciding; SPLIT: it decides for `percent` % of entity keys. */
  readonly mode: 'SHADOW' | 'SPLIT';
  /** 0 for SHADOW, above 0 up to 100 for SPLIT. */
  readonly percent: number;
  /** Labelled scores each variant needs before the step can complete. */
  readonly minSamples: number;
  /** Least time the step lasts. */
  readonly minDuration: Duration;
}

export interface RolloutPlanDefinition {
  /** @default the `standard` preset's steps */
  readonly steps?: readonly RolloutStepDefinition[];
  readonly guardrails?: {
    /**
     * Per live metric of the task, how much worse the challenger may be before a significant
     * difference rolls it back: a rate difference below 1 for classifier rates, the label's units
     * for `mae` and `rmse`. @default { falsePositiveRate: 0.01, recall: 0.05 } for classifiers
     */
    readonly maxWorse?: Partial<Record<LiveMetric, number>>;
    /** @default 0.05 */
    readonly alpha?: number;
    /** @default 30 */
    readonly minTrials?: number;
    /** How far the challenger's p99 latency may lie above the champion's on the same traffic; null: not compared. @default 500 */
    readonly maxLatencyP99OverChampionMs?: number | null;
    /** An absolute p99 limit; below the checkpoint interval it rolls every challenger back. null: no limit. @default null */
    readonly maxLatencyP99Ms?: number | null;
    /** @default 200 */
    readonly minScoresForLatency?: number;
    /** null: no limit. @default 0.01 */
    readonly maxDlqRate?: number | null;
    /** @default 200 */
    readonly minRecordsForDlqRate?: number;
  };
  readonly promotion?: {
    /** A live metric of the task. @default 'recall' for classifiers */
    readonly metric?: LiveMetric;
    /** @default 0.05 */
    readonly alpha?: number;
    /** @default true */
    readonly lastStepOnly?: boolean;
  };
  /** @default true */
  readonly autoPromote?: boolean;
  /** How long to wait for a person after the last step. @default '24h' */
  readonly decisionTimeout?: Duration;
  /** @default 'rollback' */
  readonly defaultAction?: 'promote' | 'rollback';
  /** @default '60s' */
  readonly pollInterval?: Duration;
}

export interface DriftDefinition {
  /** Time between two checks. @default '5m' */
  readonly interval?: Duration;
  /** A feature's PSI at or above it is drift. @default 0.25 */
  readonly featurePsiThreshold?: number;
  /** The champion's live-score PSI at or above it is drift. @default 0.25 */
  readonly scorePsiThreshold?: number;
  /** Newest live records compared per check. @default 2000 */
  readonly liveRecords?: number;
  /** Training examples of the champion's lineage used as reference. @default 5000 */
  readonly referenceRecords?: number;
  /** Fewer live records decide nothing. @default 500 */
  readonly minLiveRecords?: number;
  /** Least time between two retrainings the monitor starts. @default '1h' */
  readonly cooldown?: Duration;
}

export interface ServingDefinition {
  /**
   * `exactly-once`: transactional output with the offsets; `at-least-once`: idempotent output,
   * then commit; `low-latency`: at-least-once reading the features read_uncommitted, without
   * waiting for the feature job's checkpoint (scores keyed by event id: a reader keeps the last per
   * key; docs/serving.md). @default 'exactly-once'
   */
  readonly delivery?: 'exactly-once' | 'at-least-once' | 'low-latency';
  /** Chunking: most records scored and committed together. @default 500 */
  readonly batchSize?: number;
  /** Partitions processed at once, each with its own transactions. @default 3 */
  readonly partitionsConsumedConcurrently?: number;
  /** Longest wait between attempts of a failed chunk. @default '10s' */
  readonly maxRetryDelay?: Duration;
}
