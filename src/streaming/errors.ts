import { reasonOf, TributaryError } from '../errors/tributary-error.js';
/** What a streaming error is about; every field is optional because each error knows only part of it. */
export interface StreamingErrorContext {
  readonly topic?: string;
  readonly partition?: number;
  /** Kafka offsets are 64-bit, so they travel as strings (as kafkajs gives them). */
  readonly offset?: string;
  /** A Schema Registry subject, e.g. `tributary.transactions-value`. */
  readonly subject?: string;
  readonly schemaId?: number;
  /** A schema file on disk. */
  readonly file?: string;
  /** The Schema Registry URL a request went to. */
  readonly url?: string;
  /** Whether trying the same call again may succeed without a change by the caller. */
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/** Base of every error the streaming layer throws; the message is what a person reads. */
export class StreamingError extends TributaryError {
  override readonly name: string = 'StreamingError';
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: string | undefined;
  readonly subject: string | undefined;
  readonly schemaId: number | undefined;
  readonly file: string | undefined;
  readonly url: string | undefined;

  constructor(message: string, context: StreamingErrorContext = {}) {
    super(message, context);
    this.topic = context.topic;
    this.partition = context.partition;
    this.offset = context.offset;
    this.subject = context.subject;
    this.schemaId = context.schemaId;
    this.file = context.file;
    this.url = context.url;
  }
}

/** A logical topic name that the topic catalogue does not declare. */
export class UnknownTopicError extends StreamingError {
  override readonly name = 'UnknownTopicError';

  constructor(
    readonly logicalName: string,
    readonly knownNames: readonly string[],
  ) {
    super(`unknown topic "${logicalName}"; the catalogue declares: ${knownNames.join(', ')}`);
  }
}

/** A schema file cannot be read, is not JSON, or is not a valid Avro schema. */
export class SchemaFileError extends StreamingError {
  override readonly name = 'SchemaFileError';

  constructor(file: string, problem: string, reason: string, cause?: unknown) {
    super(`schema file ${file} ${problem}: ${reason}`, { file, cause });
  }
}

/** A schema file whose record name no catalogue topic carries, so its topic cannot be inferred. */
export class NoTopicForRecordError extends StreamingError {
  override readonly name = 'NoTopicForRecordError';

  constructor(
    readonly recordName: string,
    file: string,
    readonly knownRecords: readonly string[],
  ) {
    super(`no catalogue topic carries record ${recordName} (from ${file}); name the topic with --topic, or use one of: ${knownRecords.join(', ')}`, { file });
  }
}

/**
 * No answer from the Schema Registry (connection refused, reset, timed out) after the
 * client's retries. Retriable: the registry may come back.
 */
export class SchemaRegistryUnreachableError extends StreamingError {
  override readonly name = 'SchemaRegistryUnreachableError';

  constructor(url: string, reason: string, cause?: unknown) {
    super(`schema registry at ${url} is unreachable: ${reason}`, { url, retriable: true, cause });
  }
}

/** The Schema Registry answered a request with an error status it was not expected to. */
export class SchemaRegistryRequestError extends StreamingError {
  override readonly name = 'SchemaRegistryRequestError';

  constructor(
    readonly method: string,
    url: string,
    readonly status: number,
    readonly registryMessage: string,
    context: { readonly subject?: string; readonly cause?: unknown } = {},
  ) {
    super(`${method} ${url} failed with HTTP ${status}: ${registryMessage}`, { ...context, url, retriable: status >= 500 || status === 429 });
  }
}

/** No schema is registered under a subject that a producer writes to. */
export class SubjectNotRegisteredError extends StreamingError {
  override readonly name = 'SubjectNotRegisteredError';

  /** @param howToRegister what to run, for a topic `tributary schemas register` does not cover */
  constructor(subject: string, topic: string, howToRegister = 'run `tributary schemas register` first') {
    super(`no schema is registered under ${subject}, so nothing can be produced to ${topic}; ${howToRegister}`, { subject, topic });
  }
}

/** One schema that is not compatible with the latest version registered under its subject. */
export interface Incompatibility {
  readonly subject: string;
  readonly file: string;
  /** The registered version it was checked against. */
  readonly latestVersion: number;
  /** The registry's reasons, verbatim. */
  readonly reasons: readonly string[];
  /** What to do, when Tributary knows why the registered version is what it is. */
  readonly advice?: string;
}

function describeIncompatibility(incompatibility: Incompatibility): string {
  const reasons = incompatibility.reasons.length > 0 ? incompatibility.reasons.join('; ') : 'the registry gave no reason';
  const advice = incompatibility.advice === undefined ? '' : `; ${incompatibility.advice}`;
  return `${incompatibility.file} is not BACKWARD compatible with version ${incompatibility.latestVersion} of ${incompatibility.subject}: ${reasons}${advice}`;
}

/** A schema the registry refuses because it is not compatible with the subject's latest version. */
export class SchemaIncompatibleError extends StreamingError {
  override readonly name = 'SchemaIncompatibleError';

