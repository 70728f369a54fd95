import { readFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import type { Order, Picker } from "./order.ts";
import { originText, PoolBuilder } from "./pool.ts";
import { checkBody, checkHeader, checkMethod, checkName, checkUrl, checkWeight, Place, type TargetDefaults, type TargetSpec } from "./target-spec.ts";
import type { WorkloadPlan } from "./workload.ts";

/**
 * A workload module (`--script workload.ts`, TypeScript or JavaScript), loaded from disk at run
 * time by Bun itself, once per thread:
 *
 *     export async function targets() { return [{ url: "http://127.0.0.1:8080/", name: "home" }]; }
 *     export function pick(i) { return i % 3; }                 // optional: which target next
 *     export function check(response) { return response.status === 200 || "status"; } // optional
 *
 * `targets()` runs before the clock starts and its targets go into the request pool like a
 * targets file's, checked by the same rules. `pick` runs per request and `check` per response:
 * they cost what JavaScript calls cost, and `check` a copy of each response. A module exporting
 * `request(i)` (each request built at run time) is refused: targets() with placeholders covers
 * values that differ per request, at no cost per request.
 *
 * A script that cannot be loaded, throws, or returns something wrong stops the run with its
 * FILE:LINE (the throwing frame, else the function's declaration) and exit 2.
 */

/** `pick(i)` as the engine's picker; a script error ends the run and waits here to be raised. */
export interface ScriptPicker extends Picker {
  failure: UsageError | null;
}

/** A target as a script writes it. */
export interface ScriptTarget {
  method?: string;
  url: string;
  headers?: Record<string, string | string[]>;
  body?: string | Uint8Array;
  name?: string;
  weight?: number;
}

/** What `check(response)` is given. `headers` and `body` are decoded when first read. */
export interface ScriptResponse {
  readonly status: number;
  /** Lower-case names; repeated fields joined with ", ". */
  readonly headers: Record<string, string>;
  /** The body as UTF-8 text. */
  readonly body: string;
  readonly bodyBytes: Uint8Array;
}

const FUNCTIONS = ["targets", "pick", "check", "request"] as const;
type FunctionName = (typeof FUNCTIONS)[number];
const TARGET_KEYS = new Set(["method", "url", "headers", "body", "name", "weight"]);

/** Where minibench's own code is: frames there are not the script's. */
const OWN_CODE = dirname(import.meta.dir);

export class WorkloadScript {
  private constructor(
    /** As the user gave it, for messages. */
    readonly file: string,
    private readonly source: string,
    private readonly exports: Partial<Record<FunctionName, (...args: never[]) => unknown>>,
  ) {}

  /** Imports the module; refuses one that does not load or exports neither `targets` nor `request` (refused later, by name). */
  static async load(file: string): Promise<WorkloadScript> {
    const path = resolve(file);
    let source: string;
    try {
      source = readFileSync(path, "utf8");
    } catch (error) {
      throw new UsageError(`--script: cannot read ${JSON.stringify(file)}: ${(error as Error).message}`);
    }
    let module: Record<string, unknown>;
    try {
      module = await import(path);
    } catch (error) {
      throw new UsageError(loadFailure(file, path, error));
    }
    const exports: Partial<Record<FunctionName, (...args: never[]) => unknown>> = {};
    for (const name of FUNCTIONS) {
      const value = module[name];
      if (value === undefined) continue;
      if (typeof value !== "function") throw new UsageError(`${file}: expected the export "${name}" to be a function, got ${typeof value}`);
      exports[name] = value as (...args: never[]) => unknown;
    }
    if (exports.targets === undefined && exports.request === undefined) {
      throw new UsageError(`${file}: expected the module to export a function targets(), it exports ${describeExports(module)}`);
    }
    return new WorkloadScript(file, source, exports);
  }

  get hasTargets(): boolean {
    return this.exports.targets !== undefined;
  }

  /** `request(i)`, which builds requests at run time, is not supported: a script exporting it is refused. */
  get hasRequest(): boolean {
    return this.exports.request !== undefined;
  }

  get hasPick(): boolean {
    return this.exports.pick !== undefined;
  }

  get hasCheck(): boolean {
    return this.exports.check !== undefined;
  }

  /** Calls `targets()` (awaited) and hands each target to `emit`, checked as a targets file's are; returns how many. */
  async targets(defaults: TargetDefaults, emit: (target: TargetSpec) => void): Promise<number> {
    const targets = this.exports.targets;
    if (targets === undefined) return 0;
    let list: unknown;
    try {
      list = await (targets as () => unknown)();
    } catch (error) {
      throw this.failure("targets", "targets() threw", error);
    }
    const place: ScriptPlace = new ScriptPlace(this.file, this.line("targets"), "targets()");
    if (!Array.isArray(list)) place.fail(`expected an array of targets, got ${describe(list)}`);
    if (list.length === 0) place.fail("expected at least one target, got an empty array");
    for (let i = 0; i < list.length; i++) {
      place.at = `[${i}]`;
      emit(toSpec(place, list[i], defaults));
    }
    return list.length;
  }

  /**
   * `pick(i)` as a picker over `count` targets: request number i (`first`, then every `step`, so
   * threads never share a number) goes to the target it returns; -1 ends the run as `once` does.
   * A throw or a bad index ends it too (nothing is thrown from the engine's callbacks): the run
   * stops sending, and `failure` says why, for the run to raise once its requests are answered.
   */
  picker(count: number, first = 0, step = 1): ScriptPicker {
    const pick = this.exports.pick as ((i: number) => unknown) | undefined;
    if (pick === undefined) throw new Error("picker() of a script without pick()");
    const line = this.line("pick");
    let i = first;
    const picker: ScriptPicker = {
      failure: null,
      next: () => {
        if (picker.failure !== null) return -1;
        const at = i;
        i += step;
        let target: unknown;
        try {
          target = pick(at);
        } catch (error) {
          picker.failure = this.failure("pick", `pick(${at}) threw`, error);
          return -1;
        }
        // One comparison on the usual path: an integer index in range.
        if (Number.isInteger(target) && (target as number) >= -1 && (target as number) < count) return target as number;
        picker.failure = new UsageError(`${this.where(line)}: pick(${at}): expected a target index from 0 to ${count - 1} (or -1 to stop), got ${describe(target)}`);
        return -1;
      },
    };
    return picker;
  }

  /** The run's `check(response)` with its counters; null without one. */
  check(): ScriptCheck | null {
    const check = this.exports.check as ((response: ScriptResponse) => unknown) | undefined;
    return check === undefined ? null : new ScriptCheck(this, check);
  }

  /** The line `name` is declared on, or 0 when the source does not say plainly. */
  line(name: FunctionName): number {
    const declaration = new RegExp(String.raw`(?:function\s*\*?\s*${name}\s*\(|(?:const|let|var)\s+${name}\s*[=:])`).exec(this.source);
    return declaration === null ? 0 : this.source.slice(0, declaration.index).split("\n").length;
  }

  where(line: number): string {
    return line > 0 ? `${this.file}:${line}` : this.file;
  }

  /** A set-up failure for an exception out of `name`: at the script's frame that threw, else at `name`'s declaration. */
  failure(name: FunctionName, what: string, error: unknown): UsageError {
    const frame = scriptFrame(error);
    const where = frame === null ? this.where(this.line(name)) : `${shown(this.file, frame.file)}:${frame.line}`;
    return new UsageError(`${where}: ${what}: ${errorText(error)}`);
  }
}

export interface ScriptWorkloadFlags {
  /** As the user gave it. */
  path: string;
  order: Order;
  seed: number;
  maxPoolBytes: number;
  keepAlive: boolean;
  defaults: TargetDefaults;
}

/**
 * `--script`: the module's `targets()` called once, before anything starts, and encoded into the
 * request pool a targets file would make; the threads get that pool and load the module
 * themselves for `pick(i)`. Every target must go to one origin, as a targets file's.
 */
export async function loadScriptWorkload(flags: ScriptWorkloadFlags): Promise<WorkloadPlan> {
  const script = await WorkloadScript.load(flags.path);
  if (script.hasRequest) {
    throw new UsageError(
      `${script.where(script.line("request"))}: request(i) (requests built at run time) is not supported: return the requests from targets(), with {{seq}}, {{rand:N}} or {{uuid}} where a value must differ per request`,
    );
  }
  if (!script.hasTargets) throw new UsageError(`${flags.path}: expected the module to export a function targets()`);
  const builder = new PoolBuilder(flags.keepAlive, flags.maxPoolBytes);
  let index = 0;
  await script.targets(flags.defaults, (spec) => builder.add(spec, index++));
  const pool = builder.build();
  if (pool.origins.length > 1) {
    const [first, second] = [0, 1].map((i) => `${originText(pool.origins[i]!)} (targets()[${pool.originLines[i]}])`);
    throw new UsageError(
      `${script.where(script.line("targets"))}: targets()[${pool.originLines[1]}]: expected every target on one origin, as the first: ${first}, but this one is on ${second}; run one bench per origin`,
    );
  }
  return { file: flags.path, pool, order: flags.order, seed: flags.seed, script: { pick: script.hasPick, check: script.hasCheck } };
}

/**
 * A targets-file place for a script's return value: the line is the function's, and what is
 * wrong is named by where in the value it is: `workload.ts:3: targets()[2].url: expected …`.
 */
class ScriptPlace extends Place {
  at = "";
  field = "";

  constructor(
    file: string,
    line: number,
    private readonly call: string,
  ) {
    super(file);
    this.line = line;
  }

  override fail(expected: string): never {
    const where = this.line > 0 ? `${this.file}:${this.line}` : this.file;
    throw new UsageError(`${where}: ${this.call}${this.at}${this.field}: ${expected}`);
  }
}

function toSpec(place: ScriptPlace, value: unknown, defaults: TargetDefaults): TargetSpec {
  place.field = "";
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array || thenable(value)) {
    place.fail(`expected a target {url, method?, headers?, body?, name?, weight?}, got ${describe(value)}`);
  }
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (!TARGET_KEYS.has(key)) place.fail(`expected only url, method, headers, body, name and weight, got ${JSON.stringify(key)}`);
  const { method, url, headers, body, name, weight } = fields;
  place.field = ".url";
  const spec: TargetSpec = { method: defaults.method, url: checkUrl(place, expectString(place, url)), headers: [...defaults.headers], body: defaults.body, name: null, weight: 1 };
  place.field = ".method";
  if (method !== undefined) spec.method = checkMethod(place, expectString(place, method));
  place.field = ".headers";
  if (headers !== undefined) spec.headers.push(...headerList(place, headers));
  place.field = ".body";
  if (body !== undefined) spec.body = checkBody(place, bodyBytes(place, body));
  place.field = ".name";
  if (name !== undefined) spec.name = checkName(place, expectString(place, name));
  place.field = ".weight";
  if (weight !== undefined) spec.weight = checkWeight(place, typeof weight === "number" ? String(weight) : describe(weight));
  return spec;
}

