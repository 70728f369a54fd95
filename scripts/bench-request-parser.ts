/**
 * Micro-benchmark of the server's request parser: nanoseconds per request.
 *
 *   bun scripts/bench-request-parser.ts [--messages 1000000] [--rounds 5] [--against REV]
 *
 * Shapes: wrk's keep-alive GET (what `bench-server.ts` sends), a browser-like GET with many fields,
 * both pipelined and one per read, and bodies framed by Content-Length and by chunks. With
 * --against, the parser as it is at git revision REV runs beside this one.
 */
import type * as Parser from "../src/server/request-parser.ts";
import { run, shapes, versions, type Shape } from "./lib/parser-bench.ts";

/** wrk's request, byte for byte. */
const WRK = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
const BROWSER =
  "GET /assets/app.js?v=1234 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n" +
  "Accept: */*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nReferer: https://example.com/\r\n" +
  "Connection: keep-alive\r\nCookie: session=abcdef0123456789; theme=dark\r\n\r\n";
const POST = "POST /api HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"hello\":\"world\"}";
const CHUNKED = "POST /api HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

const all: Shape[] = [
  ...shapes("wrk GET", WRK, 100, 1),
  ...shapes("browser GET", BROWSER, 1),
  ...shapes("POST Content-Length", POST, 1),
  ...shapes("POST chunked", CHUNKED, 100, 1),
];

run(
  await versions<typeof Parser>("src/server/request-parser.ts"),
  ({ RequestParser }, onMessage) => {
    const parser = new RequestParser({ onRequest: onMessage, onContinue: () => {} });
    return (read) => parser.execute(read);
  },
  all,
);
