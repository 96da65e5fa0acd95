import { describe, expect, it } from 'vitest';
import { FlinkSqlError, summarizeFlinkErrors } from '../../src/flink/errors.js';

describe('Flink error text', () => {
  it('keeps exception lines and their causes, dropping stack frames and REST wrappers', () => {
    const body = [
      'Internal server error.',
      '<Exception on server side:\n' +
        'org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.\n' +
        '\tat org.apache.flink.table.gateway.rest.handler.statement.FetchResultsHandler.handleRequest(FetchResultsHandler.java:91)\n' +
        'Caused by: org.apache.flink.table.api.ValidationException: SQL validation failed. Object \'t\' not found\n' +
        '\tat org.apache.flink.table.planner.calcite.FlinkPlannerImpl.validate(FlinkPlannerImpl.scala:200)\n' +
        '\t... 12 more\n' +
        '\nEnd of exception on server side>',
    ];
    expect(summarizeFlinkErrors(body)).toBe(
      'org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.\n' +
        "Caused by: org.apache.flink.table.api.ValidationException: SQL validation failed. Object 't' not found",
    );
  });

  it('names the statement on one line, cut to 200 characters, before Flink\'s text', () => {
    const statement = `INSERT INTO sink\n  SELECT ${'x'.repeat(300)}`;
    const error = new FlinkSqlError('the statement failed', { statement, flinkErrors: ['org.apache.flink.table.api.SqlParserException: SQL parse failed.'] });
    expect(error.message).toBe(`the statement failed: INSERT INTO sink SELECT ${'x'.repeat(176)}…\norg.apache.flink.table.api.SqlParserException: SQL parse failed.`);
    expect(error.retriable).toBe(false);
    expect(error.statement).toBe(statement);
  });
});
