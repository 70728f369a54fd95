import { UsageError } from "../errors.ts";
import { MAX_TARGET_GROUPS, OTHER_TARGETS } from "../stats/result.ts";
import { encodeRequest } from "./encode.ts";
import { RAND, SEQ, writeRandomDigits, writeSeq, writeUuid, type RandomSource } from "./placeholders.ts";
import type { TargetSpec } from "./target-spec.ts";
import type { TargetUrl } from "./target-url.ts";

/**
 * Every target of a workload encoded once, at start-up, into one buffer: request i is
 * `bytes[offsets[i], offsets[i + 1])`. Sending target i is writing that range (after `Patcher`
 * filled its placeholders): no string, no object, no copy per request.
 */

/** Where a target's requests go. Targets of one origin can share connections. */
export interface Origin {
  tls: boolean;
  hostname: string;
  port: number;
}

export const DEFAULT_MAX_POOL_BYTES = 1 << 30;

const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** The tables of a pool: typed arrays and strings only, so that it crosses to a thread as it is. */
export interface PoolTables {
  /** All requests, back to back. */
  bytes: Uint8Array;
  /** count + 1 entries: request i starts at offsets[i] and ends at offsets[i + 1]. */
  offsets: Uint32Array;
  /** count + 1 entries: target i's placeholders are patches[patchStart[i], patchStart[i + 1]). */
  patchStart: Uint32Array;
  /** Three numbers per placeholder: its position in `bytes`, its kind and its width. */
  patches: Uint32Array;
  weights: Uint32Array;
  /** 1 where the method is HEAD: the response has no body whatever its fields say. */
  head: Uint8Array;
  /** 1 where the method is idempotent (RFC 9110 §9.2.2): the request may be sent again after its connection was lost. */
  idempotent: Uint8Array;
  origins: readonly Origin[];
  originOf: Uint32Array;
  names: readonly string[];
  /** Index into `names`, -1 for a target without a name. */
  nameOf: Int32Array;
  /**
   * The groups per-target results are kept under: a target's name, else its method and path
   * (without the query). Past MAX_TARGET_GROUPS, the last group is OTHER_TARGETS for the rest.
   */
  groups: readonly string[];
  /** Index into `groups`. */
  groupOf: Uint16Array;
  /** Line of the targets file where the first target of each origin was read (for messages). */
  originLines: readonly number[];
}

export interface RequestPool extends PoolTables {}

export class RequestPool {
  constructor(tables: PoolTables) {
    Object.assign(this, tables);
  }

  get count(): number {
    return this.weights.length;
  }

  /** One request's bytes, for tests and set-up; the hot path writes `bytes` from `offsets` instead. */
  request(i: number): Uint8Array {
    return this.bytes.subarray(this.offsets[i], this.offsets[i + 1]);
  }
}

/**
 * A Uint32Array that grows: a million targets cost 4 bytes each per table, not an 8-byte JS slot.
 * Memory is committed by the kernel only where it is written, so a generous first capacity costs
 * nothing and spares the copies (and the garbage) of growing.
 */
class U32List {
  data: Uint32Array;
  length = 0;

