/**
 * Micro-benchmark of the response parser: nanoseconds per response for ~100-byte responses.
 *
 *   bun scripts/bench-response-parser.ts [responses=1000000]
 *
 * Four shapes: many pipelined responses per read (the parser's inner loops), one response per
 * read (closed loop without pipelining: the per-call cost dominates), nginx's own response (the
 * fields of a real server, Connection included), and chunked responses.
 */
import { ResponseParser } from "../src/client/response-parser.ts";

const total = Number(process.argv[2] ?? 1_000_000);
const encode = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

const LENGTH =
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 2\r\n\r\nok";
/** nginx's answer to `return 200 "ok"` on a keep-alive connection, byte for byte. */
const NGINX =
  "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Sun, 29 Nov 2026 06:35:09 GMT\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok";
const CHUNKED =
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";

function bench(name: string, response: string, perRead: number): void {
  const read = encode(response.repeat(perRead));
  const reads = Math.ceil(total / perRead);
  let count = 0;
  const parser = new ResponseParser({
    onResponse(status) {
      count += status === 200 ? 1 : 0;
    },
  });
  // Warm up the JIT on the same shape, then measure.
  for (let r = 0; r < Math.min(reads, 20_000); r++) parser.execute(read);
  count = 0;
  const start = Bun.nanoseconds();
  for (let r = 0; r < reads; r++) {
    if (parser.execute(read) !== 0) throw new Error(`parse error: ${parser.errorReason}`);
  }
  const elapsedNs = Bun.nanoseconds() - start;
  if (count !== reads * perRead) throw new Error(`expected ${reads * perRead} responses, got ${count}`);
  const nsPerResponse = elapsedNs / count;
  console.log(
    `${name.padEnd(34)} ${String(response.length).padStart(3)} B  ${nsPerResponse.toFixed(1).padStart(7)} ns/response  ` +
      `${(1e3 / nsPerResponse).toFixed(2).padStart(6)} M responses/s  ${((response.length * 1e3) / nsPerResponse).toFixed(0)} MB/s`,
  );
}

bench("Content-Length, 600 per read", LENGTH, 600);
bench("Content-Length, 1 per read", LENGTH, 1);
bench("nginx keep-alive, 1 per read", NGINX, 1);
bench("chunked, 600 per read", CHUNKED, 600);
bench("chunked, 1 per read", CHUNKED, 1);
