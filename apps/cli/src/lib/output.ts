// Plain-text tables and a progress bar, without dependencies.

/** Rows as aligned columns under upper-case headers. */
export function formatTable<T extends Record<string, unknown>>(rows: T[], columns: { key: keyof T & string; header?: string }[]): string {
  const headers = columns.map((c) => (c.header ?? c.key).toUpperCase());
  const cells = rows.map((row) => columns.map((c) => String(row[c.key] ?? '')));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

const BAR_WIDTH = 30;

/**
 * A progress bar on stderr. At a terminal it redraws one line in place; elsewhere (logs, pipes)
 * it prints one line when the work is done, so logs do not fill with redraws.
 */
export class ProgressBar {
  private readonly label: string;
  private readonly total: number;
  private readonly stream: NodeJS.WriteStream;
  private done = 0;

  constructor(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.label = label;
    this.total = total;
    this.stream = stream;
    if (this.stream.isTTY) this.draw();
  }

  tick(): void {
    this.done = Math.min(this.total, this.done + 1);
    if (this.stream.isTTY) this.draw();
  }

  stop(): void {
    if (this.stream.isTTY) this.stream.write('\n');
    else this.stream.write(`${this.render()}\n`);
  }

  private draw(): void {
    this.stream.write(`\r${this.render()}`);
  }

  private render(): string {
    const filled = this.total ? Math.round((this.done / this.total) * BAR_WIDTH) : BAR_WIDTH;
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${this.done}/${this.total}`;
  }
}
