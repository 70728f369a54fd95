/**
 * Differential fuzzing of the two HTTP/1 parsers (the server's request parser, the load
 * generator's response parser) against llhttp, the parser of Node's http server and client.
 *
 *   bun scripts/fuzz-parsers.ts [--seed 1] [--seconds 60] [--count N] [--side both|request|response] [--examples 2]
 *
 * Exit 0: no bug of ours found (disagreements with llhttp may remain, each listed with its reason);
 * 1: a throw or a read-boundary dependence; 137: a hang, killed by the watchdog after printing the case.
 *
 * Each case is a short stream of one to three messages, generated from the HTTP/1 grammar with
 * the variants that framing bugs hide in (whitespace classes, CR/LF forms, chunk-size and
 * chunk-extension forms, duplicate and conflicting Content-Length / Transfer-Encoding, versions,
 * targets), then often mutated at the byte level (any byte 0x00–0xff, at any position). Only
 * FRAMING is compared: how many messages, where each ends, and whether the stream is accepted,
 * rejected, or ends in the middle of a message. A disagreement is shrunk to a minimal reproducer
 * and reported once per class.
 *
 * Found regardless of the reference: a parser that throws, that never returns (a watchdog kills
 * the run and prints the case), or that frames the same bytes differently depending on how they
 * were split into reads.
 *
 * The reference (scripts/fuzz-reference.cjs) runs in a `node` child process and is asked over
 * loopback. llhttp is lenient in places where RFC 9112 says reject, and strict in some where the
 * RFCs allow more; each reproducer is printed with the reason its difference is decided (DECIDED
 * below), or marked NOT EXPLAINED, to be looked at.
 */
import type { Socket } from "bun";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { PARSE_ERROR, ResponseParser } from "../src/client/response-parser.ts";
import { REQUEST_CLOSE, RequestParser } from "../src/server/request-parser.ts";
import { seededRandom } from "../tests/support/random.ts";

type Side = "request" | "response";
type Verdict = "ok" | "incomplete" | "error" | "crash";

/** How a parser framed a stream. `ends`: the offset just after each complete message. */
interface Framing {
  ends: number[];
  verdict: Verdict;
  /** Why it stopped: an error code or status, or a thrown message. */
  detail: string;
}

// ---------------------------------------------------------------------------------------------
// Options

const { values: flags } = parseArgs({
  options: {
    seed: { type: "string", default: "1" },
    seconds: { type: "string", default: "60" },
    count: { type: "string", default: "1000000000" },
    side: { type: "string", default: "both" },
    examples: { type: "string", default: "2" },
  },
});

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name}: expected a positive number, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

