import { FlinkRequestError, FlinkSqlError } from './errors.js';
import { compileRestClientOptions, RestEndpoint, type RestClientOptions } from './rest-endpoint.js';

/**
 * The gateway's REST API version this client speaks; pinned so that a Flink upgrade
 * cannot change the shapes it reads.
 */
const API = '/v3';

/** `GET /info`. */
export interface SqlGatewayInfo {
  readonly productName: string;
  readonly version: string;
}

/** A statement submitted in a session, as the gateway tracks it. */
export interface SqlOperation {
  readonly sessionHandle: string;
  readonly operationHandle: string;
  /** The SQL text, kept for error messages. */
  readonly statement: string;
}

/** Operation states as the gateway names them. */
export type OperationStatus = 'INITIALIZED' | 'PENDING' | 'RUNNING' | 'FINISHED' | 'CANCELED' | 'CLOSED' | 'ERROR' | 'TIMEOUT';

/** A result column. */
export interface ResultColumn {
  readonly name: string;
  readonly logicalType: { readonly type: string; readonly nullable: boolean };
  readonly comment: string | null;
}

/** One row in the gateway's JSON row format; `kind` is the changelog kind (INSERT, UPDATE_AFTER…). */
export interface ResultRow {
  readonly kind: string;
  readonly fields: readonly unknown[];
}

/** Everything a statement returned, all pages read. */
export interface StatementResult {
  /** `SUCCESS` for statements without rows (DDL, SET), `SUCCESS_WITH_CONTENT` otherwise. */
  readonly resultKind: string;
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly ResultRow[];
  /** The Flink job the statement submitted (INSERT, or a query's job), if any. */
  readonly jobId: string | undefined;
}

interface ResultPage {
  readonly resultType: 'NOT_READY' | 'PAYLOAD' | 'EOS';
  readonly isQueryResult: boolean;
  readonly jobID?: string;
  readonly resultKind: string;
  readonly results: { readonly columns?: ResultColumn[]; readonly data: ResultRow[] };
  readonly nextResultUri?: string;
}

/** Options of {@link SqlGatewayClient.submitInsert}. */
export interface SubmitInsertOptions {
  /** Session properties, e.g. `{ 'execution.runtime-mode': 'streaming' }`. @default {} */
  readonly sessionProperties?: Readonly<Record<string, string>>;
  /** Statements run first in the same session, each to completion: CREATE TABLE, SET and the like. @default [] */
  readonly setupStatements?: readonly string[];
  /** Configuration of the INSERT only, e.g. `{ 'execution.state-recovery.path': … }`. @default {} */
  readonly config?: Readonly<Record<string, string>>;
  /** How long the setup statements, planning and submission may take together. @default 120_000 */
  readonly timeoutMs?: number;
}

const TERMINAL_STATUSES: readonly OperationStatus[] = ['FINISHED', 'CANCELED', 'CLOSED', 'ERROR', 'TIMEOUT'];

/**
 * Typed client of the Flink SQL Gateway REST API: sessions, statements, operation status
 * and result paging, plus {@link submitInsert} for the common "run this INSERT" case.
 */
export class SqlGatewayClient {
  private readonly rest: RestEndpoint;

  constructor(options: RestClientOptions) {
    this.rest = new RestEndpoint(compileRestClientOptions(options));
  }

  /** Product name and Flink version of the gateway. */
  info(): Promise<SqlGatewayInfo> {
    return this.rest.request({ method: 'GET', path: `${API}/info`, retry: 'idempotent' });
  }

  /** Opens a session and resolves with its handle; close it with {@link closeSession}. */
  async openSession(properties: Readonly<Record<string, string>> = {}, sessionName?: string): Promise<string> {
    const answer = await this.rest.request<{ sessionHandle: string }>({
      method: 'POST',
      path: `${API}/sessions`,
      body: { properties, sessionName },
      retry: 'once',
    });
    return answer.sessionHandle;
  }

  /** Closes a session and its operations; jobs it submitted keep running on the cluster. */
  async closeSession(sessionHandle: string): Promise<void> {
    await this.rest.request({ method: 'DELETE', path: `${API}/sessions/${sessionHandle}`, retry: 'idempotent', context: { sessionHandle } });
  }

  /**
   * Submits one statement; the gateway plans and runs it in the background. Errors in the
   * SQL surface from {@link waitForOperation} or {@link fetchResults} as {@link FlinkSqlError}.
   * @param config configuration of this statement only
   */
  async executeStatement(sessionHandle: string, statement: string, config: Readonly<Record<string, string>> = {}): Promise<SqlOperation> {
    try {
      const answer = await this.rest.request<{ operationHandle: string }>({
        method: 'POST',
        path: `${API}/sessions/${sessionHandle}/statements`,
        body: { statement, executionConfig: config },
        retry: 'once',
        context: { sessionHandle, statement },
      });
      return { sessionHandle, operationHandle: answer.operationHandle, statement };
    } catch (error) {
      throw asSqlError(error, 'the SQL Gateway rejected the statement', { sessionHandle, statement });
    }
  }

