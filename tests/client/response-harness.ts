/**
 * Helpers for the response parser tests: a seeded PRNG, ways to cut a byte stream into packets, a
 * recording sink, and a generator of random valid HTTP/1.x response streams with the results a
 * correct parser must report for them.
 */
import { PARSE_ERROR, ResponseParser } from "../../src/client/response-parser.ts";

export { seededRandom as prng } from "../support/random.ts";

export type Rng = () => number;
export const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
export const chance = (rng: Rng, p: number) => rng() < p;

/** Latin-1 text to bytes, one byte per character, so tests can write any byte into a response. */
export const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

export const whole = (data: Uint8Array) => [data];

export function byteByByte(data: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < data.length; i++) chunks.push(data.subarray(i, i + 1));
  return chunks;
}

/** Cuts at random points; the cut density itself varies by seed, from a few big packets to many tiny ones. */
export function randomSplit(data: Uint8Array, rng: Rng): Uint8Array[] {
  const density = pick(rng, [0.002, 0.02, 0.1, 0.5]);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (let i = 1; i < data.length; i++) {
    if (rng() < density) {
      chunks.push(data.subarray(start, i));
      start = i;
    }
  }
  chunks.push(data.subarray(start));
  return chunks;
}

export type Response = [status: number, keepAlive: boolean];

export interface Outcome {
  responses: Response[];
  /** What the first failing execute() returned, 0 when none failed. */
  error: number;
  /** What connectionClosed() returned, when the stream was closed at the end. */
  cutShort?: boolean;
}

export interface FeedOptions {
  headRequests?: boolean;
  maxHeadBytes?: number;
  /** Call connectionClosed() after the last chunk. */
  close?: boolean;
}

/** Feeds the chunks to a fresh parser as a connection would, stopping at the first error. */
export function feed(chunks: Uint8Array[], options: FeedOptions = {}): Outcome {
  const responses: Response[] = [];
  const parser = new ResponseParser(
    { onResponse: (status, keepAlive) => void responses.push([status, keepAlive]) },
    options.maxHeadBytes === undefined ? {} : { maxHeadBytes: options.maxHeadBytes },
  );
  parser.headRequests = options.headRequests ?? false;
  let error = 0;
  for (const chunk of chunks) {
    error = parser.execute(chunk);
    if (error !== 0) break;
  }
  const outcome: Outcome = { responses, error };
  if (options.close) outcome.cutShort = parser.connectionClosed();
  return outcome;
}

export { PARSE_ERROR };

// ---------------------------------------------------------------------------------------------
// Random valid response streams.

export interface Stream {
  data: Uint8Array;
  expected: Response[];
  headRequests: boolean;
  /** The last response's body ends with the connection: connectionClosed() completes it. */
  endsWithClose: boolean;
}

function randomCase(rng: Rng, text: string): string {
  const mode = int(rng, 0, 3);
  if (mode === 0) return text.toLowerCase();
  if (mode === 1) return text.toUpperCase();
  if (mode === 2) return text.replace(/(^|-)(\w)/g, (m) => m.toUpperCase());
  let out = "";
  for (const c of text) out += chance(rng, 0.5) ? c.toUpperCase() : c.toLowerCase();
  return out;
}

const OWS = ["", "", " ", "  ", "\t", " \t "];
const ows = (rng: Rng) => pick(rng, OWS);

/** Fields the parser must read past without mistaking them for the three that matter. */
const DISTRACTORS: Array<[string, string]> = [
  ["Content-Type", "text/plain; charset=utf-8"],
  ["Date", "Sun, 06 Nov 1994 08:49:37 GMT"],
  ["Server", "test/1.0 (\tobs-text \xe9\xff)"],
  ["Content-Lengthy", "oops"],
  ["Content-Len", "x"],
  ["X-Content-Length", "12345"],
  ["Connections", "close"],
  ["Connectio", "close"],
  ["Transfer-Encodings", "chunked"],
  ["X-Transfer-Encoding", "gzip"],
  ["Keep-Alive", "timeout=5, max=100"],
  ["Set-Cookie", "a=b; Path=/; HttpOnly"],
  ["ETag", '"abc,def"'],
  ["Cache-Control", "no-cache, no-store"],
  ["Link", "</a.css>; rel=preload"],
  ["X-Empty", ""],
  ["!#$%&'*+.^_`|~", "token characters"],
];

interface Head {
  text: string;
  close: boolean;
  keepAliveToken: boolean;
}

/** A Connection field, or none, and what it says. */
function connectionField(rng: Rng, eol: string): Head {
  const options: Array<[string, boolean, boolean]> = [
    ["close", true, false],
    ["keep-alive", false, true],
    ["Upgrade, close", true, false],
    ["keep-alive , upgrade", false, true],
    [",, close ,", true, false],
    ["closed", false, false],
    ["keep-alive-ish", false, false],
    ["x-close", false, false],
    ["keep alive", false, false],
    ["te", false, false],
  ];
  const [value, close, keepAliveToken] = pick(rng, options);
  const name = randomCase(rng, "Connection");
  let text = `${name}:${ows(rng)}${randomCase(rng, value)}${ows(rng)}${eol}`;
  // Occasionally the list goes on on an obs-fold continuation line.
  if (chance(rng, 0.1)) text = `${name}: x-first,${eol} \t${randomCase(rng, value)}${eol}`;
  return { text, close, keepAliveToken };
}

