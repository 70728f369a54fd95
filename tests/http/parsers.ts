/**
 * Both HTTP/1 parsers behind one test interface: a body, or a head, is wrapped into a request for
 * the server and a response for the client, fed whole, byte by byte and at random split points,
 * and read back as a verdict that must not depend on the splits.
 */
import { expect } from "bun:test";
import { ResponseParser } from "../../src/client/response-parser.ts";
import { RequestParser } from "../../src/server/request-parser.ts";
import { byteByByte, bytes, prng, randomSplit, whole } from "../client/response-harness.ts";

/** The head and trailer limit both parsers get here, small enough for a table case to cross. */
export const LIMIT_BYTES = 1024;

const SPLIT_SEEDS = 30;

/** What became of a message: read with the framing it declared, refused, or still waiting for bytes. */
export type Verdict = "framed" | "invalid" | "too large" | "incomplete";

/** Every way the tests cut a message into reads. */
function cuts(data: Uint8Array): Uint8Array[][] {
  const all = [whole(data), byteByByte(data)];
  for (let seed = 1; seed <= SPLIT_SEEDS; seed++) all.push(randomSplit(data, prng(seed)));
  return all;
}

/** The one result of `read` over every way of cutting `text`: they must all agree. */
function agreed<T>(text: string, read: (chunks: Uint8Array[]) => T): T {
  const [first, ...rest] = cuts(bytes(text)).map(read);
  for (const other of rest) expect(other).toEqual(first!);
  return first!;
}

export interface RequestOutcome {
  /** The flags of each request reported. */
  requests: number[];
  /** The status the server would answer with, 0 when none. */
  status: number;
}

export function parseRequests(text: string): RequestOutcome {
  return agreed(text, (chunks) => {
    const requests: number[] = [];
    const parser = new RequestParser(
      { onRequest: (flags) => void requests.push(flags), onContinue: () => {} },
      { maxRequestLineBytes: 8 * 1024, maxHeaderBytes: LIMIT_BYTES },
    );
    let status = 0;
    for (const chunk of chunks) status ||= parser.execute(chunk);
    return { requests, status };
  });
}

export interface ResponseOutcome {
  /** `status keepAlive` of each response reported. */
  responses: string[];
  /** Why the parser stopped, "" when it did not. */
  error: string;
}

export function parseResponses(text: string, options: { close?: boolean } = {}): ResponseOutcome {
  return agreed(text, (chunks) => {
    const responses: string[] = [];
    const parser = new ResponseParser(
      { onResponse: (status, keepAlive) => void responses.push(`${status} ${keepAlive ? "keep-alive" : "close"}`) },
      { maxHeadBytes: LIMIT_BYTES },
    );
    let failed = false;
    for (const chunk of chunks) if (!failed) failed = parser.execute(chunk) !== 0;
    const error = parser.errorReason;
    if (options.close) parser.connectionClosed();
    return { responses, error };
  });
}

const NEXT_REQUEST = "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
const NEXT_RESPONSE = "HTTP/1.1 204 No Content\r\n\r\n";

/**
 * The server's verdict on a body: sent in a POST with `field` as its framing, followed by a GET
 * that must come out as its own request when the body was framed right.
 */
export function serverVerdict(field: string, body: string): Verdict {
  const { requests, status } = parseRequests(`POST / HTTP/1.1\r\nHost: x\r\n${field}\r\n\r\n${body}${NEXT_REQUEST}`);
  if (status === 431) return "too large";
  if (status !== 0) {
    expect(status).toBe(400);
    return "invalid";
  }
  expect([0, 2]).toContain(requests.length);
  return requests.length === 2 ? "framed" : "incomplete";
}

/** The client's verdict on a body: in a 200 with `field` as its framing, followed by a 204. */
export function clientVerdict(field: string, body: string): Verdict {
  const { responses, error } = parseResponses(`HTTP/1.1 200 OK\r\n${field}\r\n\r\n${body}${NEXT_RESPONSE}`);
  if (error !== "") {
    expect(responses).toEqual([]);
    return error === "trailer section too large" || error === "response head too large" ? "too large" : "invalid";
  }
  if (responses.length === 0) return "incomplete";
  expect(responses).toEqual(["200 keep-alive", "204 keep-alive"]);
  return "framed";
}
