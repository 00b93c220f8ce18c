import assert from "node:assert/strict";
import {
  bucketIndex,
  Counter,
  formatValue,
  Gauge,
  Histogram,
  histogramSamples,
  type MetricFamily,
  Registry,
  renderExposition,
} from "#lib/platform/prometheus.ts";
import { parsePrometheusText, value } from "../support/prom_text.ts";

Deno.test("renderExposition: HELP and TYPE per family, a blank line between, a final newline", () => {
  const families: MetricFamily[] = [
    {
      name: "a_total",
      help: "As.",
      type: "counter",
      samples: [{ labels: { x: "1", y: "two" }, value: 3 }, { labels: { x: "2" }, value: 0 }],
    },
    { name: "b", help: "Bs, none yet.", type: "gauge", samples: [] },
    { name: "c", help: "C.", type: "gauge", samples: [{ labels: {}, value: 1.5 }] },
  ];
  assert.equal(
    renderExposition(families),
    [
      "# HELP a_total As.",
      "# TYPE a_total counter",
      'a_total{x="1",y="two"} 3',
      'a_total{x="2"} 0',
      "",
      "# HELP b Bs, none yet.",
      "# TYPE b gauge",
      "",
      "# HELP c C.",
      "# TYPE c gauge",
      "c 1.5",
      "",
    ].join("\n"),
  );
  assert.equal(renderExposition([]), "\n");
});

Deno.test("renderExposition: escapes HELP text and label values as the format asks", () => {
  const text = renderExposition([{
    name: "e",
    help: 'back\\slash and\nnewline, "quotes" kept',
    type: "gauge",
    samples: [{ labels: { route: 'a"b\\c\nd', n: 0.25 }, value: 1 }],
  }]);
  assert.equal(
    text,
    '# HELP e back\\\\slash and\\nnewline, "quotes" kept\n# TYPE e gauge\n' +
      'e{route="a\\"b\\\\c\\nd",n="0.25"} 1\n',
  );
  // A strict parser reads the escaped value back as it was.
  const parsed = parsePrometheusText(text);
  assert.equal(value(parsed, "e", { route: 'a"b\\c\nd', n: "0.25" }), 1);
});

Deno.test("formatValue: infinities and NaN as the format spells them, numbers as JavaScript", () => {
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(-Infinity), "-Inf");
  assert.equal(formatValue(NaN), "NaN");
  assert.equal(formatValue(0), "0");
  assert.equal(formatValue(-0), "0");
  assert.equal(formatValue(42), "42");
  assert.equal(formatValue(0.1 + 0.2), "0.30000000000000004");
  assert.equal(formatValue(1e21), "1e+21");
  assert.equal(formatValue(5e-7), "5e-7");
});

Deno.test("histogramSamples: cumulative buckets with le first, then +Inf, _sum and _count", () => {
  const samples = histogramSamples("h", [0.5, 1], { route: "/x" }, [2, 0, 1], 3.25, 3);
  assert.deepEqual(samples, [
    { metricName: "h_bucket", labels: { le: 0.5, route: "/x" }, value: 2 },
    { metricName: "h_bucket", labels: { le: 1, route: "/x" }, value: 2 },
    { metricName: "h_bucket", labels: { le: "+Inf", route: "/x" }, value: 3 },
    { metricName: "h_sum", labels: { route: "/x" }, value: 3.25 },
    { metricName: "h_count", labels: { route: "/x" }, value: 3 },
  ]);
  assert.equal(
    renderExposition([{ name: "h", help: "H.", type: "histogram", samples }]),
    [
      "# HELP h H.",
      "# TYPE h histogram",
      'h_bucket{le="0.5",route="/x"} 2',
      'h_bucket{le="1",route="/x"} 2',
      'h_bucket{le="+Inf",route="/x"} 3',
      'h_sum{route="/x"} 3.25',
      'h_count{route="/x"} 3',
      "",
    ].join("\n"),
  );
});

Deno.test("bucketIndex: a value on a bound counts in that bound's bucket", () => {
  const bounds = [0.005, 0.01, 1];
  assert.equal(bucketIndex(bounds, 0), 0);
  assert.equal(bucketIndex(bounds, 0.005), 0);
  assert.equal(bucketIndex(bounds, 0.0050001), 1);
  assert.equal(bucketIndex(bounds, 1), 2);
  assert.equal(bucketIndex(bounds, 1.5), 3);
  assert.equal(bucketIndex([], 1), 0);
});

