/**
 * The SQL escape hatch's guard: one read-only statement, or a {@linkcode SqlError} before anything
 * runs; and DuckDB's errors that a statement itself causes, told apart from disk or memory errors.
 * @module
 */
import { type DuckDBConnection, type DuckDBPreparedStatement, StatementType } from "@duckdb/node-api";

/** A statement the SQL escape hatch will not run (not a read), or that fails by itself: bad syntax, names or values. */
export class SqlError extends Error {
  override name = "SqlError";
}

/** DuckDB's errors that a statement causes, by their prefix; a disk, memory or internal error is not one. */
export const STATEMENT_ERRORS =
  /^(Parser|Binder|Catalog|Conversion|Invalid Input|Out of Range|Not implemented) Error: /;

/**
 * Throw `e`, as a {@linkcode SqlError} when the statement caused it. One the lake's own SQL raises
 * (`error('Cannot ...')`) keeps just its message.
 */
export function failStatement(e: unknown): never {
  const message = e instanceof Error ? e.message.replace(/^Failed to extract statements: /, "") : "";
  const own = /^Invalid Input Error: (Cannot .*)$/s.exec(message)?.[1];
  if (own) throw new SqlError(own, { cause: e });
  throw STATEMENT_ERRORS.test(message) ? new SqlError(`Cannot run this SQL: ${message}`, { cause: e }) : e;
}

/** What the SQL escape hatch runs: reads of the lake's views, never a change to them or to a file. */
export const READ_ONLY = new Set([StatementType.SELECT, StatementType.EXPLAIN]);

/**
 * `query` prepared, when it is one read-only statement (SELECT, WITH, FROM, VALUES, DESCRIBE,
 * SHOW, SUMMARIZE, EXPLAIN). Anything else (two statements, COPY, DROP, SET, ATTACH) is refused
 * before it runs.
 */
export async function prepareReadOnly(conn: DuckDBConnection, query: string): Promise<DuckDBPreparedStatement> {
  if (!query.trim()) throw new SqlError("Cannot run this SQL: it is empty");
  const statements = await conn.extractStatements(query).catch(failStatement);
  if (statements.count !== 1) {
    throw new SqlError(`Cannot run this SQL: it holds ${statements.count} statements, and one is allowed`);
  }
  const prepared = await statements.prepare(0).catch(failStatement);
  const type = prepared.statementType;
  if (!READ_ONLY.has(type)) {
    prepared.destroySync();
    throw new SqlError(
      `Cannot run this SQL: only reads are allowed (SELECT, DESCRIBE, SUMMARIZE, EXPLAIN), not ${StatementType[type]}`,
    );
  }
  return prepared;
}

/**
 * One statement without its closing `;` and what follows it (blanks, comments), so that it fits
 * inside `COPY (...)`. A last `;` inside a string or a comment stays: what follows it is then no
 * run of blanks and comments.
 */
export async function withoutTerminator(conn: DuckDBConnection, statement: string): Promise<string> {
  const end = statement.lastIndexOf(";");
  if (end < 0) return statement;
  // (DuckDB fails to extract from text without statements, so one is put after it.)
  const after = await conn.extractStatements(`${statement.slice(end + 1)}\nSELECT 1`).catch(() => undefined);
  return after?.count === 1 ? statement.slice(0, end) : statement;
}

export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
