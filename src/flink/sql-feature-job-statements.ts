/**
 * A feature query file cut into its statements, each with the line it starts on, so that the
 * gateway's message about one of them can name its line in the file.
 *
 * Hand-written rather than a parser: no Flink SQL parser runs in Node, and the SQL Gateway parses
 * every statement anyway. All this needs is where statements end: at a `;` outside string
 * literals (`'…'`, with `''` inside), quoted identifiers (`` `…` ``), and comments (`--` to the end
 * of the line, `/* … *\/`).
 */
import { SqlJobDefinitionError } from './sql-feature-job-errors.js';

/** One statement of a file: its text from its first word to before its `;`, and where that word is. */
export interface SqlFileStatement {
  readonly text: string;
  /** 1-based line of the statement's first word in the file. */
  readonly line: number;
}

/** The statements of a SQL file, in order; empty ones (`;;`, comments only) are left out. */
export function splitSqlStatements(text: string): readonly SqlFileStatement[] {
  const statements: SqlFileStatement[] = [];
  let start: number | undefined;
  let line = 1;
  let startLine = 1;
  const close = (end: number): void => {
    if (start !== undefined) statements.push({ text: text.slice(start, end).trimEnd(), line: startLine });
    start = undefined;
  };
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    const next = text[i + 1];
    if (char === '\n') {
      line += 1;
      continue;
    }
    if (char === '-' && next === '-') {
      while (i + 1 < text.length && text[i + 1] !== '\n') i += 1;
      continue;
    }
    if (char === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      line += countLines(text, i, stop);
      i = stop - 1;
      continue;
    }
    if (char === ';') {
      close(i);
      continue;
    }
    if (/\s/.test(char)) continue;
    if (start === undefined) {
      start = i;
      startLine = line;
    }
    if (char === "'" || char === '`') {
      // Inside, a doubled quote is the quote itself, which this loop passes as two quotes.
      let j = i + 1;
      while (j < text.length && text[j] !== char) j += 1;
      line += countLines(text, i, j);
      i = j;
    }
  }
  close(text.length);
  return statements;
}

const countLines = (text: string, from: number, to: number): number => {
  let lines = 0;
  for (let k = from; k < to; k += 1) if (text[k] === '\n') lines += 1;
  return lines;
};

/** What the statements of a feature query file must be: views, then one query. */
export interface FeatureQuery {
  readonly views: readonly SqlFileStatement[];
  readonly select: SqlFileStatement;
}

/**
 * Checks the shape of a feature query file: any number of `CREATE TEMPORARY VIEW`, then exactly
 * one `SELECT` (or `WITH … SELECT`), whose rows Tributary writes to the features topic. Names that
 * only generated statements may use (`reserved`, e.g. the raw source tables before PII hashing) are
 * refused. One line per problem, with the file and line.
 */
export function featureQueryOf(text: string, file: string, reserved: readonly string[]): FeatureQuery {
  const statements = splitSqlStatements(text);
  const last = statements.at(-1);
  if (last === undefined) throw new SqlJobDefinitionError(`${file}: holds no statement; write the feature query as a SELECT`);
  statements.forEach((statement) => {
    const lower = statement.text.toLowerCase();
    for (const name of reserved) {
      if (lower.includes(name.toLowerCase())) {
        throw new SqlJobDefinitionError(`${file}:${statement.line}: names ${name}, the source table before its PII fields are hashed; query the source by its topic's table name instead`);
      }
    }
  });
  const views = statements.slice(0, -1);
  for (const view of views) {
    if (!/^create\s+temporary\s+view\s/i.test(view.text)) {
      throw new SqlJobDefinitionError(`${file}:${view.line}: only CREATE TEMPORARY VIEW statements may come before the query, found "${firstWords(view.text)}"`);
    }
  }
  if (!/^(select|with)\s/i.test(last.text)) {
    throw new SqlJobDefinitionError(`${file}:${last.line}: the last statement must be the feature query, a SELECT (or WITH … SELECT), found "${firstWords(last.text)}"`);
  }
  return { views, select: last };
}

const firstWords = (text: string): string => text.split(/\s+/).slice(0, 3).join(' ');
