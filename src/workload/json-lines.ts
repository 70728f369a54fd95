import { Lines } from "./lines.ts";
import { checkBody, checkHeader, checkMethod, checkName, checkUrl, checkWeight, type Place, type EmitTarget, type TargetDefaults, type TargetSpec } from "./target-spec.ts";

/**
 * vegeta's JSON targets format: one object per line,
 *
 *     {"method": "POST", "url": "http://host/x", "header": {"Content-Type": ["text/plain"]}, "body": "aGk="}
 *
 * `method` and `url` are required; `header` maps names to lists of values; `body` is standard
 * base64 (an empty one means none, so the command line's body is used). Blank lines are skipped.
 * vegeta ignores fields it does not know, so `name` and `weight` (our extensions) leave the file
 * readable by vegeta. Headers: the command line's first, then the target's, in the object's order.
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function readJsonTargets(lines: Lines, defaults: TargetDefaults, emit: EmitTarget): void {
  const place = lines.place;
  for (let line = lines.next(); line !== null; line = lines.next()) {
    if (line !== "") emit(jsonTarget(place, line, defaults), place.line);
  }
}

function jsonTarget(place: Place, line: string, defaults: TargetDefaults): TargetSpec {
  let object: unknown;
  try {
    object = JSON.parse(line);
  } catch (error) {
    place.fail(`expected a JSON object {"method", "url", "header", "body"}: ${(error as Error).message}`);
  }
  if (typeof object !== "object" || object === null || Array.isArray(object)) {
    place.fail(`expected a JSON object {"method", "url", "header", "body"}, got ${line.slice(0, 40)}`);
  }
  const fields = object as Record<string, unknown>;
  const body = base64Body(place, fields.body);
  return {
    method: checkMethod(place, requiredString(place, fields, "method")),
    url: checkUrl(place, requiredString(place, fields, "url")),
    headers: [...defaults.headers, ...headers(place, fields.header)],
    body: body === null ? defaults.body : checkBody(place, body),
    name: optional(fields.name) ? null : checkName(place, expectString(place, fields.name, '"name"')),
    weight: optional(fields.weight) ? 1 : checkWeight(place, String(fields.weight)),
  };
}

const optional = (value: unknown) => value === undefined || value === null;

function requiredString(place: Place, fields: Record<string, unknown>, key: string): string {
  const value = fields[key];
  if (typeof value !== "string" || value === "") place.fail(`expected "${key}", a non-empty string`);
  return value;
}

function expectString(place: Place, value: unknown, what: string): string {
  if (typeof value !== "string") place.fail(`expected ${what} to be a string`);
  return value;
}

function headers(place: Place, header: unknown): [string, string][] {
  if (optional(header)) return [];
  if (typeof header !== "object" || Array.isArray(header)) place.fail('expected "header" to be an object of lists: {"Name": ["value"]}');
  const out: [string, string][] = [];
  for (const [name, values] of Object.entries(header as object)) {
    if (!Array.isArray(values)) place.fail(`expected "header"."${name}" to be a list of strings`);
    for (const value of values) out.push(checkHeader(place, name, expectString(place, value, `each value of "header"."${name}"`)));
  }
  return out;
}

function base64Body(place: Place, body: unknown): Uint8Array | null {
  if (optional(body)) return null;
  const text = expectString(place, body, '"body" (base64)');
  if (!BASE64.test(text)) place.fail('expected "body" to be standard base64 (A–Z a–z 0–9 + /, padded with =)');
  return text === "" ? null : new Uint8Array(Buffer.from(text, "base64"));
}