const seed = Math.floor(positive("seed", flags.seed!));
const seconds = positive("seconds", flags.seconds!);
const maxCases = Math.floor(positive("count", flags.count!));
const examplesPerClass = Math.floor(positive("examples", flags.examples!));
const sides: Side[] = flags.side === "both" ? ["request", "response"] : flags.side === "request" || flags.side === "response" ? [flags.side] : [];
if (sides.length === 0) {
  console.error(`--side: expected both, request or response, got ${JSON.stringify(flags.side)}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Generation: the grammar, with the variants that matter for framing.

const random = seededRandom(seed);
const int = (n: number) => Math.floor(random() * n);
const chance = (p: number) => random() < p;
/** Mostly the first (valid) form; otherwise any of the others. */
const mostly = <T>(usual: T, odd: readonly T[], p = 0.8): T => (chance(p) ? usual : odd[int(odd.length)]!);
const anyOf = <T>(items: readonly T[]): T => items[int(items.length)]!;

const EOLS = ["\n", "\r", "\r\r\n", "\n\r", " \r\n", "\r\n\r\n"];
const eol = () => mostly("\r\n", EOLS, 0.9);
/** Whitespace as RFC 9110 defines it (SP, HTAB) and the bytes that JavaScript or others may take for it. */
const ODD_SPACE = ["\t", "  ", " \t", "\xa0", "\x0b", "\x0c", "\x00", "\x85", "\r", "\n", ""];
const ows = () => (chance(0.85) ? anyOf(["", " ", " ", " ", "\t"]) : anyOf(ODD_SPACE));
const TEXT_BYTES = "abcxyz019-_.~!$&'()*+,;=:@/?%\"";
const word = (n = 1 + int(6)) => Array.from({ length: n }, () => TEXT_BYTES[int(TEXT_BYTES.length)]).join("");

function contentLengthValue(length: number): string {
  return mostly(String(length), [
    `0${length}`, `+${length}`, `-${length}`, `${length},${length}`, `${length}, ${length}`, `${length},${length + 1}`,
    ` ${length}`, `${length} `, `0x${length.toString(16)}`, `${length}.0`, "", "99999999999999999999", `${length}\xa0`,
    `${length}a`, `${length + 1}`, `${Math.max(0, length - 1)}`, `1e1`,
  ]);
}

const TRANSFER_CODINGS = [
  "Chunked", "CHUNKED", "chunked, chunked", "gzip, chunked", "chunked, gzip", "gzip", "identity", "\xa0chunked",
  "chunked\xa0", " \xa0chunked\xa0", "chunked;q=1", ",chunked", "chunked,", "x, chunked", "\x0bchunked", "chun ked",
  "chunked\x00", "chunked , gzip", "gzip,chunked", "chunkedx", "", 'gzip;a="x, chunked"', 'chunked;a="b, c"', "chunked;", 'gzip;q="x, chunked',
  "chunked ; q = 1",
];

function field(name: string, value: string): string {
  const shownName = mostly(name, [name.toUpperCase(), name.toLowerCase(), `${name} `, `${name}\t`, ` ${name}`, name.replace("-", "_"), `${name}\x00`], 0.92);
  let shownValue = value;
  // obs-fold: the value continued on the next line, starting with whitespace (RFC 9112 §5.2).
  if (value.length > 1 && chance(0.03)) shownValue = `${value.slice(0, 1)}${eol()}${anyOf([" ", "\t"])}${value.slice(1)}`;
  return `${shownName}:${ows()}${shownValue}${mostly("", [" ", "\t", "\xa0", "\x00"], 0.9)}${eol()}`;
}

function chunkSize(length: number): string {
  const hex = length.toString(16);
  const size = mostly(hex, [hex.toUpperCase(), `00${hex}`, `0x${hex}`, ` ${hex}`, `${hex} `, `${hex}\t`, `+${hex}`, `-${hex}`, `${hex}g`, "", `${"0".repeat(20)}${hex}`, "fffffffffffffffff"], 0.85);
  const extension = chance(0.75)
    ? ""
    : anyOf([";a", ";a=b", ';a="q;r"', ';a="unterminated', ";", " ;a", "\t;a", ";a b", ";=b", ";a=", "; a=b", ";a =b", ";a= b", ";a\x00", ';a="\\"x"', " erfrferferf", ";a=b;c=d", ";\xa0a"]);
  return size + extension;
}

function chunkedBody(): string {
  let body = "";
  for (let n = int(3); n > 0; n--) {
    const data = word(1 + int(12));
    const claimed = chance(0.05) ? data.length + anyOf([-1, 1]) : data.length;
    body += `${chunkSize(claimed)}${eol()}${data}${eol()}`;
  }
  body += `${mostly("0", ["00", "000", "0;a=b", "0 ", "0\t"])}${eol()}`;
  for (let n = chance(0.8) ? 0 : 1 + int(2); n > 0; n--) body += field(anyOf(["X-T", "Content-Length", "Transfer-Encoding"]), word());
  return body + eol();
}

/** The framing fields of a message and its body, consistent or (on purpose) not. */
function framing(bodyAllowed: boolean): { fields: string; body: string } {
  const body = word(int(10));
  switch (bodyAllowed ? int(8) : 0) {
    case 0:
      return { fields: "", body: "" };
    case 1:
    case 2:
      return { fields: field("Content-Length", contentLengthValue(body.length)), body };
    case 3:
    case 4:
      return { fields: field("Transfer-Encoding", mostly("chunked", TRANSFER_CODINGS, 0.7)), body: chunkedBody() };
    case 5: {
      // Both: the classic request-smuggling pair, in either order.
      const cl = field("Content-Length", contentLengthValue(body.length));
      const te = field("Transfer-Encoding", mostly("chunked", TRANSFER_CODINGS, 0.7));
      return { fields: chance(0.5) ? cl + te : te + cl, body: chance(0.5) ? chunkedBody() : body };
    }
    case 6:
      return { fields: field("Content-Length", String(body.length)) + field("Content-Length", contentLengthValue(body.length)), body };
    default:
      return { fields: field("Transfer-Encoding", anyOf(["gzip", "chunked"])) + field("Transfer-Encoding", mostly("chunked", TRANSFER_CODINGS, 0.5)), body: chunkedBody() };
  }
}

function otherFields(): string {
  let fields = "";
  for (let n = int(3); n > 0; n--) fields += field(anyOf(["Accept", "X-A", "User-Agent", "Connection", "Expect", "Upgrade"]), anyOf([word(), "close", "keep-alive", "100-continue", "Close", "close, x"]));
  return fields;
}

function requestMessage(): string {
  const method = mostly("GET", ["POST", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "get", "G(T", "", "CONNECT", "PRI"], 0.5);
  const target = mostly("/", ["/a/b?c=d", "*", "http://h/p", "h:80", "/%zz", "/|", "/\xff", "/#f", "//", "http://u@h/", "/a b", "", "/\x00", "/\x7f"], 0.7);
  const version = mostly("HTTP/1.1", ["HTTP/1.0", "HTTP/1.2", "HTTP/1.9", "HTTP/2.0", "HTTP/0.9", "HTTP/1.10", "http/1.1", "HTTP/1", "HTTP/11", "HTTP/1.1 ", "HTTP/3.0", "HTTP/1.1\x00"], 0.85);
  const sp = () => mostly(" ", ["  ", "\t", "\xa0", ""], 0.95);
  const line = `${method}${sp()}${target}${sp()}${version}${eol()}`;
  const hosts = mostly(1, [0, 2], 0.92);
  let fields = "";
  for (let n = 0; n < hosts; n++) fields += field("Host", mostly("h", ["a b", "", "h:80", "[::1]:8", "h:x", "h/p", "u@h", "\xffh", "h h"], 0.85));
  const { fields: framingFields, body } = framing(true);
  const parts = [fields, framingFields, otherFields()];
  if (chance(0.5)) parts.reverse();
  return `${line}${parts.join("")}${eol()}${body}`;
}

function responseMessage(): string {
  const version = mostly("HTTP/1.1", ["HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "http/1.1", "HTTP/1", "HTTP/1.10"], 0.88);
  const status = mostly("200", ["204", "304", "404", "500", "100", "103", "199", "999", "20", "2000", "0200", "abc", "1000"], 0.75);
  const reason = mostly(" OK", ["", " ", " Not Found", " \xff", " a\x00b", " a\tb", "OK"], 0.85);
  const interim = chance(0.05) ? `HTTP/1.1 100 Continue${eol()}${eol()}` : "";
  const { fields: framingFields, body } = framing(true);
  const parts = [framingFields, otherFields()];
  if (chance(0.5)) parts.reverse();
  return `${interim}${version} ${status}${reason}${eol()}${parts.join("")}${eol()}${body}`;
}

const INTERESTING_BYTES = [0x0d, 0x0a, 0x20, 0x09, 0x00, 0x7f, 0x80, 0xa0, 0xff, 0x3a, 0x3b, 0x2c, 0x22, 0x3d, 0x30, 0x0b, 0x0c];

/** Byte-level mutations: any byte at any position, deletions, duplicated spans, CRLF turned to LF. */
function mutate(bytes: number[]): number[] {
  const out = bytes.slice();
  for (let n = 1 + int(3); n > 0 && out.length > 0; n--) {
    const at = int(out.length);
    const byte = chance(0.5) ? int(256) : anyOf(INTERESTING_BYTES);
    switch (int(5)) {
      case 0:
        out.splice(at, 0, byte);
        break;
      case 1:
        out[at] = byte;
        break;
      case 2:
        out.splice(at, 1 + int(3));
        break;
      case 3: {
        const length = 1 + int(8);
        out.splice(at, 0, ...out.slice(at, at + length));
        break;
      }
      default: {
        const crlf = out.findIndex((b, k) => k >= at && b === 0x0d && out[k + 1] === 0x0a);
        if (crlf >= 0) out.splice(crlf, 1);
      }
    }
  }
  return out;
}

function generate(side: Side): Uint8Array {
  const message = side === "request" ? requestMessage : responseMessage;
  let text = "";
  for (let n = 1 + int(3); n > 0; n--) text += message();
  let bytes = Array.from(text, (c) => c.charCodeAt(0) & 0xff);
  if (chance(0.5)) bytes = mutate(bytes);
  return Uint8Array.from(bytes);
}

/** Random read boundaries: the parsers must frame the same bytes the same way however they arrive. */
function randomCuts(length: number): number[] {
  const cuts = new Set<number>([length]);
  for (let n = int(6); n > 0; n--) cuts.add(1 + int(Math.max(1, length - 1)));
  return [...cuts].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// Our parsers, framing a stream read in pieces ending at `cuts`. With one byte per piece the end
// of every message is exact; with larger pieces an end is only known to lie within its piece.

function frameRequests(bytes: Uint8Array, cuts: number[]): Framing {
  const ends: number[] = [];
  let at = 0;
  let closed = false;
  const parser: RequestParser = new RequestParser({
    onRequest(requestFlags) {
      ends.push(at);
      // As the server does: after a request that closes the connection, nothing more is read.
      if (requestFlags & REQUEST_CLOSE) {
        closed = true;
        parser.stop();
      }
    },
    onContinue() {},
  });
  let from = 0;
  for (const to of cuts) {
    at = to;
    const status = parser.execute(bytes.subarray(from, to));
    if (closed) return { ends, verdict: "ok", detail: "" };
    if (status !== 0) return { ends, verdict: "error", detail: String(status) };
    from = to;
  }
  return { ends, verdict: parser.idle ? "ok" : "incomplete", detail: "" };
}

function frameResponses(bytes: Uint8Array, cuts: number[]): Framing {
  const ends: number[] = [];
  let at = 0;
  let closed = false;
  const parser: ResponseParser = new ResponseParser({
    onResponse(_status, keepAlive) {
      ends.push(at);
      // As the engine does: a response that ends the connection ends the framing.
      if (!keepAlive) {
        closed = true;
        parser.reset();
      }
    },
  });
  let from = 0;
  for (const to of cuts) {
    at = to;
    const status = parser.execute(bytes.subarray(from, to));
    if (closed) return { ends, verdict: "ok", detail: "" };
    if (status === PARSE_ERROR) return { ends, verdict: "error", detail: parser.errorReason };
    from = to;
  }
  at = bytes.length;
  const cutShort = parser.connectionClosed();
  return { ends, verdict: cutShort ? "incomplete" : "ok", detail: "" };
}

function ours(side: Side, bytes: Uint8Array, cuts: number[]): Framing {
  try {
    return side === "request" ? frameRequests(bytes, cuts) : frameResponses(bytes, cuts);
  } catch (error) {
    return { ends: [], verdict: "crash", detail: String((error as Error).stack ?? error) };
  }
}

const bytewise = (length: number) => Array.from({ length }, (_, k) => k + 1);

// ---------------------------------------------------------------------------------------------
// A watchdog thread: if our parser does not return within HANG_MS, it prints the case and ends
// the process (a synchronous loop cannot be interrupted from inside).

const HANG_MS = 5000;
const MAX_CASE_BYTES = 1 << 16;
const shared = new SharedArrayBuffer(16 + MAX_CASE_BYTES);
const heartbeat = new Int32Array(shared, 0, 4);
const caseBytes = new Uint8Array(shared, 16);

function startWatchdog(): Worker {
  const code = `
    let shared, last = -1, since = Date.now();
    onmessage = (event) => { shared = event.data; };
    setInterval(() => {
      if (!shared) return;
      const beat = new Int32Array(shared, 0, 4);
      const busy = Atomics.load(beat, 1) === 1, count = Atomics.load(beat, 0);
      if (!busy || count !== last) { last = count; since = Date.now(); return; }
      if (Date.now() - since < ${HANG_MS}) return;
      const side = Atomics.load(beat, 2) === 0 ? "request" : "response";
      const bytes = new Uint8Array(shared, 16, Atomics.load(beat, 3));
      const text = JSON.stringify(String.fromCharCode(...bytes));
      require("node:fs").writeSync(2, "\\nHANG: our " + side + " parser did not return within ${HANG_MS} ms on\\n  " + text + "\\n");
      process.kill(process.pid, "SIGKILL");
    }, 250);`;
  const worker = new Worker(URL.createObjectURL(new Blob([code], { type: "application/javascript" })));
  worker.postMessage(shared);
  worker.unref();
  return worker;
}

function guarded(side: Side, bytes: Uint8Array, cuts: number[]): Framing {
  const length = Math.min(bytes.length, MAX_CASE_BYTES);
  caseBytes.set(bytes.subarray(0, length));
  Atomics.store(heartbeat, 2, side === "request" ? 0 : 1);
  Atomics.store(heartbeat, 3, length);
  Atomics.add(heartbeat, 0, 1);
  Atomics.store(heartbeat, 1, 1);
  const framing = ours(side, bytes, cuts);
  Atomics.store(heartbeat, 1, 0);
  return framing;
}

// ---------------------------------------------------------------------------------------------
// The reference: llhttp in a node child, asked over loopback.

class Reference {
  private socket!: Socket<undefined>;
  private text = "";
  private waiting: ((line: string) => void) | null = null;
  readonly child = Bun.spawn(["node", join(import.meta.dir, "fuzz-reference.cjs")], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });

  async start(): Promise<void> {
    const reader = this.child.stdout.getReader();
    let line = "";
    while (!line.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the reference (node scripts/fuzz-reference.cjs) exited before listening");
      line += new TextDecoder().decode(value);
    }
    const port = Number(/listening on (\d+)/.exec(line)?.[1]);
    const reference = this;
    this.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_socket, chunk) {
          reference.received(chunk.toString("latin1"));
        },
        close() {
          reference.waiting = null;
        },
      },
    });
  }

  private received(text: string): void {
    this.text += text;
    const newline = this.text.indexOf("\n");
    if (newline < 0 || this.waiting === null) return;
    const line = this.text.slice(0, newline);
    this.text = this.text.slice(newline + 1);
    const waiting = this.waiting;
    this.waiting = null;
    waiting(line);
  }

  async frame(side: Side, bytes: Uint8Array): Promise<Framing> {
    const message = new Uint8Array(5 + bytes.length);
    message[0] = side === "request" ? 0 : 1;
    new DataView(message.buffer).setUint32(1, bytes.length, true);
    message.set(bytes, 5);
    const line = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the reference did not answer within 10 s for ${JSON.stringify(latin1(bytes))}`)), 10_000);
      this.waiting = (text) => {
        clearTimeout(timer);
        resolve(text);
      };
    });
    let written = 0;
    while (written < message.length) {
      const n = this.socket.write(message.subarray(written));
      if (n < 0) throw new Error("the reference closed the connection");
      written += n;
      if (written < message.length) await Bun.sleep(1);
    }
    return JSON.parse(await line) as Framing;
  }

  stop(): void {
    this.socket.end();
    this.child.kill();
  }
}