function expectString(place: ScriptPlace, value: unknown): string {
  if (typeof value !== "string") place.fail(`expected a string, got ${describe(value)}`);
  return value;
}

function headerList(place: ScriptPlace, headers: unknown): [string, string][] {
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    place.fail(`expected an object of header values {"Name": "value" or ["value", …]}, got ${describe(headers)}`);
  }
  const out: [string, string][] = [];
  const field = place.field;
  for (const [name, values] of Object.entries(headers)) {
    place.field = `${field}[${JSON.stringify(name)}]`;
    for (const value of Array.isArray(values) ? values : [values]) out.push(checkHeader(place, name, expectString(place, value)));
  }
  return out;
}

function bodyBytes(place: ScriptPlace, body: unknown): Uint8Array {
  if (typeof body === "string") return new Uint8Array(Buffer.from(body, "utf8"));
  if (body instanceof Uint8Array) return body;
  place.fail(`expected a string or a Uint8Array, got ${describe(body)}`);
}

/**
 * `check(response)` on each complete response, its verdict normalised: null when it passed (it
 * returned true), else the failure's name ("" for false). At most MAX_NAMES distinct names; later
 * ones become `other`. A throw or a verdict of another kind ends the run, as a bad `pick(i)`
 * does: nothing is thrown into the engine's callbacks, `failure` keeps the error to raise once
 * the requests in flight are answered.
 */
