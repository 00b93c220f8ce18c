/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: it throws
 * on anything a Prometheus server would refuse (bad names, bad escapes, samples of an
 * undeclared family, TYPE after samples, duplicate series, histograms whose buckets are not
 * cumulative or whose +Inf bucket differs from _count).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  if (text !== "" && !text.endsWith("\n")) throw new Error("exposition must end with a newline");
  text.split("\n").forEach((line, i) => {
    const at = `line ${i + 1}: ${line}`;
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`bad metric name: ${at}`);
      const family = families.get(name) ??
        { name, type: "untyped" as const, help: "", samples: [] };
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`bad type: ${at}`);
        if (family.samples.length) throw new Error(`TYPE after samples: ${at}`);
        family.type = rest as Family["type"];
      } else {
        family.help = rest;
      }
      families.set(name, family);
      return;
    }
    const sample = parseSample(line, at);
    const family = familyOf(families, sample.name);
    if (!family) throw new Error(`sample of an undeclared family: ${at}`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series: ${at}`);
    seen.add(key);
    family.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function familyOf(families: Map<string, Family>, sample: string): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (f && (f.type === "histogram" || f.type === "summary")) return f;
  }
  return undefined;
}

function parseSample(line: string, at: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
  if (!m) throw new Error(`bad sample: ${at}`);
  const [, name, rawLabels, rawValue] = m;
  const labels: Record<string, string> = {};
  if (rawLabels) {
    let rest = rawLabels.slice(1, -1);
    while (rest.length) {
      const lm = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,?)/.exec(rest);
      if (!lm || !LABEL.test(lm[1])) throw new Error(`bad labels: ${at}`);
      if (lm[1] in labels) throw new Error(`repeated label ${lm[1]}: ${at}`);
      labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
      rest = rest.slice(lm[0].length);
      if (rest.length && !lm[3]) throw new Error(`labels not comma-separated: ${at}`);
    }
  }
  const value = rawValue === "+Inf" ? Infinity : rawValue === "-Inf" ? -Infinity : rawValue ===
      "NaN"
    ? NaN
    : Number(rawValue);
  if (Number.isNaN(value) && rawValue !== "NaN") throw new Error(`bad value: ${at}`);
  return { name, labels, value };
}

function checkHistogram(f: Family) {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      entry.buckets.push([le === "+Inf" ? Infinity : Number(le), s.value]);
    } else if (s.name === `${f.name}_count`) {
      entry.count = s.value;
    }
  }
  for (const [key, { buckets, count }] of series) {
    const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i][1] < sorted[i - 1][1]) throw new Error(`${f.name}${key}: buckets decrease`);
    }
    const inf = sorted.at(-1);
    if (!inf || inf[0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    if (inf[1] !== count) {
      throw new Error(`${f.name}${key}: +Inf bucket ${inf[1]} != count ${count}`);
    }
  }
}

/** The value of one series (0 when absent), e.g. `value(m, "http_requests_total", {...})`. */
export function value(
  families: Map<string, Family>,
  sample: string,
  labels: Record<string, string> = {},
): number {
  const family = familyOf(families, sample);
  const match = family?.samples.find((s) =>
    s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  return match?.value ?? 0;
}
