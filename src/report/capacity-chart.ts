import type { CapacityFindings } from "../stats/capacity-findings.ts";
import { formatCount, formatMs } from "../units.ts";
import { compact, type Chart, type Guide, type Point } from "./svg-chart.ts";

/**
 * `bench capacity`'s search as a chart: each probe's p99 against the rate it offered, passes and
 * failures apart, with the SLO as a line across and the capacity found as a line up. Where the
 * failures cross the SLO line, or fall off the rate, is where the server tips.
 */
export function capacityFigure(capacity: CapacityFindings): { title: string; caption: string; chart: Chart } {
  const point = (probe: CapacityFindings["probes"][number]): Point => ({
    x: probe.offeredRps,
    y: probe.p99Ms,
    title: `${probe.step} ${formatCount(probe.rateRps)} req/s for ${probe.durationS} s: p99 ${formatMs(probe.p99Ms)} ms, achieved ${formatCount(probe.achievedRps)} req/s${probe.pass ? ", pass" : `: ${probe.reasons.join("; ")}`}`,
  });
  const measured = capacity.probes.filter((probe) => probe.requests > 0);
  const byRate = (a: Point, b: Point) => a.x - b.x;
  const guides: Guide[] = [{ axis: "y", value: capacity.slo.p99Ms, label: `SLO p99 ${formatMs(capacity.slo.p99Ms)} ms` }];
  if (capacity.capacityRps !== null) guides.push({ axis: "x", value: capacity.capacityRps, label: `capacity ${compact(capacity.capacityRps)} req/s` });
  const found = capacity.capacityRps === null ? "No rate met the SLO." : `The capacity found: ${formatCount(capacity.capacityRps)} req/s.`;
  return {
    title: "Capacity search: p99 vs offered rate",
    caption: `Each probe's p99 (from the intended send times) at the rate it offered; green passed, red failed. ${found}`,
    chart: {
      width: 720,
      height: 340,
      x: { label: "offered rate (req/s)", format: compact, min: 0, pad: 0.05 },
      y: { label: "p99 latency (ms)", format: compact, min: 0 },
      series: [
        { label: "passed", color: "#059669", noLine: true, points: measured.filter((probe) => probe.pass).map(point).sort(byRate) },
        { label: "failed", color: "#dc2626", noLine: true, dashed: true, points: measured.filter((probe) => !probe.pass).map(point).sort(byRate) },
      ],
      guides,
    },
  };
}