export class ScriptCheck {
  static readonly MAX_NAMES = 32;
  failure: UsageError | null = null;
  private readonly names = new Set<string>();
  private readonly line: number;

  constructor(
    private readonly script: WorkloadScript,
    private readonly fn: (response: ScriptResponse) => unknown,
  ) {
    this.line = script.line("check");
  }

  /** Fields longer than this are not shown to check() (servers refuse such lines themselves; nginx at 8 KiB). */
  readonly longestFieldBytes = ResponseCollector.LONGEST_FIELD_BYTES;

  /** A connection's collector of the response being read. */
  collector(): ResponseCollector {
    return new ResponseCollector();
  }

  /** Calls `check` on one complete response (`head`: its fields; `body`: the payload), read only during the call. */
  run(status: number, response: CollectedResponse): string | null {
    let verdict: unknown;
    try {
      verdict = this.fn(new LazyResponse(status, response));
    } catch (error) {
      this.failure ??= this.script.failure("check", `check() threw on a ${status} response`, error);
      return null;
    }
    if (verdict === true) return null;
    if (verdict === false) return "";
    if (typeof verdict === "string" && /^\S{1,64}$/.test(verdict)) {
      if (this.names.has(verdict)) return verdict;
      if (this.names.size >= ScriptCheck.MAX_NAMES) return "other";
      this.names.add(verdict);
      return verdict;
    }
    this.failure ??= new UsageError(`${this.script.where(this.line)}: check(): expected true, false or the failed check's name (1 to 64 characters without spaces), got ${describe(verdict)}`);
    return null;
  }
}