// ---------------------------------------------------------------------------------------------
// Comparison, classes and shrinking.

const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);

function describe(framing: Framing): string {
  if (framing.verdict === "error") return `rejects (${framing.detail})`;
  if (framing.verdict === "crash") return "THROWS";
  return framing.verdict === "ok" ? "accepts" : "waits for more";
}

/**
 * What kind of disagreement this is; cases of one class are one finding. null: they agree.
 * The class is decided at the first message where the two part ways (what comes after depends on
 * that first step), so that shrinking may remove every message around it.
 */
function classOf(side: Side, mine: Framing, theirs: Framing): string | null {
  if (mine.verdict === "crash") return `${side}: ours THROWS (${mine.detail.split("\n")[0]})`;
  let k = 0;
  while (k < mine.ends.length && k < theirs.ends.length && mine.ends[k] === theirs.ends[k]) k++;
  const oursEnds = k < mine.ends.length;
  const theirsEnds = k < theirs.ends.length;
  if (!oursEnds && !theirsEnds && (mine.verdict === theirs.verdict || (mine.verdict === "error" && theirs.verdict === "error"))) return null;
  if (oursEnds && theirsEnds) return `${side}: both end a message, ours ${mine.ends[k]! < theirs.ends[k]! ? "earlier" : "later"}`;
  const next = (framing: Framing, ends: boolean) => (ends ? "ends a message" : describe(framing));
  return `${side}: ours ${next(mine, oursEnds)} · llhttp ${next(theirs, theirsEnds)}`;
}

