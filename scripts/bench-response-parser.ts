/**
 * Micro-benchmark of the response parser: nanoseconds per response for ~100-byte responses.
 *
 *   bun scripts/bench-response-parser.ts [--messages 1000000] [--rounds 5] [--against REV]
 *
 * Five shapes: many pipelined responses per read (the parser's inner loops), one response per
 * read (closed loop without pipelining: the per-call cost dominates), nginx's own response (the
 * fields of a real server, Connection included), and chunked responses, many and one per read.
 * With --against, the parser as it is at git revision REV runs beside this one.
 */
import type * as Parser from "../src/client/response-parser.ts";
import { run, shapes, versions, type Shape } from "./lib/parser-bench.ts";

const LENGTH =
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 2\r\n\r\nok";
/** nginx's answer to `return 200 "ok"` on a keep-alive connection, byte for byte. */
const NGINX =
  "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Sun, 29 Nov 2026 06:35:09 GMT\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok";
const CHUNKED =
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";

const all: Shape[] = [
  ...shapes("Content-Length", LENGTH, 600, 1),
  ...shapes("nginx keep-alive", NGINX, 1),
  ...shapes("chunked", CHUNKED, 600, 1),
];

run(
  await versions<typeof Parser>("src/client/response-parser.ts"),
  ({ ResponseParser }, onMessage) => {
    const parser = new ResponseParser({ onResponse: (status) => status === 200 && onMessage() });
    return (read) => parser.execute(read);
  },
  all,
);