/**
 * A response as `check(response)` needs it, collected from what the parser shows: its fields,
 * written out again as "name: value" lines, and its body, in buffers that grow to the largest
 * response seen and are reused. This copy of every body is what a script check costs.
 */
export class ResponseCollector implements CollectedResponse {
  static readonly LONGEST_FIELD_BYTES = 16 * 1024;
  /** As parseFields reads a head: a first line (here empty), then "name: value" lines. */
  private headBytes: Uint8Array = Uint8Array.of(13, 10, ...new Uint8Array(1022));
  private headLength = 2;
  private bodyBytes: Uint8Array = new Uint8Array(1024);
  private bodyLength = 0;

  startHead(): void {
    this.headLength = 2;
    this.bodyLength = 0;
  }

  field(bytes: Uint8Array, nameFrom: number, nameTo: number, valueFrom: number, valueTo: number): void {
    let i = this.headLength;
    const least = i + (nameTo - nameFrom) + (valueTo - valueFrom) + 4;
    if (this.headBytes.length < least) this.headBytes = grown(this.headBytes, least);
    const head = this.headBytes;
    i = copy(head, i, bytes, nameFrom, nameTo);
    head[i++] = 0x3a; // ":"
    head[i++] = 0x20;
    i = copy(head, i, bytes, valueFrom, valueTo);
    head[i++] = 0x0d;
    head[i++] = 0x0a;
    this.headLength = i;
  }

  content(bytes: Uint8Array, from: number, to: number): void {
    const at = this.bodyLength;
    if (this.bodyBytes.length < at + to - from) this.bodyBytes = grown(this.bodyBytes, at + to - from);
    this.bodyLength = copy(this.bodyBytes, at, bytes, from, to);
  }

  get head(): Uint8Array {
    return this.headBytes.subarray(0, this.headLength);
  }

  get body(): Uint8Array {
    return this.bodyBytes.subarray(0, this.bodyLength);
  }
}

/** bytes[from, to) copied into `target` at `at`; returns where the copy ends. A short piece byte by byte: a view to copy from would cost more. */
function copy(target: Uint8Array, at: number, bytes: Uint8Array, from: number, to: number): number {
  if (to - from > 64) {
    target.set(bytes.subarray(from, to), at);
    return at + to - from;
  }
  for (let k = from; k < to; k++) target[at++] = bytes[k]!;
  return at;
}