/** Our framing must not depend on how the stream was split into reads. null: it does not. */
function splitClass(side: Side, bytes: Uint8Array, exact: Framing): string | null {
  for (const cuts of [[bytes.length], randomCuts(bytes.length)]) {
    const framing = guarded(side, bytes, cuts);
    if (framing.verdict !== exact.verdict || framing.ends.length !== exact.ends.length || framing.detail !== exact.detail) {
      return `${side}: OURS DEPENDS ON READ BOUNDARIES (byte by byte: ${describe(exact)}, ${exact.ends.length} messages; in ${cuts.length} reads: ${describe(framing)}, ${framing.ends.length} messages)`;
    }
  }
  return null;
}

const LINE_ENDS = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a);

/** Streams where llhttp refuses a byte that ours only refuses once its line (or the head) ends. */
let refusedAtLineEnd = 0;

async function classify(side: Side, bytes: Uint8Array, reference: Reference): Promise<string | null> {
  const mine = guarded(side, bytes, bytewise(bytes.length));
  const split = mine.verdict === "crash" ? null : splitClass(side, bytes, mine);
  if (split !== null) return split;
  // Empty lines before a request line are ignored (RFC 9112 §2.2): a stream that ends in some is not cut short.
  const rest = bytes.subarray(mine.ends.at(-1) ?? 0);
  if (side === "request" && mine.verdict === "incomplete" && rest.every((b) => b === 0x0d || b === 0x0a)) mine.verdict = "ok";
  const theirs = await reference.frame(side, bytes);
  // Ours checks some values when their line ends, llhttp byte by byte: where the stream stops in
  // between, ending the line shows whether ours refuses the same message.
  if (mine.verdict === "incomplete" && theirs.verdict === "error") {
    const ended = new Uint8Array(bytes.length + LINE_ENDS.length);
    ended.set(bytes);
    ended.set(LINE_ENDS, bytes.length);
    const later = guarded(side, ended, bytewise(ended.length));
    if (later.verdict === "error" && classOf(side, later, theirs) === null) {
      refusedAtLineEnd++;
      return null;
    }
  }
  return classOf(side, mine, theirs);
}