  /**
   * Polls an operation until it ends, and resolves with its final status. Throws a
   * {@link FlinkSqlError} with Flink's text when the operation failed.
   */
  waitForOperation(operation: SqlOperation, timeoutMs: number): Promise<OperationStatus> {
    const context = { sessionHandle: operation.sessionHandle, operationHandle: operation.operationHandle, statement: operation.statement };
    return this.rest.pollUntil(`statement ${operation.operationHandle} to end`, timeoutMs, async () => {
      const { status } = await this.rest.request<{ status: OperationStatus }>({
        method: 'GET',
        path: `${operationPath(operation)}/status`,
        retry: 'idempotent',
        context,
      });
      if (!TERMINAL_STATUSES.includes(status)) return { done: false, observed: status };
      // The failure's text is served only by the result endpoint, as its error body.
      if (status === 'ERROR') await this.fetchResults(operation, timeoutMs);
      return { done: true, value: status };
    }, context);
  }

  /**
   * Reads every page of a statement's result, following `nextResultUri` until the end of
   * the stream. Only for statements whose result ends (DDL, SET, INSERT, bounded queries).
   * Throws a {@link FlinkSqlError} with Flink's text when the statement failed.
   */
  async fetchResults(operation: SqlOperation, timeoutMs: number): Promise<StatementResult> {
    const context = { sessionHandle: operation.sessionHandle, operationHandle: operation.operationHandle, statement: operation.statement };
    let path: string | undefined = `${operationPath(operation)}/result/0?rowFormat=JSON`;
    let columns: ResultColumn[] = [];
    const rows: ResultRow[] = [];
    let jobId: string | undefined;
    let resultKind = '';
    const deadline = Date.now() + timeoutMs;
    while (path) {
      const page: ResultPage = await this.rest.pollUntil(`results of statement ${operation.operationHandle}`, Math.max(0, deadline - Date.now()), async () => {
        const answer = await this.resultPage(path as string, context);
        return answer.resultType === 'NOT_READY' ? { done: false, observed: 'NOT_READY' } : { done: true, value: answer };
      }, context);
      columns = page.results.columns ?? columns;
      rows.push(...page.results.data);
      jobId = page.jobID ?? jobId;
      resultKind = page.resultKind;
      path = page.resultType === 'EOS' ? undefined : page.nextResultUri;
    }
    return { resultKind, columns, rows, jobId };
  }

  /**
   * Runs an INSERT (or a statement set) in a session of its own and resolves with the id of
   * the Flink job it submitted; the job keeps running after the session closes.
   */
  async submitInsert(sql: string, options: SubmitInsertOptions = {}): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    const remaining = (): number => Math.max(0, deadline - Date.now());
    const sessionHandle = await this.openSession(options.sessionProperties ?? {});
    let jobId: string;
    try {
      for (const statement of options.setupStatements ?? []) {
        const setup = await this.executeStatement(sessionHandle, statement);
        const status = await this.waitForOperation(setup, remaining());
        if (status !== 'FINISHED') throw new FlinkSqlError(`the setup statement ended ${status}`, { ...setup });
      }
      const operation = await this.executeStatement(sessionHandle, sql, options.config ?? {});
      const result = await this.fetchResults(operation, remaining());
      if (!result.jobId) throw new FlinkSqlError('the statement submitted no Flink job (is it an INSERT?)', { ...operation });
      jobId = result.jobId;
    } catch (error) {
      // The statement's failure is the one to report; the gateway expires a session left open.
      await this.closeSession(sessionHandle).catch(() => undefined);
      throw error;
    }
    await this.closeSession(sessionHandle);
    return jobId;
  }

  private async resultPage(path: string, context: { sessionHandle: string; operationHandle: string; statement: string }): Promise<ResultPage> {
    try {
      return await this.rest.request<ResultPage>({ method: 'GET', path: withApiPrefix(path), retry: 'idempotent', context });
    } catch (error) {
      throw asSqlError(error, 'the statement failed', context);
    }
  }
}

const operationPath = (operation: SqlOperation): string =>
  `${API}/sessions/${operation.sessionHandle}/operations/${operation.operationHandle}`;

/** `nextResultUri` comes back with the version prefix; a bare path gets ours. */
const withApiPrefix = (path: string): string => (/^\/v\d+\//.test(path) ? path : `${API}${path}`);

/** The gateway answers a failed statement with HTTP 500 whose body carries the SQL error; make it one. */
function asSqlError(error: unknown, problem: string, context: { sessionHandle: string; operationHandle?: string; statement: string }): unknown {
  if (!(error instanceof FlinkRequestError) || error.status !== 500) return error;
  return new FlinkSqlError(problem, { ...context, url: error.url, method: error.method, status: error.status, flinkErrors: error.flinkErrors, cause: error });
}
