/**
 * A small Prometheus registry: counters, gauges and fixed-bucket histograms with labels, and the
 * text exposition format 0.0.4: what lib/platform/metrics.ts needs, in place of prom-client (three
 * npm packages less to load at boot). The text is the one prom-client wrote: a HELP and a TYPE
 * line per family, families apart by one blank line, series in the order they first appeared, a
 * histogram series as its cumulative buckets (`le` first among the labels), then `+Inf`, `_sum`
 * and `_count`.
 *
 * Recording costs one Map lookup by the label values (joined when there are several), and no
 * validation of label names: the label sets are fixed where each metric is declared.
 *
 * ```ts
 * const registry = new Registry();
 * const holds = registry.register(new Counter("holds_total", "Seat holds", ["outcome"]));
 * holds.inc(["held"]);
 * registry.text(); // "# HELP holds_total Seat holds\n# TYPE holds_total counter\n..."
 * ```
 */

/** The media type of the text format that `renderExposition` writes. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge" | "histogram";
export type Labels = Record<string, string | number>;

/** One line of a family: histograms name theirs `<name>_bucket` (with `le`), `_sum`, `_count`. */
export interface Sample {
  metricName?: string;
  labels: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly Sample[];
}

/** A metric the registry can read at scrape time. */
export interface Collector {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  collect(): Sample[];
}

// ------------------------------------------------------------------ exposition

/** The text exposition (0.0.4) of `families`, in their order. Pure. */
export function renderExposition(families: readonly MetricFamily[]): string {
  return families.map(renderFamily).join("\n\n") + "\n";
}

function renderFamily(family: MetricFamily): string {
  const name = escapeText(family.name);
  const lines = [`# HELP ${name} ${escapeText(family.help)}`, `# TYPE ${name} ${family.type}`];
  for (const s of family.samples) {
    const pairs = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
    const labels = pairs.length ? `{${pairs.join(",")}}` : "";
    lines.push(`${s.metricName ?? name}${labels} ${formatValue(s.value)}`);
  }
  return lines.join("\n");
}

/** HELP text: backslash and line feed escaped. */
function escapeText(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Label values: backslash, line feed and double quote escaped; numbers as JavaScript writes them. */
function escapeLabelValue(v: string | number): string {
  return typeof v === "string" ? escapeText(v).replace(/"/g, '\\"') : String(v);
}

/**
 * A sample value: `+Inf`, `-Inf` and `NaN` as the format spells them (prom-client wrote `Nan`,
 * which Prometheus reads the same), others as JavaScript writes numbers.
 */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/**
 * The samples of one histogram series. `counts` holds one count per bound of `bounds`, then one
 * for values above the last bound: not cumulative (this adds them up).
 */
export function histogramSamples(
  name: string,
  bounds: readonly number[],
  labels: Labels,
  counts: readonly number[],
  sum: number,
  count: number,
): Sample[] {
  const bucket = `${name}_bucket`;
  const out: Sample[] = [];
  let acc = 0;
  for (let i = 0; i < bounds.length; i++) {
    acc += counts[i];
    out.push({ metricName: bucket, labels: { le: bounds[i], ...labels }, value: acc });
  }
  out.push(
    { metricName: bucket, labels: { le: "+Inf", ...labels }, value: count },
    { metricName: `${name}_sum`, labels, value: sum },
    { metricName: `${name}_count`, labels, value: count },
  );
  return out;
}

/** Index of the first bound `value` is at or below; `bounds.length` when above them all. */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let i = 0;
  while (i < bounds.length && value > bounds[i]) i++;
  return i;
}

// ------------------------------------------------------------------ registry

export class Registry {
  readonly #metrics = new Map<string, Collector>();

  /** Adds `metric` (its name must be new) and returns it. */
  register<T extends Collector>(metric: T): T {
    if (this.#metrics.has(metric.name)) {
      throw new Error(`metric ${metric.name} is registered already`);
    }
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  get(name: string): Collector | undefined {
    return this.#metrics.get(name);
  }

  /** Every metric's current samples, in the order the metrics were registered. */
  families(): MetricFamily[] {
    return [...this.#metrics.values()].map((m) => ({
      name: m.name,
      help: m.help,
      type: m.type,
      samples: m.collect(),
    }));
  }

  text(): string {
    return renderExposition(this.families());
  }
}