function reasonPhrase(rng: Rng): string {
  return pick(rng, [" OK", " ", "", " Not Found", " Some\treason (with) [chars] \xe9", " 200 OK"]);
}

function distractors(rng: Rng, eol: string): string {
  let text = "";
  for (let n = int(rng, 0, 4); n > 0; n--) {
    const [name, value] = pick(rng, DISTRACTORS);
    text += `${randomCase(rng, name)}:${ows(rng)}${value}${eol}`;
  }
  return text;
}

/** Chunked framing: CRLF throughout, as RFC 9112 §7.1 requires (bare LF is tolerated only in the head). */
function chunkedBody(rng: Rng): string {
  let body = "";
  for (let n = int(rng, 0, 4); n > 0; n--) {
    const size = int(rng, 1, 300);
    let sizeText = size.toString(16);
    sizeText = chance(rng, 0.5) ? sizeText.toUpperCase() : sizeText;
    if (chance(rng, 0.1)) sizeText = "000" + sizeText;
    const ext = pick(rng, ["", "", ";a=b", ';name="quoted; value"', ";x", " ;y=1", ' ; q = "\\\"" ;z']);
    body += `${sizeText}${ext}\r\n${"d".repeat(size - 1)}\n\r\n`;
  }
  body += pick(rng, ["0", "000"]) + pick(rng, ["", ";last=1"]) + "\r\n";
  for (let n = int(rng, 0, 2); n > 0; n--) body += `${randomCase(rng, "X-Trailer")}-${n}: v${n}\r\n`;
  return body + "\r\n";
}

/** One final response (after optional 1xx) and what the parser must report for it. */
function randomResponse(rng: Rng, headRequests: boolean, last: boolean): { text: string; expected: Response; endsWithClose: boolean } {
  // Bare LF line ends are tolerated (RFC 9112 §2.2); most servers use CRLF.
  const eol = chance(rng, 0.1) ? "\n" : "\r\n";
  let text = "";
  for (let n = chance(rng, 0.2) ? int(rng, 1, 2) : 0; n > 0; n--) {
    const interim = pick(rng, [100, 102, 103]);
    text += `HTTP/1.1 ${interim}${pick(rng, [" Continue", " ", ""])}${eol}`;
    // Framing fields on a 1xx mean nothing: it never has a body.
    if (chance(rng, 0.3)) text += `Content-Length: 10${eol}`;
    text += distractors(rng, eol) + eol;
  }
  const http10 = chance(rng, 0.25);
  const status = pick(rng, [200, 200, 200, 201, 204, 206, 301, 304, 404, 418, 500, 503, 599, int(rng, 200, 999)]);
  text += `HTTP/1.${http10 ? 0 : 1} ${status}${reasonPhrase(rng)}${eol}`;
  text += distractors(rng, eol);
  let close = false;
  let keepAliveToken = false;
  if (chance(rng, 0.5)) {
    const field = connectionField(rng, eol);
    text += field.text;
    close = field.close;
    keepAliveToken = field.keepAliveToken;
  }
  let keepAlive = http10 ? keepAliveToken && !close : !close;
  const noBody = headRequests || status === 204 || status === 304;
  // Close-delimited only for the last response: nothing can follow it on the connection.
  const framing = pick(rng, last && !noBody && !http10 ? ["length", "chunked", "close"] : ["length", "chunked"]);
  let body = "";
  if (framing === "length") {
    const length = int(rng, 0, 400);
    const clName = () => randomCase(rng, "Content-Length");
    text += `${clName()}:${ows(rng)}${length}${ows(rng)}${eol}`;
    if (chance(rng, 0.15)) text += `${clName()}: ${length}, ${length}${eol}`;
    body = "b".repeat(length);
  } else if (framing === "chunked") {
    const coding = randomCase(rng, pick(rng, ["chunked", "gzip, chunked", "chunked;x=1"]));
    text += `${randomCase(rng, "Transfer-Encoding")}:${ows(rng)}${coding}${ows(rng)}${eol}`;
    // HTTP/1.0 with Transfer-Encoding is faulty framing: read it, then do not reuse the connection.
    if (http10) keepAlive = false;
    body = chunkedBody(rng);
  } else {
    body = "c".repeat(int(rng, 0, 300));
    keepAlive = false;
  }
  text += distractors(rng, eol) + eol;
  if (!noBody) text += body;
  // A stray empty line between responses, as some servers send after a body.
  if (!last && framing !== "close" && chance(rng, 0.05)) text += "\r\n";
  return { text, expected: [status, keepAlive], endsWithClose: framing === "close" && !noBody };
}

export function randomStream(rng: Rng): Stream {
  const headRequests = chance(rng, 0.15);
  const count = int(rng, 1, 8);
  let text = "";
  const expected: Response[] = [];
  let endsWithClose = false;
  for (let n = 0; n < count; n++) {
    const response = randomResponse(rng, headRequests, n === count - 1);
    text += response.text;
    expected.push(response.expected);
    endsWithClose = response.endsWithClose;
  }
  return { data: bytes(text), expected, headRequests, endsWithClose };
}