  constructor(readonly incompatibility: Incompatibility) {
    super(describeIncompatibility(incompatibility), { subject: incompatibility.subject, file: incompatibility.file });
  }
}

/**
 * Registration of the catalogue's schemas was refused before anything was registered, because
 * at least one schema is incompatible; lists every incompatible one.
 */
export class SchemaRegistrationRefusedError extends StreamingError {
  override readonly name = 'SchemaRegistrationRefusedError';

  constructor(
    readonly incompatibilities: readonly Incompatibility[],
    readonly checked: number,
  ) {
    super(
      [`registered nothing: ${incompatibilities.length} of ${checked} schemas are incompatible with what is registered:`]
        .concat(incompatibilities.map((incompatibility) => `  ${describeIncompatibility(incompatibility)}`))
        .join('\n'),
    );
  }
}

/** Where in a record a value breaks the schema, and how. */
export interface RecordIssue {
  /** Dotted path of the field, e.g. `amount` or `location.latitude`; empty for the record itself. */
  readonly path: string;
  /** The offending value as a person reads it, e.g. `"12.5"` or `missing`. */
  readonly value: string;
  /** What the schema accepts there, e.g. `double` or `one of EMAIL, PUSH`. */
  readonly expected: string;
}

/** Formats one issue as `path: expected …, got …`. */
export function formatRecordIssue(issue: RecordIssue): string {
  return `${issue.path === '' ? '(record)' : issue.path}: expected ${issue.expected}, got ${issue.value}`;
}

/** A record the topic's schema rejects; thrown before anything of its batch is sent. */
export class RecordRejectedError extends StreamingError {
  override readonly name = 'RecordRejectedError';

  constructor(
    readonly rejected: {
      readonly topic: string;
      readonly subject: string;
      readonly schemaId: number;
      readonly recordName: string;
      /** Position of the first rejected record in what was passed to send. */
      readonly index: number;
      readonly key: string;
      readonly issues: readonly RecordIssue[];
      /** How many records of the same send were rejected, this one included. */
      readonly rejectedCount: number;
    },
  ) {
    const more = rejected.rejectedCount - 1;
    const others = more > 0 ? ` (and ${more} more rejected record${more === 1 ? '' : 's'})` : '';
    super(
      `refusing to produce to ${rejected.topic}: record ${rejected.index} (key ${JSON.stringify(rejected.key)}) does not match ` +
        `${rejected.recordName} (subject ${rejected.subject}, schema id ${rejected.schemaId}): ${rejected.issues.map(formatRecordIssue).join('; ')}${others}`,
      { topic: rejected.topic, subject: rejected.subject, schemaId: rejected.schemaId },
    );
  }
}

/** Sending to Kafka (or committing a transaction) failed after the client's retries. */
export class ProduceError extends StreamingError {
  override readonly name = 'ProduceError';

  constructor(topics: readonly string[], reason: string, context: { readonly retriable: boolean; readonly cause: unknown }) {
    super(`producing to ${topics.join(', ')} failed: ${reason}`, { topic: topics.length === 1 ? topics[0] : undefined, ...context });
  }
}

/** Creating or describing a topic failed. */
export class TopicAdminError extends StreamingError {
  override readonly name = 'TopicAdminError';

  constructor(action: string, reason: string, context: { readonly topic?: string; readonly retriable?: boolean; readonly cause?: unknown } = {}) {
    super(`${action} failed: ${reason}`, context);
  }
}

/**
 * A write in a Kafka transaction failed, and aborting the transaction failed too. Nothing the
 * transaction sent becomes visible: the broker aborts it when its timeout passes, or when the next
 * producer with the same transactional id starts. `failure` is the first error, the one that says
 * what went wrong.
 */
export class TransactionAbortError extends StreamingError {
  override readonly name = 'TransactionAbortError';

  constructor(
    readonly transactionalId: string,
    readonly failure: unknown,
    readonly abortFailure: unknown,
  ) {
    super(`${reasonOf(failure)}; aborting the transaction failed too: ${reasonOf(abortFailure)}`, { cause: failure });
  }
}

/** How a message that could not be decoded is classified; the DLQ record's `error_type`. */
export type DecodeFailureCode = 'NOT_AVRO_WIRE_FORMAT' | 'UNKNOWN_SCHEMA_ID' | 'UNDECODABLE';

/** Where a message was read from, when the caller knows it. */
export interface MessageSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

function describeSource(source: MessageSource | undefined): string {
  return source ? ` (topic ${source.topic}, partition ${source.partition}, offset ${source.offset})` : '';
}

/**
 * A message whose value cannot be decoded. Never retriable: the same bytes fail the same way,
 * so the caller routes the message to the dead-letter topic with `code` and moves on.
 */
export abstract class MessageDecodeError extends StreamingError {
  abstract readonly code: DecodeFailureCode;