/** Removes spans, halving their size, as long as the case stays in its class (delta debugging). */
async function shrink(side: Side, bytes: Uint8Array, kind: string, reference: Reference): Promise<Uint8Array> {
  let best = bytes;
  let budget = 600;
  for (let span = Math.max(1, best.length >> 1); span >= 1 && budget > 0; span >>= 1) {
    for (let at = 0; at < best.length && budget > 0; ) {
      const candidate = new Uint8Array(best.length - Math.min(span, best.length - at));
      candidate.set(best.subarray(0, at));
      candidate.set(best.subarray(at + span), at);
      budget--;
      if (candidate.length > 0 && (await classify(side, candidate, reference)) === kind) best = candidate;
      else at += span;
    }
  }
  return best;
}

/**
 * Which way a disagreement goes: ours is stricter (it rejects, or waits, where llhttp frames a
 * message), more lenient (it frames a message llhttp rejects), or they frame differently.
 */
function direction(kind: string): "strict" | "lenient" | "different" {
  const oursRejects = kind.includes("ours rejects");
  const theirsRejects = kind.includes("llhttp rejects");
  if (oursRejects && !theirsRejects) return "strict";
  if (theirsRejects && !oursRejects) return "lenient";
  return "different";
}

/**
 * Differences decided on purpose, with the reason ours stays as it is. Matched on a shrunk
 * reproducer and its class, first match wins: a heuristic to read a long summary fast, not a
 * proof. A disagreement no rule explains is printed without a reason, to be looked at.
 */
