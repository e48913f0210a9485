/** Printing results as an aligned table or as JSON, on stdout. */
export type OutputFormat = "table" | "json";

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns, two spaces apart, under an upper-case header. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const all = [header.map((title) => title.toUpperCase()), ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? "").length)));
  for (const row of all) {
    const line = row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ");
    process.stdout.write(`${line.trimEnd()}\n`);
  }
}
