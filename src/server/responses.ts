import { REQUEST_CLOSE, REQUEST_HEAD, REQUEST_KEEP_ALIVE_10 } from "./request-parser.ts";

/**
 * Every response the server can send, encoded once at start-up, so that answering a request is
 * picking a buffer, never building one.
 */
export interface Responses {
  /** The 200 response for a request's flags (`REQUEST_HEAD | REQUEST_CLOSE | REQUEST_KEEP_ALIVE_10`). */
  ok: readonly Uint8Array[];
  /** `100 Continue`, for clients that wait before sending a body. */
  continue: Uint8Array;
  error(status: number): Uint8Array;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

const encoder = new TextEncoder();

/** A body of `size` bytes: `ok` by default, the same two letters repeated for larger sizes. */
export function bodyOfSize(size: number): string {
  return "ok".repeat(Math.ceil(size / 2)).slice(0, size);
}

export function buildResponses(bodySize: number): Responses {
  const body = bodyOfSize(bodySize);
  const head = `HTTP/1.1 200 OK\r\nContent-Length: ${bodySize}\r\nContent-Type: text/plain\r\n`;
  const ok: Uint8Array[] = [];
  for (let flags = 0; flags <= (REQUEST_HEAD | REQUEST_CLOSE | REQUEST_KEEP_ALIVE_10); flags++) {
    const connection = flags & REQUEST_CLOSE ? "Connection: close\r\n" : flags & REQUEST_KEEP_ALIVE_10 ? "Connection: keep-alive\r\n" : "";
    ok.push(encoder.encode(`${head}${connection}\r\n${flags & REQUEST_HEAD ? "" : body}`));
  }
  const errors = new Map<number, Uint8Array>();
  for (const [status, reason] of Object.entries(REASONS)) {
    const text = `${status} ${reason}\n`;
    errors.set(
      Number(status),
      encoder.encode(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${text.length}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${text}`),
    );
  }
  return {
    ok,
    continue: encoder.encode("HTTP/1.1 100 Continue\r\n\r\n"),
    error: (status) => errors.get(status) ?? errors.get(400)!,
  };
}
