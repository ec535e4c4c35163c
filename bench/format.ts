// What the printed summaries share (report.ts, scale-report.ts, scale.ts, web-budgets.ts): how a figure, a
// target and a failure read, and the table with one column per database. Apart from report.ts so that a
// benchmark can use it without an import cycle.

import type { BenchDialect } from './fresh-server.js';

/** One entry of a result's targets: what is asked, the figure, and whether the figure meets it. */
export interface Target {
  target: string;
  value: number;
  met: boolean;
}

/** A figure with thousands separated and exactly `digits` decimals; '-' when there is none. */
export const fmt = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value)
    ? '-'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** ' ✓' or ' ✗' after a figure with a target; nothing without one. */
export const mark = (met: boolean | undefined) => (met === undefined ? '' : met ? ' ✓' : ' ✗');

export const databaseName = (database: BenchDialect) => (database === 'sqlite' ? 'SQLite' : 'PostgreSQL');

/** A part's error in a summary: its first line (the result keeps the whole of it). */
export const firstLine = (error: string) => error.split('\n')[0]!;

/**
 * A table with a row per figure and a column per database, its cells padded to line up. `column` adds a
 * row: the label, then each result's cell.
 */
export function databaseTable<R extends { database: BenchDialect }>(results: R[]) {
  const rows: string[][] = [['', ...results.map((r) => databaseName(r.database))]];
  return {
    column(label: string, cell: (r: R) => string): void {
      rows.push([label, ...results.map(cell)]);
    },
    render(): string {
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
      return rows
        .map((row) =>
          row
            .map((cell, i) => cell.padEnd(widths[i]!))
            .join('   ')
            .trimEnd(),
        )
        .join('\n');
    },
  };
}
