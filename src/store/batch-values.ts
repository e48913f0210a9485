import { type RawBuilder, sql } from "kysely";
import type { DialectName } from "./database.js";

/** A column's PostgreSQL type; SQLite takes each value as JSON gives it. */
export type ColumnType = "text" | "integer" | "bigint" | "boolean";

/** The columns of a batch's rows, in order: each one's type and its value in a row. */
export type Columns<R> = Record<string, readonly [ColumnType, (row: R) => unknown]>;

/**
 * The rows as a table `v` for a FROM clause or a join. The values go as parameters, so the statement's text (and on
 * SQLite its prepared statement) is the same for any number of rows: PostgreSQL unnests one array per column, SQLite
 * reads one JSON array of rows (which also keeps clear of its limit on parameters).
 */
export function rowsTable<R>(dialect: DialectName, rows: readonly R[], columns: Columns<R>): RawBuilder<unknown> {
  const entries = Object.entries(columns);
  if (dialect === "postgres") {
    const arrays = entries.map(([, [type, value]]) => sql`${rows.map((row) => value(row))}::${sql.raw(type)}[]`);
    return sql`unnest(${sql.join(arrays)}) as v(${sql.join(entries.map(([name]) => sql.ref(name)))})`;
  }
  const fields = entries.map(([name], i) => sql`value ->> ${sql.raw(String(i))} as ${sql.ref(name)}`);
  const json = JSON.stringify(rows.map((row) => entries.map(([, [, value]]) => value(row))));
  return sql`(select ${sql.join(fields)} from json_each(${json})) as v`;
}

/** `= any(…)` / `in (…)` over a list of texts, as one parameter whatever its length. */
export function inTexts(dialect: DialectName, values: readonly string[]): RawBuilder<unknown> {
  if (dialect === "postgres") return sql`= any(${values}::text[])`;
  return sql`in (select value from json_each(${JSON.stringify(values)}))`;
}