Deno.test("a registry of each kind of metric, exposed as Prometheus reads it", () => {
  const registry = new Registry();
  const holds = registry.register(new Counter("holds_total", "Holds.", ["outcome"]));
  const shed = registry.register(new Counter("shed_total", "Shed."));
  const runs = registry.register(new Counter("runs_total", "Runs.", ["job", "outcome"]));
  const pool = registry.register(new Gauge("pool", "Pool.", ["state"]));
  const backlog = registry.register(new Gauge("backlog", "Backlog."));
  const latency = registry.register(
    new Histogram("latency_seconds", "Latency.", [0.1, 1], ["script"]),
  );
  const batch = registry.register(new Histogram("batch", "Batch.", [1, 10]));

  // Before anything is recorded, metrics without labels show their one series at zero.
  assert.equal(
    registry.text(),
    [
      "# HELP holds_total Holds.\n# TYPE holds_total counter",
      "# HELP shed_total Shed.\n# TYPE shed_total counter\nshed_total 0",
      "# HELP runs_total Runs.\n# TYPE runs_total counter",
      "# HELP pool Pool.\n# TYPE pool gauge",
      "# HELP backlog Backlog.\n# TYPE backlog gauge\nbacklog 0",
      "# HELP latency_seconds Latency.\n# TYPE latency_seconds histogram",
      "# HELP batch Batch.\n# TYPE batch histogram\n" +
      'batch_bucket{le="1"} 0\nbatch_bucket{le="10"} 0\nbatch_bucket{le="+Inf"} 0\n' +
      "batch_sum 0\nbatch_count 0",
    ].join("\n\n") + "\n",
  );

  holds.inc(["taken"]);
  holds.inc(["held"], 2);
  holds.inc(["taken"]);
  shed.inc();
  runs.inc(["expire", "ok"]);
  runs.inc(["expire", "failed"]);
  runs.inc(["expire", "ok"], 0);
  pool.set(["in_use"], 3);
  pool.set(["idle"], 7);
  pool.set(["in_use"], 4); // replaces, keeps its place
  backlog.set([], 12);
  latency.observe(["reserve"], 0.1);
  latency.observe(["reserve"], 0.5);
  latency.observe(["hold"], 2);
  batch.observe([], 10);
  batch.observe([], 1000);

  const text = registry.text();
  assert.equal(
    text,
    [
      '# HELP holds_total Holds.\n# TYPE holds_total counter\nholds_total{outcome="taken"} 2\n' +
      'holds_total{outcome="held"} 2',
      "# HELP shed_total Shed.\n# TYPE shed_total counter\nshed_total 1",
      "# HELP runs_total Runs.\n# TYPE runs_total counter\n" +
      'runs_total{job="expire",outcome="ok"} 1\nruns_total{job="expire",outcome="failed"} 1',
      '# HELP pool Pool.\n# TYPE pool gauge\npool{state="in_use"} 4\npool{state="idle"} 7',
      "# HELP backlog Backlog.\n# TYPE backlog gauge\nbacklog 12",
      "# HELP latency_seconds Latency.\n# TYPE latency_seconds histogram\n" +
      'latency_seconds_bucket{le="0.1",script="reserve"} 1\n' +
      'latency_seconds_bucket{le="1",script="reserve"} 2\n' +
      'latency_seconds_bucket{le="+Inf",script="reserve"} 2\n' +
      'latency_seconds_sum{script="reserve"} 0.6\n' +
      'latency_seconds_count{script="reserve"} 2\n' +
      'latency_seconds_bucket{le="0.1",script="hold"} 0\n' +
      'latency_seconds_bucket{le="1",script="hold"} 0\n' +
      'latency_seconds_bucket{le="+Inf",script="hold"} 1\n' +
      'latency_seconds_sum{script="hold"} 2\n' +
      'latency_seconds_count{script="hold"} 1',
      "# HELP batch Batch.\n# TYPE batch histogram\n" +
      'batch_bucket{le="1"} 0\nbatch_bucket{le="10"} 1\nbatch_bucket{le="+Inf"} 2\n' +
      "batch_sum 1010\nbatch_count 2",
    ].join("\n\n") + "\n",
  );
  // What a strict reader of the format accepts (cumulative buckets, +Inf equal to _count).
  const parsed = parsePrometheusText(text);
  assert.equal(value(parsed, "latency_seconds_count", { script: "reserve" }), 2);
  assert.equal(parsed.get("pool")?.type, "gauge");
  assert.equal(registry.text(), renderExposition(registry.families()));
});

Deno.test("metrics refuse what would corrupt their series", () => {
  const registry = new Registry();
  const c = registry.register(new Counter("c_total", "C."));
  assert.throws(() => c.inc([], -1), RangeError);
  assert.throws(() => c.inc([], NaN), RangeError);
  const h = new Histogram("h", "H.", [1]);
  assert.throws(() => h.observe([], Infinity), RangeError);
  const g = new Gauge("g", "G.");
  assert.throws(() => g.set([], "3" as unknown as number), TypeError);
  assert.throws(() => registry.register(new Counter("c_total", "Again.")), /registered already/);
  assert.equal(registry.get("c_total"), c);
  assert.equal(registry.get("nope"), undefined);
});
