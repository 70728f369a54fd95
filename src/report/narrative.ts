import type { GroupSummary } from "../stats/summary.ts";
import { totalErrors } from "../stats/summary.ts";
import { formatCount, formatLatency, formatPercent } from "../units.ts";
import type { PresetFindings } from "../stats/document.ts";

/**
 * What a preset found, in words: the capacity, and how the server held up at each open-loop level,
 * e.g. "at 110% of capacity 8% of requests were dropped and p99 rose from 2 ms to 340 ms".
 */
export function presetNarrative(preset: PresetFindings, groups: readonly GroupSummary[]): string {
  const lines = [`capacity (best closed-loop throughput): ${formatCount(preset.capacityRps)} req/s`];
  const levelGroups = preset.levels.flatMap((level) => {
    const group = groups.find((g) => g.phase === "open" && g.targetRps === level.targetRps);
    return group ? [{ level, group }] : [];
  });
  for (const { level, group } of levelGroups) {
    const offered = group.requests + group.dropped;
    const dropped = offered > 0 ? group.dropped / offered : 0;
    const errors = group.requests > 0 ? totalErrors(group.errors) / group.requests : 0;
    const parts = [
      `achieved ${formatCount(group.achievedRps ?? 0)} of ${formatCount(level.targetRps)} req/s`,
      `p50 ${formatLatency(group.latencyMs.p50)}, p99 ${formatLatency(group.latencyMs.p99)}`,
      dropped > 0 ? `${formatPercent(dropped)} dropped` : "",
      errors > 0 ? `${formatPercent(errors)} errors` : "",
    ].filter(Boolean);
    lines.push(`at ${Math.round(level.fraction * 100)}% of capacity: ${parts.join(", ")}`);
  }
  const first = levelGroups[0];
  const last = levelGroups.at(-1);
  if (first && last && first !== last) {
    const offered = last.group.requests + last.group.dropped;
    const dropped = offered > 0 ? last.group.dropped / offered : 0;
    const droppedText = dropped > 0 ? `${formatPercent(dropped)} of requests were dropped and ` : "no request was dropped and ";
    lines.push(
      `→ at ${Math.round(last.level.fraction * 100)}% of capacity ${droppedText}p99 went from ${formatLatency(first.group.latencyMs.p99)} ` +
        `(at ${Math.round(first.level.fraction * 100)}%) to ${formatLatency(last.group.latencyMs.p99)}`,
    );
  }
  return lines.join("\n");
}

