import type { GroupSummary } from "../stats/summary.ts";
import { pointVerdict, totalErrors } from "../stats/summary.ts";
import type { RunResult } from "../stats/result.ts";
import { formatCount, formatLatency, formatMs, formatPercent } from "../units.ts";
import type { CapacityFindings } from "../stats/capacity-findings.ts";
import { capacityExceeded, type PresetFindings } from "../stats/document.ts";
import { droppedNote } from "../stats/warnings.ts";
import type { Limit } from "../stats/sustained.ts";

/**
 * What a preset found, in words: the capacity, and how the server held up at each open-loop level.
 * A level that was not sustained says so first, in plain words, before any percentile:
 * "at 110% of capacity: could not sustain 157,434 req/s: 41% of scheduled requests were never sent".
 */
export function presetNarrative(preset: PresetFindings, groups: readonly GroupSummary[], runs: readonly RunResult[]): string {
  const how = preset.calibration === "capacity" ? "highest open-loop rate within the SLO" : "best closed-loop throughput";
  const lines = [`capacity (${how}): ${formatCount(preset.capacityRps)} req/s`];
  const levelGroups = preset.levels.flatMap((level) => {
    const group = groups.find((g) => g.phase === "open" && g.targetRps === level.targetRps);
    return group ? [{ level, group }] : [];
  });
  for (const { level, group } of levelGroups) {
    const at = `at ${Math.round(level.fraction * 100)}% of capacity`;
    const verdict = pointVerdict(runs.filter((run) => run.phase === "open" && run.targetRps === level.targetRps));
    const errors = group.requests > 0 ? totalErrors(group.errors) / group.requests : 0;
    const latency = `p50 ${formatLatency(group.latencyMs.p50)}, p99 ${formatLatency(group.latencyMs.p99)}${group.dropped > 0 ? ` (${droppedNote(group.dropped)})` : ""}`;
    if (verdict && !verdict.sustained) {
      const [headline, ...shortfall] = verdict.shortfall;
      lines.push(`${at}: ${headline}: ${shortfall.join(", ")}`);
      if (verdict.limit) lines.push(`  the limit: ${limitWords(verdict.limit.by)}${verdict.limit.evidence.map((e) => `\n    ${e}`).join("")}`);
      lines.push(`  of the requests sent: ${latency}${errors > 0 ? `, ${formatPercent(errors)} errors` : ""}`);
    } else {
      const parts = [`sustained ${formatCount(level.targetRps)} req/s (achieved ${formatCount(group.achievedRps ?? 0)})`, latency, errors > 0 ? `${formatPercent(errors)} errors` : ""];
      lines.push(`${at}: ${parts.filter(Boolean).join(", ")}`);
    }
    const exceeded = capacityExceeded(preset, group);
    if (exceeded) lines.push(`  ${exceeded}`);
  }
  const first = levelGroups[0];
  const last = levelGroups.at(-1);
  if (first && last && first !== last) {
    const held = last.group.sustained === false ? "was not sustained" : "was sustained";
    lines.push(
      `→ ${Math.round(last.level.fraction * 100)}% of capacity ${held}; p99 went from ${formatLatency(first.group.latencyMs.p99)} ` +
        `(at ${Math.round(first.level.fraction * 100)}%) to ${formatLatency(last.group.latencyMs.p99)}${last.group.dropped > 0 ? ", not counting the dropped requests" : ""}`,
    );
  }
  return lines.join("\n");
}

export function limitWords(by: Limit): string {
  return by === "unknown" ? "not clear from what was measured" : `the ${by}`;
}

/** The capacity in plain words: the rate, the SLO it was held to, and how the search got there. */
export function capacityNarrative(capacity: CapacityFindings): string {
  const { slo } = capacity;
  const within = `p99 ≤ ${formatMs(slo.p99Ms)} ms${slo.errorRate > 0 ? `, errors ≤ ${formatPercent(slo.errorRate)}` : ", no errors"}`;
  const how = `${capacity.probes.length} probe${capacity.probes.length === 1 ? "" : "s"}, from a closed-loop estimate of ${formatCount(capacity.estimateRps)} req/s`;
  if (capacity.capacityRps === null) return `no capacity found within ${within}: ${capacity.conclusion} (${how})`;
  const lowestFailed = capacity.probes.filter((probe) => !probe.pass && probe.rateRps > capacity.capacityRps!).sort((a, b) => a.rateRps - b.rateRps)[0];
  const lines = [
    `capacity: ${formatCount(capacity.capacityRps)} req/s within ${within} (open loop, latency from the intended send times)`,
    `  ${capacity.conclusion}; found in ${how}`,
  ];
  if (lowestFailed) lines.push(`  the next rate up, ${formatCount(lowestFailed.rateRps)} req/s, failed: ${lowestFailed.reasons.join("; ")}`);
  return lines.join("\n");
}
