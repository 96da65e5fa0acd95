/** Renders rows as a left-aligned text table with a header line. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Progress lines go to stderr with the elapsed time, so stdout stays clean for results and --json. */
export function progressPrinter(began = Date.now()): (line: string) => void {
  return (line) => {
    const seconds = ((Date.now() - began) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${seconds}s] ${line}\n`);
  };
}
