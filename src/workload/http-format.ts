import { Extensions, Lines } from "./lines.ts";
import { checkBody, checkHeader, checkMethod, checkUrl, type Place, type EmitTarget, type TargetDefaults, type TargetSpec } from "./target-spec.ts";

/**
 * vegeta's HTTP targets format, read by vegeta's rules:
 *
 *     # @name create        ← comments start with #; `# @name`/`# @weight` are our extensions
 *     POST http://host/things
 *     Content-Type: application/json
 *     @body.json            ← a body file (relative to the current directory), ends the target
 *
 *     GET http://host/things/1
 *
 * A target is a line `METHOD URL` (the method in capitals), then header lines `Name: value`,
 * comments, and at most one `@file` line, up to a blank line. The line right after `METHOD URL`
 * may start the next target instead. Header names keep their case; the command line's headers
 * come first, then the target's. Where vegeta would send something no server can read (a
 * header name with a space, which is what a target line becomes after a comment without a blank
 * line), this reader stops with the line and what was expected.
 */

const METHOD_LINE = /^[A-Z]+\s/;

/** Reads a body file named by an `@path` line; throws with the reason when it cannot. */
export type BodyReader = (path: string) => Uint8Array;

export function readHttpTargets(lines: Lines, defaults: TargetDefaults, readBody: BodyReader, emit: EmitTarget): void {
  const place = lines.place;
  const extensions = new Extensions();
  for (let line = extensions.nextTarget(lines); line !== null; line = extensions.nextTarget(lines)) {
    const target = requestLine(place, line, defaults);
    const at = place.line;
    readBlock(lines, target, extensions, readBody);
    target.name = extensions.name;
    target.weight = extensions.weight;
    emit(target, at);
    extensions.reset();
  }
}

function requestLine(place: Place, line: string, defaults: TargetDefaults): TargetSpec {
  const space = line.indexOf(" ");
  if (space < 0 || !METHOD_LINE.test(line)) place.fail(`expected a target "METHOD URL" with the method in capitals, got ${JSON.stringify(line)}`);
  return {
    method: checkMethod(place, line.slice(0, space)),
    url: checkUrl(place, line.slice(space + 1)),
    headers: [...defaults.headers],
    body: defaults.body,
    name: null,
    weight: 1,
  };
}

/** Header lines, comments and the body line of one target, up to a blank line. */
function readBlock(lines: Lines, target: TargetSpec, extensions: Extensions, readBody: BodyReader): void {
  const place = lines.place;
  for (let line = lines.next(), first = true; line !== null && line !== ""; line = lines.next(), first = false) {
    if (first && METHOD_LINE.test(line)) {
      lines.back();
      return;
    }
    if (line.startsWith("#")) {
      extensions.read(place, line);
    } else if (line.startsWith("@")) {
      target.body = checkBody(place, bodyFile(place, line.slice(1), readBody));
      return;
    } else {
      target.headers.push(headerLine(place, line));
    }
  }
}

function headerLine(place: Place, line: string): [string, string] {
  const colon = line.indexOf(":");
  const name = colon < 0 ? "" : line.slice(0, colon).trim();
  const value = colon < 0 ? "" : line.slice(colon + 1).trim();
  if (METHOD_LINE.test(line)) place.fail(`expected a header "Name: value", a @body line or a blank line before the next target, got ${JSON.stringify(line)}`);
  if (name === "" || value === "") place.fail(`expected a header "Name: value", got ${JSON.stringify(line)}`);
  return checkHeader(place, name, value);
}

function bodyFile(place: Place, path: string, readBody: BodyReader): Uint8Array {
  try {
    return readBody(path);
  } catch (error) {
    place.fail(`expected a readable body file, cannot read ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
}
