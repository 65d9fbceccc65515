/**
 * A small Prometheus registry with the text exposition format (0.0.4): counters, gauges and
 * fixed-bucket histograms, optionally labelled, plus collectors run at scrape time. Written
 * by hand instead of depending on prom-client, which is being renamed and drops Node
 * versions; the format is small and stable.
 * @module
 */

type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  render(out: string[]): void;
}

/** Prometheus's number spelling: `+Inf`, `-Inf`, `NaN`, otherwise the shortest decimal. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const escapeLabel = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
const escapeHelp = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i]!)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

abstract class Labelled<S> implements Family {
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly series = new Map<string, { values: string[]; state: S }>();

  constructor(name: string, help: string, labelNames: readonly string[]) {
    if (!NAME.test(name)) throw new TypeError(`Invalid metric name "${name}"`);
    for (const l of labelNames) if (!LABEL.test(l) || l.startsWith('__')) throw new TypeError(`Invalid label name "${l}" on metric ${name}`);
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  protected abstract initial(): S;

  protected state(labels: Labels = {}): S {
    const values = this.labelNames.map((n) => {
      const v = labels[n];
      if (v === undefined) throw new TypeError(`Metric ${this.name} needs label "${n}"`);
      return v;
    });
    if (Object.keys(labels).length !== this.labelNames.length) throw new TypeError(`Metric ${this.name} takes labels ${JSON.stringify(this.labelNames)}, got ${JSON.stringify(Object.keys(labels))}`);
    const key = JSON.stringify(values);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { values, state: this.initial() }));
    return s.state;
  }

  /** Forgets every labelled series (e.g. before re-filling a gauge at scrape time). */
  reset(): void {
    this.series.clear();
  }

  abstract render(out: string[]): void;
}

/** A monotonically increasing count. */
export class Counter extends Labelled<{ v: number }> {
  readonly type = 'counter';
  protected initial() {
    return { v: 0 };
  }
  inc(amount = 1, labels?: Labels): void {
    if (amount < 0) throw new RangeError(`Counter ${this.name} cannot decrease (got ${amount})`);
    this.state(labels).v += amount;
  }
  get(labels?: Labels): number {
    return this.state(labels).v;
  }
  render(out: string[]): void {
    if (this.labelNames.length === 0) this.state();
    for (const s of this.series.values()) out.push(`${this.name}${labelText(this.labelNames, s.values)} ${num(s.state.v)}`);
  }
}

/** A value that goes up and down. */
export class Gauge extends Labelled<{ v: number }> {
  readonly type = 'gauge';
  protected initial() {
    return { v: 0 };
  }
  set(value: number, labels?: Labels): void {
    this.state(labels).v = value;
  }
  inc(amount = 1, labels?: Labels): void {
    this.state(labels).v += amount;
  }
  dec(amount = 1, labels?: Labels): void {
    this.state(labels).v -= amount;
  }
  get(labels?: Labels): number {
    return this.state(labels).v;
  }
  render(out: string[]): void {
    if (this.labelNames.length === 0) this.state();
    for (const s of this.series.values()) out.push(`${this.name}${labelText(this.labelNames, s.values)} ${num(s.state.v)}`);
  }
}

/** Observations counted into fixed cumulative buckets, with their sum and count. */
export class Histogram extends Labelled<{ counts: number[]; sum: number; count: number }> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []) {
    super(name, help, labelNames);
    if (buckets.length === 0 || buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) throw new TypeError(`Histogram ${name} needs increasing buckets`);
    this.buckets = buckets.filter((b) => b !== Infinity);
  }
  protected initial() {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }
  observe(value: number, labels?: Labels): void {
    const s = this.state(labels);
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  /** Observes the seconds elapsed until the returned function is called. */
  startTimer(labels?: Labels): () => number {
    const t0 = performance.now();
    return () => {
      const seconds = (performance.now() - t0) / 1000;
      this.observe(seconds, labels);
      return seconds;
    };
  }
  render(out: string[]): void {
    if (this.labelNames.length === 0) this.state();
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, ['le', num(b)])} ${s.state.counts[i]}`));
      out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, ['le', '+Inf'])} ${s.state.count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, s.values)} ${num(s.state.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, s.values)} ${s.state.count}`);
    }
  }
}

/** Exponential buckets: `start`, `start × factor`, … (`count` of them). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => +(start * factor ** i).toPrecision(12));
}

/** Holds metric families and renders them. */
export class Registry {
  readonly #families = new Map<string, Family>();
  readonly #collectors: (() => void)[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames));
  }
  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.#add(new Histogram(name, help, buckets, labelNames));
  }

  /** Runs `collect` before every scrape (to refresh gauges from live state). */
  onCollect(collect: () => void): void {
    this.#collectors.push(collect);
  }

  /** The text exposition of every family, sorted by name. */
  expose(): string {
    for (const c of this.#collectors) c();
    const out: string[] = [];
    for (const f of [...this.#families.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
      f.render(out);
    }
    return `${out.join('\n')}\n`;
  }

  #add<F extends Family>(family: F): F {
    if (this.#families.has(family.name)) throw new Error(`Metric ${family.name} is registered twice`);
    this.#families.set(family.name, family);
    return family;
  }
}

/** The exposition format's content type. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
