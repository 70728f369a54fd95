/**
 * Cost of recording one latency: LatencyRecorder.record() against hdr-histogram-js's own
 * recordValue(), which it stands in for on the hot path, over 10M realistic values.
 *
 *   bun scripts/bench-stats.ts [records]
 *
 * Values are generated up front (log-uniform 50 µs – 20 ms, the spread of a loopback run) so
 * the timed loops measure recording, not random number generation.
 */
import { createLatencyHistogram, LatencyRecorder } from "../src/stats/histogram.ts";

const recordCount = Number(process.argv[2] ?? 10_000_000);
const VALUE_COUNT = 1 << 20; // a power of two: the loop index wraps with a mask, not a modulo
const VALUE_MASK = VALUE_COUNT - 1;

function makeValuesUs(integers: boolean): Float64Array {
  let state = 12345;
  const random = () => {
    // xorshift32: deterministic, so runs are comparable.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const valuesUs = new Float64Array(VALUE_COUNT);
  for (let i = 0; i < VALUE_COUNT; i++) {
    const valueUs = Math.exp(Math.log(50) + random() * (Math.log(20_000) - Math.log(50)));
    valuesUs[i] = integers ? Math.floor(valueUs) : valueUs;
  }
  return valuesUs;
}

function timeNsPerRecord(record: (valueUs: number) => void, valuesUs: Float64Array): number {
  // Warm-up so the JIT has compiled the loop and the callee before timing starts.
  for (let i = 0; i < 1_000_000; i++) record(valuesUs[i & VALUE_MASK]!);
  const startNs = Bun.nanoseconds();
  for (let i = 0; i < recordCount; i++) record(valuesUs[i & VALUE_MASK]!);
  return (Bun.nanoseconds() - startNs) / recordCount;
}

const integerUs = makeValuesUs(true);
const fractionalUs = makeValuesUs(false);

let sink = 0;
const loopNs = timeNsPerRecord((valueUs) => {
  sink += valueUs;
}, integerUs);

const bare = createLatencyHistogram();
const bareNs = timeNsPerRecord((valueUs) => bare.recordValue(valueUs), integerUs);

const recorder = new LatencyRecorder();
const recorderNs = timeNsPerRecord((valueUs) => recorder.record(valueUs), integerUs);

const fractionalRecorder = new LatencyRecorder();
const fractionalNs = timeNsPerRecord((valueUs) => fractionalRecorder.record(valueUs), fractionalUs);

const format = (ns: number) => `${ns.toFixed(1).padStart(6)} ns/record`;
console.log(`${recordCount.toLocaleString("en-US")} records per measurement, Bun ${Bun.version}`);
console.log(`empty loop (array read + call)        ${format(loopNs)}`);
console.log(`histogram.recordValue (integer µs)    ${format(bareNs)}`);
console.log(`LatencyRecorder.record (integer µs)   ${format(recorderNs)}`);
console.log(`LatencyRecorder.record (fractional)   ${format(fractionalNs)}`);
// Printed so the loops cannot be optimised away.
console.log(`check: ${recorder.histogram.totalCount} recorded, ${recorder.outOfRangeCount} out of range, sink ${sink > 0}`);