// ------------------------------------------------------------------ metrics

/**
 * Series by label values, in order of first appearance. A metric without labels has its one
 * series from the start, so it is exposed (at zero) before anything is recorded.
 */
class SeriesMap<S> {
  readonly #series = new Map<string, { labels: Labels; data: S }>();

  constructor(readonly labelNames: readonly string[], readonly make: () => S) {
    if (labelNames.length === 0) this.#series.set("", { labels: {}, data: make() });
  }

  /** The series of `values` (one per label name, in their order), created on first use. */
  at(values: readonly string[]): S {
    const key = values.length === 1 ? values[0] : values.join("\u0000");
    let s = this.#series.get(key);
    if (!s) {
      const labels: Labels = {};
      this.labelNames.forEach((n, i) => labels[n] = values[i]);
      s = { labels, data: this.make() };
      this.#series.set(key, s);
    }
    return s.data;
  }

  entries(): { labels: Labels; data: S }[] {
    return [...this.#series.values()];
  }
}

const NO_LABELS: readonly string[] = [];

/** A count that only goes up. */
export class Counter implements Collector {
  readonly type = "counter";
  readonly #series: SeriesMap<{ value: number }>;

  constructor(readonly name: string, readonly help: string, labelNames = NO_LABELS) {
    this.#series = new SeriesMap(labelNames, () => ({ value: 0 }));
  }

  /** Adds `by` (1 unless said) to the series of `labelValues`; a counter never goes down. */
  inc(labelValues = NO_LABELS, by = 1): void {
    if (!(by >= 0)) throw new RangeError(`counter ${this.name} cannot add ${by}`);
    this.#series.at(labelValues).value += by;
  }

  collect(): Sample[] {
    return this.#series.entries().map((s) => ({ labels: s.labels, value: s.data.value }));
  }
}

/** A value set as it is now (e.g. at scrape time). */
export class Gauge implements Collector {
  readonly type = "gauge";
  readonly #series: SeriesMap<{ value: number }>;

  constructor(readonly name: string, readonly help: string, labelNames = NO_LABELS) {
    this.#series = new SeriesMap(labelNames, () => ({ value: 0 }));
  }

  set(labelValues: readonly string[], value: number): void {
    // Not a hot path; a source that hands back a string is a bug worth hearing of.
    if (typeof value !== "number") throw new TypeError(`gauge ${this.name}: not a number`);
    this.#series.at(labelValues).value = value;
  }

  collect(): Sample[] {
    return this.#series.entries().map((s) => ({ labels: s.labels, value: s.data.value }));
  }
}

interface HistogramSeries {
  /** Per bound, then one for larger values (not cumulative). */
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into fixed buckets, with their sum and count. */
export class Histogram implements Collector {
  readonly type = "histogram";
  readonly #series: SeriesMap<HistogramSeries>;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
    labelNames = NO_LABELS,
  ) {
    this.#series = new SeriesMap(labelNames, () => ({
      counts: new Array(bounds.length + 1).fill(0),
      sum: 0,
      count: 0,
    }));
  }

  observe(labelValues: readonly string[], value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`histogram ${this.name}: ${value}`);
    const s = this.#series.at(labelValues);
    s.counts[bucketIndex(this.bounds, value)]++;
    s.sum += value;
    s.count++;
  }

  collect(): Sample[] {
    return this.#series.entries().flatMap(({ labels, data }) =>
      histogramSamples(this.name, this.bounds, labels, data.counts, data.sum, data.count)
    );
  }
}