  constructor(capacity: number) {
    this.data = new Uint32Array(Math.max(capacity, 16));
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  done(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

export class PoolBuilder {
  private bytes: Uint8Array;
  private used = 0;
  private readonly offsets: U32List;
  private readonly patchStart: U32List;
  private readonly patches = new U32List(1024);
  private readonly weights: U32List;
  private readonly head: U32List;
  private readonly idempotent: U32List;
  private readonly originOf: U32List;
  private readonly nameOf: U32List;
  private readonly groupOf: U32List;
  private readonly groups: string[] = [];
  private readonly groupsByName = new Map<string, number>();
  private readonly pathLengths = new Set<number>();
  private readonly groupsByPath = new Map<string, Map<string, number>>();
  private lastMethod = "";
  /** Most files use one or two methods: the last one's answer is kept. */
  private lastIdempotentMethod = "";
  private lastIdempotent = 0;
  private lastMethodGroups = new Map<string, number>();
  private readonly originLines: number[] = [];
  private readonly origins: Origin[] = [];
  private readonly originIndex = new Map<string, number>();
  private lastOrigin: Origin | null = null;
  private readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  /** Reused for every target's placeholder positions. */
  private readonly found: number[] = [];

  /**
   * `sourceBytes`, the size of the targets file, sizes the buffer and tables at first (a request
   * is rarely more than a few times its line), so that a big file is encoded without regrowing.
   */
  constructor(
    private readonly keepAlive: boolean,
    private readonly maxPoolBytes = DEFAULT_MAX_POOL_BYTES,
    sourceBytes = 0,
  ) {
    this.bytes = new Uint8Array(Math.min(Math.max(4 * sourceBytes, 64 * 1024), maxPoolBytes));
    const targets = sourceBytes / 8;
    [this.offsets, this.patchStart, this.weights, this.head, this.originOf, this.nameOf, this.idempotent, this.groupOf] = Array.from({ length: 8 }, () => new U32List(targets));
    this.offsets.push(0);
    this.patchStart.push(0);
  }

  /** `line`: where the target was read, for a message about its origin. */
  add(spec: TargetSpec, line = 0): void {
    this.found.length = 0;
    const request = encodeRequest(spec, this.keepAlive, this.found);
    this.reserve(request.length);
    const at = this.used;
    // A byte loop: a native string write costs more than the copy itself for requests this small.
    const bytes = this.bytes;
    for (let i = 0; i < request.length; i++) bytes[at + i] = request.charCodeAt(i);
    this.used += request.length;
    this.offsets.push(this.used);
    for (let i = 0; i < this.found.length; i += 3) {
      this.patches.push(at + this.found[i]!);
      this.patches.push(this.found[i + 1]!);
      this.patches.push(this.found[i + 2]!);
    }
    this.patchStart.push(this.patches.length);
    this.weights.push(spec.weight);
    this.head.push(spec.method === "HEAD" ? 1 : 0);
    this.idempotent.push(this.idempotentMethod(spec.method));
    this.originOf.push(this.originOfUrl(spec.url, line));
    this.nameOf.push(spec.name === null ? 0xffffffff : indexOf(this.nameIndex, spec.name, () => this.names.push(spec.name!)));
    this.groupOf.push(this.groupOfSpec(spec));
  }

  /** Keyed by the name, or by the path in a map per method: no string is built to look a target up. */
  private groupOfSpec(spec: TargetSpec): number {
    const named = spec.name !== null;
    const target = spec.url.target;
    const query = target.indexOf("?");
    const pathLength = query < 0 ? target.length : query;
    // Once the groups are full, a path of a length no group has is in none: a million-line URL list
    // is grouped without a lookup (or a string) per line.
    if (!named && this.groups.length > MAX_TARGET_GROUPS && !this.pathLengths.has(pathLength)) return MAX_TARGET_GROUPS;
    const index = named ? this.groupsByName : this.groupsOfMethod(spec.method);
    const key = named ? spec.name! : query < 0 ? target : target.slice(0, query);
    const known = index.get(key);
    if (known !== undefined) return known;
    // The last group kept apart is followed by one for every other: MAX_TARGET_GROUPS + 1 rows at most.
    if (this.groups.length >= MAX_TARGET_GROUPS) {
      if (this.groups.length === MAX_TARGET_GROUPS) this.groups.push(OTHER_TARGETS);
      return MAX_TARGET_GROUPS;
    }
    index.set(key, this.groups.length);
    if (!named) this.pathLengths.add(pathLength);
    this.groups.push(named ? key : `${spec.method} ${key}`);
    return this.groups.length - 1;
  }

  private idempotentMethod(method: string): number {
    if (method !== this.lastIdempotentMethod) {
      this.lastIdempotentMethod = method;
      this.lastIdempotent = IDEMPOTENT_METHODS.has(method) ? 1 : 0;
    }
    return this.lastIdempotent;
  }

  private groupsOfMethod(method: string): Map<string, number> {
    if (method === this.lastMethod) return this.lastMethodGroups;
    let groups = this.groupsByPath.get(method);
    if (groups === undefined) this.groupsByPath.set(method, (groups = new Map()));
    this.lastMethod = method;
    this.lastMethodGroups = groups;
    return groups;
  }

  build(): RequestPool {
    return new RequestPool({
      bytes: this.bytes.subarray(0, this.used),
      offsets: this.offsets.done(),
      patchStart: this.patchStart.done(),
      patches: this.patches.done(),
      weights: this.weights.done(),
      head: Uint8Array.from(this.head.done()),
      idempotent: Uint8Array.from(this.idempotent.done()),
      origins: this.origins,
      originOf: this.originOf.done(),
      names: this.names,
      nameOf: signed(this.nameOf.done()),
      groups: this.groups,
      groupOf: Uint16Array.from(this.groupOf.done()),
      originLines: this.originLines,
    });
  }

  /** Most files name one origin, line after line: the last one is compared before any lookup. */
  private originOfUrl({ tls, hostname, port }: TargetUrl, line: number): number {
    const last = this.lastOrigin;
    if (last !== null && last.port === port && last.hostname === hostname && last.tls === tls) return this.originOf.data[this.originOf.length - 1]!;
    const i = indexOf(this.originIndex, originText({ tls, hostname, port }), () => {
      this.origins.push({ tls, hostname, port });
      this.originLines.push(line);
    });
    this.lastOrigin = this.origins[i]!;
    return i;
  }

  private reserve(length: number): void {
    const need = this.used + length;
    if (need > this.maxPoolBytes) {
      throw new UsageError(
        `--max-pool: the targets take more than ${mib(this.maxPoolBytes)} encoded (${this.offsets.length.toLocaleString("en-US")} targets read so far); raise --max-pool or use fewer or smaller targets`,
      );
    }
    if (need <= this.bytes.length) return;
    const grown = new Uint8Array(Math.min(Math.max(need, this.bytes.length * 2), this.maxPoolBytes));
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
  }
}

/** `http://host:port` (IPv6 in brackets). */
export const originText = ({ tls, hostname, port }: Origin) => `${tls ? "https" : "http"}://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;

const signed = (list: Uint32Array) => new Int32Array(list.buffer, list.byteOffset, list.length);

function indexOf(index: Map<string, number>, key: string, add: () => void): number {
  let i = index.get(key);
  if (i === undefined) {
    i = index.size;
    index.set(key, i);
    add();
  }
  return i;
}

const mib = (bytes: number) => `${(bytes / (1 << 20)).toLocaleString("en-US", { maximumFractionDigits: 1 })} MiB`;

/**
 * Fills a target's placeholders before each send, in place in the pool's buffer: `{{seq}}` from
 * a counter (`first`, then every `step`: threads can take interleaved counters and never repeat
 * one another), `{{rand:N}}` and `{{uuid}}` from the PRNG. Each request that has placeholders
 * takes the next counter value; all of its `{{seq}}` get the same one.
 *
 * The bytes are shared by every connection: a request must be written (or its unwritten tail
 * copied) before the same target is patched again.
 */
export class Patcher {
  private seq: number;

  constructor(
    private readonly pool: RequestPool,
    private readonly random: RandomSource,
    first = 0,
    private readonly step = 1,
  ) {
    this.seq = first;
  }

  patch(i: number): void {
    const { patches, patchStart, bytes } = this.pool;
    const from = patchStart[i]!;
    const to = patchStart[i + 1]!;
    if (from === to) return;
    const seq = this.seq;
    this.seq = seq + this.step;
    for (let p = from; p < to; p += 3) {
      const at = patches[p]!;
      const kind = patches[p + 1]!;
      const width = patches[p + 2]!;
      if (kind === SEQ) writeSeq(bytes, at, width, seq);
      else if (kind === RAND) writeRandomDigits(bytes, at, width, this.random);
      else writeUuid(bytes, at, this.random);
    }
  }
}
