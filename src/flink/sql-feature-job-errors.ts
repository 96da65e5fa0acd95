import { FlinkError, FlinkSqlError } from './errors.js';

/**
 * A definition or SQL file a Flink SQL job cannot be generated from (an Avro type a table cannot
 * hold, a SQL file without a final SELECT, a query naming a raw source table). Thrown before
 * anything is submitted; not retriable: fix the definition or the file.
 */
export class SqlJobDefinitionError extends FlinkError {
  override readonly name = 'SqlJobDefinitionError';

  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/**
 * The SQL Gateway refused one of the user's statements (it does not parse, or names a column
 * or table that does not exist). The message is one line: the file, the line the statement
 * starts on, and the gateway's own message; Flink's full text stays in `flinkErrors`.
 */
export class SqlStatementError extends FlinkError {
  override readonly name = 'SqlStatementError';

  constructor(
    readonly file: string,
    readonly line: number,
    readonly gatewayMessage: string,
    cause: FlinkSqlError,
  ) {
    super(`${file}:${line}: ${gatewayMessage}`, { ...cause, flinkErrors: cause.flinkErrors, statement: cause.statement, retriable: false, cause });
  }
}

/** Exception classes whose message says what is wrong with a statement, most specific first. */
const TELLING_EXCEPTIONS = [/SqlParserException: (.*)/, /SqlValidateException: (.*)/, /ValidationException: (.*)/, /CalciteContextException: (.*)/, /TableException: (.*)/];

/**
 * The one line of the gateway's answer that says what is wrong: Flink wraps it in several layers
 * ("Failed to execute the operation …", "An error occurred when executing …"), so the innermost
 * parser, validation or table exception is taken, else the innermost cause, with its own text
 * (its first line: some messages go on with a whole schema).
 */
export function gatewayMessageOf(error: FlinkSqlError): string {
  const lines = error.flinkErrors.flatMap((text) => text.split('\n')).map((line) => line.trim());
  for (const pattern of TELLING_EXCEPTIONS) {
    const found = lines.filter((line) => pattern.test(line)).map((line) => pattern.exec(line)![1]!.trim());
    const innermost = found.at(-1);
    if (innermost !== undefined && innermost !== '') return innermost;
  }
  const cause = lines.filter((line) => line.startsWith('Caused by: ')).at(-1);
  if (cause !== undefined) return cause.replace(/^Caused by: (?:[\w$]+\.)*[\w$]+: /, '');
  return error.message.split('\n')[0]!;
}

/**
 * Flink could not start a changed SQL job from the savepoint its running job was stopped with
 * (state of an operator the changed query no longer has, or has in another shape). The previous
 * job was submitted again from the same savepoint, so nothing is lost; the message says which
 * job runs now and the two ways on: revert the query, or start the changed one without the old
 * state, an explicit choice (`--discard-state`).
 */
export class SqlJobRestoreError extends FlinkError {
  override readonly name = 'SqlJobRestoreError';

  constructor(
    readonly jobName: string,
    readonly savepoint: string,
    readonly restoredJobId: string,
    reason: string,
    cause: unknown,
  ) {
    super(
      `feature job ${jobName}: Flink cannot start the changed job from savepoint ${savepoint}: ${reason}. ` +
        `The previous job runs again from that savepoint as job ${restoredJobId}, so no event is lost or written twice. ` +
        'Revert the change (the SQL file, or the schema the job reads) to keep it running, or apply again with --discard-state to start the changed job without the old state ' +
        '(it resumes from the offsets its consumer group committed, with its windows, aggregates and joins empty)',
      { retriable: false, cause },
    );
  }
}
