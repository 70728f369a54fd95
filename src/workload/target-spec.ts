import { UsageError } from "../errors.ts";
import { placeholderProblem } from "./placeholders.ts";
import { parseTargetUrl, type TargetUrl } from "./target-url.ts";

/**
 * One request of a workload as a targets file describes it, before it is encoded: what the three
 * readers (vegeta's HTTP and JSON formats, a plain URL list) decode to, and what the request pool
 * encodes once. Every reader checks what it makes here, so a target that reaches the pool can be
 * sent: an http(s) URL, a method and header names that are tokens, values without control bytes.
 */
export interface TargetSpec {
  method: string;
  url: TargetUrl;
  /** In file order, names as written: vegeta keeps the case, for servers that care. */
  headers: [name: string, value: string][];
  /** null: no body (and no Content-Length unless the method expects content). */
  body: Uint8Array | null;
  /** `# @name` / `"name"`: the name per-target results are kept under. */
  name: string | null;
  /** `# @weight` / `"weight"`: relative share of the requests. */
  weight: number;
}

/** What every target gets unless it says otherwise: the `--header` and `--body` of the command line. */
export interface TargetDefaults {
  method: string;
  headers: [string, string][];
  body: Uint8Array | null;
}

/** Takes each target as it is read, with the line it begins on. */
export type EmitTarget = (target: TargetSpec, line: number) => void;

export const NO_DEFAULTS: TargetDefaults = { method: "GET", headers: [], body: null };

export const MAX_WEIGHT = 1_000_000;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values: visible bytes, SP, HTAB and obs-text; no other control byte (RFC 9110 §5.5). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\uffff]*$/;

/** Where a reader is: the file's name for messages (`stdin` for `-`) and the line being read. */
export class Place {
  line = 0;
  constructor(readonly file: string) {}

  /** A set-up failure at the current line, worded as what was expected there. */
  fail(expected: string): never {
    throw new UsageError(`${this.file}:${this.line}: ${expected}`);
  }
}

export function checkMethod(place: Place, method: string): string {
  if (!TOKEN.test(method)) place.fail(`expected an HTTP method (a token such as GET), got ${JSON.stringify(method)}`);
  return method;
}

/** An absolute http:// or https:// URL whose placeholders are well formed. */
export function checkUrl(place: Place, text: string): TargetUrl {
  const url = parseTargetUrl(text);
  if (url === null) place.fail(`expected an http:// or https:// URL, got ${JSON.stringify(text)}`);
  checkPlaceholders(place, text);
  return url;
}

export function checkHeader(place: Place, name: string, value: string): [string, string] {
  if (!TOKEN.test(name)) place.fail(`expected a header "Name: value" whose name is a token, got ${JSON.stringify(name)}`);
  if (!FIELD_VALUE.test(value)) place.fail(`expected a header value without control characters, got ${JSON.stringify(value)}`);
  if (name.toLowerCase() === "transfer-encoding") place.fail("expected no Transfer-Encoding header: bodies are sent with Content-Length");
  checkPlaceholders(place, value);
  return [name, value];
}

export function checkBody(place: Place, body: Uint8Array): Uint8Array {
  checkPlaceholders(place, Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("latin1"));
  return body;
}

export function checkName(place: Place, name: string): string {
  if (!/^\S{1,64}$/.test(name)) place.fail(`expected a target name of 1 to 64 characters without spaces, got ${JSON.stringify(name)}`);
  return name;
}

export function checkWeight(place: Place, text: string): number {
  const weight = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(weight >= 1 && weight <= MAX_WEIGHT)) place.fail(`expected a weight from 1 to ${MAX_WEIGHT.toLocaleString("en-US")}, got ${JSON.stringify(text)}`);
  return weight;
}

function checkPlaceholders(place: Place, text: string): void {
  const problem = placeholderProblem(text);
  if (problem !== null) place.fail(problem);
}