const DECIDED: { side?: Side; way?: "strict" | "lenient" | "different"; test: (text: string, kind: string) => boolean; why: string }[] = [
  {
    test: (text) => /CONNECT [^\r\n ]+ HTTP\//.test(text),
    why: "CONNECT: the server does not tunnel and refuses it with 501 at the end of its head (RFC 9110 §9.3.6); llhttp hands the connection to a tunnel there",
  },
  {
    side: "request",
    way: "strict",
    test: (text) => /^[!-~]* [^\r\n ]*\r?\n/.test(text.replace(/^[\r\n]+/, "")),
    why: "RFC 9112 §3: a request-line ends with HTTP-version (HTTP/0.9 requests are not served)",
  },
  { side: "request", way: "strict", test: (_text, kind) => kind.includes("(505)"), why: "a major version other than 1 is answered 505 (RFC 9110 §2.5, §15.6.6)" },
  { side: "response", way: "strict", test: (_text, kind) => kind.includes("not an HTTP/1.x status line"), why: "the client speaks HTTP/1.x only (RFC 9112 §2.3); llhttp accepts HTTP/0.9 and 2.0 status lines" },
  { side: "response", way: "strict", test: (_text, kind) => kind.includes("reason phrase"), why: "RFC 9112 §4: reason-phrase = *( HTAB / SP / VCHAR / obs-text )" },
  {
    way: "strict",
    test: (_text, kind) => /chunk|trailer/.test(kind),
    why: "RFC 9112 §7.1, §7.1.1, §7.1.2: chunk-size [ BWS \";\" chunk-ext ] CRLF, chunk-data CRLF, trailer fields CRLF — bare LF, stray whitespace, unclosed quotes are errors",
  },
  { side: "request", way: "strict", test: (text) => /^[!-~]+ [^\r\n ]*[^!-~\r\n ][^\r\n ]* HTTP|^[!-~]+ [^ ]*([|#\\^`{}<>"]|%(?![0-9a-f]{2}))/im.test(text), why: "RFC 9112 §3.2, RFC 3986: an invalid request-target is answered 400" },
  {
    side: "request",
    way: "strict",
    test: (text) => !/\nhost:/i.test(text) || /\nhost:[^\r\n]*[^\x21-\x7e\r\n \t]|\nhost:[ \t]*[^\r\n]*[ \t][^\r\n \t]/i.test(text) || /\nhost:(?:(?!\r?\n\r?\n)[^])*\nhost:/i.test(text),
    why: "RFC 9112 §3.2: exactly one valid Host in HTTP/1.1",
  },
  {
    side: "request",
    test: (text) => /\ncontent-length:(?:(?!\r?\n\r?\n)[^])*\ntransfer-encoding:|\ntransfer-encoding:(?:(?!\r?\n\r?\n)[^])*\ncontent-length:/i.test(text),
    why: "RFC 9112 §6.1: a request with both Content-Length and Transfer-Encoding is refused (ours at the end of the head, llhttp at the field)",
  },
  {
    test: (text, kind) => kind.includes("ours waits") && /content-length:[ \t]*(\d+)[ \t]*\r?\n(?:.*\r?\n)*?content-length:[ \t]*(?!\1[ \t]*(\r?\n|$))\d+/i.test(text),
    why: "RFC 9112 §6.3 (5): differing Content-Length values are refused, by ours when the field ends, by llhttp at once",
  },
  {
    test: (text, kind) => kind.includes("ours waits") && /\r\n[0-9a-f]+[ \t]+$/i.test(text),
    why: "RFC 9112 §7.1.1: whitespace after a chunk size must be followed by ';' — ours waits for it, llhttp refuses the whitespace at once",
  },
  { side: "response", way: "strict", test: (_text, kind) => kind.includes("too large"), why: "ours counts lengths and chunk sizes exactly, below 2^53; anything larger is refused" },
  { way: "strict", test: (text) => /[\xa0\x0b\x0c\x85]/.test(text), why: "RFC 9110 §5.6.3: OWS is SP and HTAB only; any other byte makes the value invalid" },
  { way: "strict", test: (text) => /(^|[^\r])\n/.test(text), why: "bare LF: allowed only where RFC 9112 §2.2 allows it; see the parsers for where ours draws the line" },
  { way: "lenient", test: (text) => /HTTP\/1\.[2-9]/.test(text), why: "RFC 9110 §2.5: a higher minor version is processed as HTTP/1.1" },
  { way: "lenient", test: (text) => /(^|[^\r])\n/.test(text), why: "RFC 9112 §2.2: a recipient MAY take a bare LF as the line terminator of the start line and header fields; llhttp rejects it" },
  {
    way: "lenient",
    test: (text) => /content-length:[ \t]*(\d+)[ \t]*\r?\n(?:.*\r?\n)*?content-length:[ \t]*\1[ \t]*(\r?\n|$)/i.test(text),
    why: "RFC 9110 §8.6: identical Content-Length values MAY be taken as one",
  },
  { side: "response", test: (text) => /content-length/i.test(text) && /transfer-encoding/i.test(text), why: "RFC 9112 §6.3 (3): in a response, Transfer-Encoding overrides Content-Length; the client does not reuse the connection" },
  {
    test: (text) => /(content-length|transfer-encoding|connection):[^\r\n]*[ \t](\r?\n|$)/i.test(text),
    why: "RFC 9110 §5.5: whitespace around a field value is not part of it (llhttp misreads a trailing HTAB)",
  },
  { test: (text) => /(transfer-encoding|content-length):[^\r\n]*,[ \t]*(\r?\n|,|$)|(transfer-encoding|content-length):[ \t]*,/i.test(text), why: "RFC 9110 §5.6.1: empty list elements are ignored" },
  {
    way: "lenient",
    test: (text) => /\r\n0(;[^\r\n]*)?\r\n(?:[^\r\n]+\r\n)*(content-length|transfer-encoding):/i.test(text),
    why: "RFC 9110 §6.5.1: trailer fields never change the framing; ours discards them, llhttp rejects framing fields there",
  },
  { way: "lenient", test: (text) => /\r\n[0-9a-f]+[ \t]*;|;[^\r\n]*[ \t]=|=[ \t]/i.test(text), why: "RFC 9112 §7.1.1: BWS (optional whitespace) is allowed around ';' and '=' of a chunk extension" },
  { way: "strict", test: (text) => /\r(?!\n)/.test(text), why: "RFC 9112 §2.2: a bare CR is invalid in the protocol elements" },
  { side: "response", test: (text) => /transfer-encoding:/i.test(text), why: "RFC 9112 §6.3 (4): a response whose Transfer-Encoding does not end in chunked is read until the connection closes" },
  { side: "request", way: "lenient", test: (text) => /^[!-~]+ [a-z][a-z0-9+.-]*[0-9+.-][a-z0-9+.-]*:\/\//im.test(text), why: "RFC 3986 §3.1: a scheme may have digits, '+', '-' and '.' after its first letter; llhttp's URL parser takes letters only" },
  { side: "request", way: "lenient", test: (text) => /^PRI /m.test(text), why: "PRI with HTTP/1.x is an ordinary method token (RFC 9110 §9.1); llhttp expects the HTTP/2 preface (RFC 9113 §3.4)" },
  { side: "request", way: "lenient", test: (_text, kind) => kind.includes("HPE_INVALID_METHOD"), why: "RFC 9110 §9.1: a method is any token; llhttp knows only registered methods" },
  { side: "response", test: (text) => /^HTTP\/1\.\d 101/m.test(text), why: "101 ends HTTP on the connection for the client, with or without Upgrade" },
];

function explain(side: Side, kind: string, text: string): string | null {
  const way = direction(kind);
  const rule = DECIDED.find((r) => (r.side === undefined || r.side === side) && (r.way === undefined || r.way === way) && r.test(text, kind));
  return rule?.why ?? null;
}

// ---------------------------------------------------------------------------------------------
// The run.

interface Finding {
  count: number;
  examples: string[];
}

async function main(): Promise<void> {
  const reference = new Reference();
  await reference.start();
  startWatchdog();
  const findings = new Map<string, Finding>();
  const perSide: Record<Side, number> = { request: 0, response: 0 };
  let agreed = 0;
  let cases = 0;
  const startedMs = performance.now();
  const deadlineMs = startedMs + seconds * 1000;
  let nextProgressMs = startedMs + 10_000;
  while (cases < maxCases && performance.now() < deadlineMs) {
    const side = sides[cases % sides.length]!;
    const bytes = generate(side);
    cases++;
    perSide[side]++;
    const kind = await classify(side, bytes, reference);
    if (kind === null) {
      agreed++;
      continue;
    }
    let finding = findings.get(kind);
    if (finding === undefined) findings.set(kind, (finding = { count: 0, examples: [] }));
    finding.count++;
    if (finding.examples.length < examplesPerClass) {
      const example = JSON.stringify(latin1(await shrink(side, bytes, kind, reference)));
      if (!finding.examples.includes(example)) finding.examples.push(example);
    }
    if (performance.now() > nextProgressMs) {
      nextProgressMs += 10_000;
      console.error(`… ${cases} cases, ${findings.size} classes`);
    }
  }
  reference.stop();
  const elapsedS = (performance.now() - startedMs) / 1000;
  printSummary({ cases, agreed, elapsedS, perSide, findings });
  const bugs = [...findings.keys()].filter(isOurBug);
  process.exit(bugs.length > 0 ? 1 : 0);
}

const isOurBug = (kind: string) => kind.includes("THROWS") || kind.includes("DEPENDS ON READ BOUNDARIES");

function printSummary(run: { cases: number; agreed: number; elapsedS: number; perSide: Record<Side, number>; findings: Map<string, Finding> }): void {
  const { cases, agreed, elapsedS, perSide, findings } = run;
  const nodeVersion = Bun.spawnSync(["node", "--version"]).stdout.toString().trim();
  const lines = [
    `fuzz-parsers: seed ${seed}, ${cases} cases in ${elapsedS.toFixed(1)} s (${perSide.request} request streams, ${perSide.response} response streams); reference: llhttp in Node ${nodeVersion}`,
    `agree on framing: ${agreed} (${((100 * agreed) / Math.max(1, cases)).toFixed(1)}%, of which ${refusedAtLineEnd} refused by ours only once the line ends), disagree: ${cases - agreed}, in ${findings.size} classes`,
  ];
  const ordered = [...findings.entries()].sort(([a, x], [b, y]) => Number(isOurBug(b)) - Number(isOurBug(a)) || y.count - x.count);
  const bugs = ordered.filter(([kind]) => isOurBug(kind));
  lines.push("", bugs.length === 0 ? "Bugs of ours whatever the reference says (throws, hangs, read-boundary dependence): none" : "BUGS OF OURS whatever the reference says:");
  ordered.forEach(([kind, finding], k) => {
    if (k === bugs.length) lines.push("", "Disagreements with llhttp, by class (count; shrunk reproducers, each with the reason it is decided, where one is known):");
    lines.push(`${String(k + 1).padStart(3)}. ${kind}  [${finding.count}]`);
    const side = kind.split(":")[0] as Side;
    for (const example of finding.examples) {
      lines.push(`     ${example}`);
      const why = isOurBug(kind) ? null : explain(side, kind, JSON.parse(example) as string);
      lines.push(`       → ${why ?? "NOT EXPLAINED: look at it"}`);
    }
  });
  console.log(lines.join("\n"));
}

await main();