function grown(bytes: Uint8Array, least: number): Uint8Array {
  const more = new Uint8Array(Math.max(least, 2 * bytes.length));
  more.set(bytes);
  return more;
}

/** A complete response's fields ("name: value" lines after a first line) and body. */
export interface CollectedResponse {
  readonly head: Uint8Array;
  readonly body: Uint8Array;
}

/** What check() is given: only the status is read up front, the rest when the script reads it. */
class LazyResponse implements ScriptResponse {
  private fields: Record<string, string> | null = null;
  private bytes: Uint8Array | null = null;
  private text: string | null = null;

  constructor(
    readonly status: number,
    private readonly response: CollectedResponse,
  ) {}

  get headers(): Record<string, string> {
    return (this.fields ??= parseFields(this.response.head));
  }

  get bodyBytes(): Uint8Array {
    return (this.bytes ??= this.response.body);
  }

  get body(): string {
    return (this.text ??= UTF8.decode(this.bodyBytes));
  }
}

/** Shared: half what a Buffer made to decode each body costs. A BOM stays in the text, as Buffer keeps it. */
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** The fields of a response head (the parser already checked its syntax). */
export function parseFields(head: Uint8Array): Record<string, string> {
  const fields: Record<string, string> = {};
  const lines = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString("latin1").split("\r\n");
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    fields[name] = name in fields ? `${fields[name]}, ${value}` : value;
  }
  return fields;
}

/** Why the module did not load: Bun's build errors carry their position, other errors a stack. */
function loadFailure(file: string, path: string, error: unknown): string {
  const built = buildErrors(error);
  if (built.length > 0) {
    const { message, position } = built[0]!;
    const more = built.length > 1 ? ` (and ${built.length - 1} more)` : "";
    const where = position?.file ? `${shown(file, position.file)}:${position.line}:${position.column}` : file;
    return `${where}: cannot be loaded: ${message}${more}`;
  }
  const frame = scriptFrame(error);
  const where = frame === null ? file : `${shown(file, frame.file)}:${frame.line}`;
  // A module that throws while it is evaluated is the script's fault too; so is an import it cannot resolve.
  return `${where}: cannot be loaded: ${errorText(error).replaceAll(path, file)}`;
}

interface BuildError {
  message: string;
  position: { file: string; line: number; column: number } | null;
}

function buildErrors(error: unknown): BuildError[] {
  if (typeof error !== "object" || error === null) return [];
  const list = (error as { errors?: unknown }).errors;
  const candidates = Array.isArray(list) ? list : [error];
  return candidates.filter((e): e is BuildError => typeof e === "object" && e !== null && "position" in e && (e as BuildError).position !== null);
}

/** The first frame of the stack that is in no file of minibench's own: the script's, or a module it imports. */
function scriptFrame(error: unknown): { file: string; line: number } | null {
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  for (const match of stack.matchAll(/^\s+at (?:.*? \()?(\/[^():]+|[A-Za-z]:\\[^():]+):(\d+)(?::\d+)?\)?$/gm)) {
    const file = match[1]!;
    if (file.startsWith(OWN_CODE) || file.startsWith("/$bunfs/") || file.startsWith("B:\\~BUN\\")) continue;
    return { file, line: Number(match[2]) };
  }
  return null;
}

/** `file` as the user named it when it is the script itself; other files relative to the current directory. */
function shown(file: string, path: string): string {
  if (path === resolve(file)) return file;
  const near = relative(process.cwd(), path);
  return near.startsWith("..") || isAbsolute(near) ? path : near;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return describe(error);
  return error.name === "Error" ? error.message : `${error.name}: ${error.message}`;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  if (thenable(value)) return "a Promise (it must return at once, not be async)";
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}

const thenable = (value: unknown) => typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";

function describeExports(module: Record<string, unknown>): string {
  const names = Object.keys(module);
  return names.length === 0 ? "nothing" : names.join(", ");
}