  constructor(reason: string, source: MessageSource | undefined, schemaId?: number) {
    super(`${reason}${describeSource(source)}`, { ...source, schemaId, retriable: false });
  }
}

/** The value does not start with the registry wire format's magic byte and schema id. */
export class NotAvroWireFormatError extends MessageDecodeError {
  override readonly name = 'NotAvroWireFormatError';
  readonly code = 'NOT_AVRO_WIRE_FORMAT';
}

/** The value names a schema id the registry does not know. */
export class UnknownSchemaIdError extends MessageDecodeError {
  override readonly name = 'UnknownSchemaIdError';
  readonly code = 'UNKNOWN_SCHEMA_ID';
}

/** The bytes after the header do not decode with the writer schema they name. */
export class UndecodableError extends MessageDecodeError {
  override readonly name = 'UndecodableError';
  readonly code = 'UNDECODABLE';
}

/** What a client was doing when the broker refused it, as a message names it. */
export interface KafkaAccessAttempt {
  /** A verb phrase, e.g. `read`, `write to`, `describe`. */
  readonly operation: string;
  readonly topics?: readonly string[];
  readonly group?: string;
  readonly transactionalId?: string;
}

/** The authorisation failures of the Kafka protocol, and the kind of resource each one is about. */
export const KAFKA_AUTHORIZATION_FAILURES = {
  TOPIC_AUTHORIZATION_FAILED: 'topic',
  GROUP_AUTHORIZATION_FAILED: 'consumer group',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'transactional id',
  CLUSTER_AUTHORIZATION_FAILED: 'cluster',
} as const;
export type KafkaAuthorizationFailure = keyof typeof KAFKA_AUTHORIZATION_FAILURES;

function refusedResource(code: KafkaAuthorizationFailure, attempt: KafkaAccessAttempt): string {
  const topics = attempt.topics && attempt.topics.length > 0 ? `${attempt.topics.length === 1 ? 'topic' : 'topics'} ${attempt.topics.join(', ')}` : 'its topics';
  switch (code) {
    case 'TOPIC_AUTHORIZATION_FAILED':
      return `${attempt.operation} ${topics}`;
    case 'GROUP_AUTHORIZATION_FAILED':
      return `use consumer group ${attempt.group ?? '(unnamed)'} to ${attempt.operation} ${topics}`;
    case 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED':
      return `use transactional id ${attempt.transactionalId ?? '(unnamed)'} to ${attempt.operation} ${topics}`;
    case 'CLUSTER_AUTHORIZATION_FAILED':
      return `${attempt.operation} ${topics} (a cluster-level permission)`;
  }
}

/**
 * The broker authenticated the client but no ACL lets its principal do what it tried. Never
 * retriable: only a new ACL, or other credentials, change the answer.
 */
export class KafkaAuthorizationError extends StreamingError {
  override readonly name = 'KafkaAuthorizationError';

  constructor(
    readonly principal: string,
    readonly code: KafkaAuthorizationFailure,
    readonly attempt: KafkaAccessAttempt,
    cause: unknown,
  ) {
    super(
      `Kafka refused principal User:${principal} permission to ${refusedResource(code, attempt)} (${code}): no ACL allows it; ` +
        'use the credentials of a role that may, or have an admin grant the ACL (see docs/secure-mode.md)',
      { topic: attempt.topics?.length === 1 ? attempt.topics[0] : undefined, retriable: false, cause },
    );
  }
}

/** The broker rejected the client's SASL credentials (wrong user name or password, or an unknown mechanism). Never retriable. */
export class KafkaAuthenticationError extends StreamingError {
  override readonly name = 'KafkaAuthenticationError';

  constructor(
    readonly username: string,
    readonly mechanism: string,
    readonly brokers: readonly string[],
    reason: string,
    cause: unknown,
  ) {
    super(
      `Kafka at ${brokers.join(',')} rejected the ${mechanism.toUpperCase()} credentials of user ${username} (${reason}); ` +
        'check TRIBUTARY_KAFKA_SASL_USERNAME and the password (TRIBUTARY_KAFKA_SASL_PASSWORD or TRIBUTARY_KAFKA_SASL_PASSWORD_FILE)',
      { retriable: false, cause },
    );
  }
}

/** A topic that does not exist on the cluster, named where producing to it was asked for. */
export class TopicNotFoundError extends StreamingError {
  override readonly name = 'TopicNotFoundError';

