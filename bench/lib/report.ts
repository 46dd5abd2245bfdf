/**
 * Figures for the benchmarks: each is printed beside its budget (DESIGN.md "Performance budgets")
 * and written with the machine's description to `bench/results/<name>.json`. A timing never fails
 * the run: "over" is a word in the output, not an exit code.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where results go; `npm run bench -- --quick` points DXC_BENCH_RESULTS_DIR at bench/results/quick. */
export const RESULTS_DIR = process.env.DXC_BENCH_RESULTS_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../results');

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Upper bound from DESIGN.md, same unit; absent when the figure has no budget. */
  readonly budget?: number;
  /** Lower bound (throughput, connection counts); same unit. */
  readonly floor?: number;
  readonly note?: string;
}

/** The commit measured (`git rev-parse --short HEAD`, read only); the working tree may differ from it. */
export function commit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: path.dirname(fileURLToPath(import.meta.url)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The machine and its load when the run started: absolute times drift with both. */
export function machine(): Record<string, unknown> {
  return {
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((n) => Number(n.toFixed(2))),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

function verdict(figure: Figure): string {
  if (figure.budget !== undefined) {
    const ratio = figure.value / figure.budget;
    return figure.value <= figure.budget ? `within budget ${figure.budget} ${figure.unit}` : `OVER budget ${figure.budget} ${figure.unit} (×${ratio.toFixed(2)})`;
  }
  if (figure.floor !== undefined) {
    return figure.value >= figure.floor ? `meets ≥ ${figure.floor} ${figure.unit}` : `BELOW ${figure.floor} ${figure.unit} (×${(figure.value / figure.floor).toFixed(2)})`;
  }
  return '';
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Collects figures for one benchmark and writes them at the end. */
export class Report {
  readonly figures: Figure[] = [];
  readonly extra: Record<string, unknown> = {};
  readonly started = new Date();
  private readonly machineAtStart = machine();
  /** HEAD when the run started (others may commit while it runs). */
  private readonly commitAtStart = commit();

  constructor(
    readonly name: string,
    readonly command: string,
  ) {
    console.log(`# ${name} — ${command}`);
    console.log(`# machine: ${JSON.stringify(this.machineAtStart)}`);
  }

  add(figure: Figure): void {
    this.figures.push({ ...figure, value: round(figure.value, 2) });
    const v = verdict(figure);
    console.log(`${figure.name}: ${round(figure.value, 2)} ${figure.unit}${v ? `   [${v}]` : ''}${figure.note ? `   (${figure.note})` : ''}`);
  }

  note(key: string, value: unknown): void {
    this.extra[key] = value;
  }

  write(): string {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${this.name}.json`);
    const body = {
      name: this.name,
      command: this.command,
      commit: this.commitAtStart,
      date: this.started.toISOString(),
      seconds: round((Date.now() - this.started.getTime()) / 1000, 1),
      machine: this.machineAtStart,
      loadAverageAtEnd: os.loadavg().map((n) => Number(n.toFixed(2))),
      figures: this.figures,
      ...this.extra,
    };
    writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
    console.log(`# wrote ${path.relative(process.cwd(), file)}`);
    return file;
  }
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
