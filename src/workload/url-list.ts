import { Extensions, Lines } from "./lines.ts";
import { checkUrl, type EmitTarget, type TargetDefaults } from "./target-spec.ts";

/**
 * oha's URL list: one URL per line, each sent with the command line's method, headers and body.
 * Blank lines and `#` comments are skipped; `# @name` and `# @weight` apply to the next URL.
 */
export function readUrlList(lines: Lines, defaults: TargetDefaults, emit: EmitTarget): void {
  const place = lines.place;
  const extensions = new Extensions();
  for (let line = extensions.nextTarget(lines); line !== null; line = extensions.nextTarget(lines)) {
    const { method, headers, body } = defaults;
    emit({ method, url: checkUrl(place, line), headers, body, name: extensions.name, weight: extensions.weight }, place.line);
    extensions.reset();
  }
}