  constructor(topic: string, brokers: readonly string[], howToCreate: string) {
    super(`topic ${topic} does not exist on Kafka at ${brokers.join(',')}; ${howToCreate}`, { topic });
  }
}

/** A line of JSON input and what is wrong with it, e.g. `field "amount": expected double, got "12,50"`. */
export interface JsonLineProblem {
  /** 1-based line number in the input, blank lines counted. */
  readonly line: number;
  readonly problem: string;
}

/** What had been sent when JSON input was refused or a send failed. */
export interface JsonInputProgress {
  /** `events.jsonl`, or `stdin`. */
  readonly input: string;
  readonly topic: string;
  /** Records acknowledged by the broker. */
  readonly recordsSent: number;
  /** The last line whose record (and every record before it) was acknowledged; 0 when none was. */
  readonly lastLineSent: number;
}

const plural = (count: number, noun: string): string => `${count.toLocaleString('en')} ${noun}${count === 1 ? '' : 's'}`;

/**
 * JSON input with lines its topic's schema rejects. `problems` holds the first problems found, one
 * per sentence; `sent` says what went out before the first bad line (nothing, for a file, which
 * is checked whole before anything is sent).
 */
export class JsonInputRejectedError extends StreamingError {
  override readonly name = 'JsonInputRejectedError';

  constructor(
    readonly problems: readonly JsonLineProblem[],
    /** Every problem found, including those beyond `problems`. */
    readonly problemCount: number,
    readonly badLineCount: number,
    readonly sent: JsonInputProgress,
  ) {
    const firstBad = problems[0]?.line ?? sent.lastLineSent + 1;
    const summary =
      sent.recordsSent === 0
        ? `nothing was sent to ${sent.topic}: ${plural(problemCount, 'problem')} on ${plural(badLineCount, 'line')} of ${sent.input}; fix ${badLineCount === 1 ? 'it' : 'them'} and run the command again`
        : `sent ${plural(sent.recordsSent, 'record')} to ${sent.topic}, from lines 1 to ${sent.lastLineSent.toLocaleString('en')} of ${sent.input}; ` +
          `nothing from line ${firstBad.toLocaleString('en')} on was sent: fix that line and send the input from it on (e.g. \`tail -n +${firstBad} <file> | tributary produce …\`), not from the start, which would send those records twice`;
    super(summary, { topic: sent.topic, retriable: false });
  }
}

/** A send failed after the client's retries, part way through JSON input: says which lines are safely out and which may be. */
export class JsonInputInterruptedError extends StreamingError {
  override readonly name = 'JsonInputInterruptedError';

  constructor(
    readonly sent: JsonInputProgress,
    /** The lines of the batch whose send failed: some of its records may have been written. */
    readonly failedLines: { readonly first: number; readonly last: number },
    reason: string,
    cause: unknown,
  ) {
    const { first, last } = failedLines;
    super(
      `producing lines ${first} to ${last} of ${sent.input} to ${sent.topic} failed: ${reason}; ` +
        `${sent.recordsSent === 0 ? 'no line before them was sent' : `${plural(sent.recordsSent, 'record')} up to line ${sent.lastLineSent} were acknowledged`}, ` +
        `lines ${first} to ${last} may be partly written and nothing after line ${last} was sent: ` +
        `check the end of ${sent.topic} before sending lines ${first} to ${last} again (sending them again may write some twice), then send the rest with \`tail -n +${last + 1}\``,
      { topic: sent.topic, retriable: true, cause },
    );
  }
}

/** `--key` names a field that cannot key the topic's records (no such field, or not a string, enum or whole number). */
export class KeyFieldError extends StreamingError {
  override readonly name = 'KeyFieldError';

  constructor(message: string, context: { readonly topic: string; readonly subject: string; readonly schemaId: number }) {
    super(message, { ...context, retriable: false });
  }
}

/** The Kafka protocol error type of a kafkajs error (`PRODUCER_FENCED`), when it has one. */
export const kafkaErrorType = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'type' in error && typeof error.type === 'string' ? error.type : undefined;

/** How deep {@link kafkaErrorTypeBehind} follows causes; kafkajs wraps an error once or twice. */
const MAX_CAUSE_DEPTH = 8;

/**
 * The first of `types` behind `error`: its own Kafka error type, that of the first failure of a
 * transaction whose abort failed too (a fenced writer's abort is refused as well), or that of an
 * error kafkajs wrapped in another (`cause`).
 */
export function kafkaErrorTypeBehind(error: unknown, types: ReadonlySet<string>): string | undefined {
  let current = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null; depth += 1) {
    const type = kafkaErrorType(current);
    if (type !== undefined && types.has(type)) return type;
    current = current instanceof TransactionAbortError ? current.failure : (current as { readonly cause?: unknown }).cause;
  }
  return undefined;
}
