import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/errors.ts";
import { Patcher, PoolBuilder, type RequestPool } from "../../src/workload/pool.ts";
import { Random } from "../../src/workload/random.ts";
import { readTargets } from "../../src/workload/targets.ts";
import { NO_DEFAULTS } from "../../src/workload/target-spec.ts";

function pool(text: string, maxPoolBytes?: number): RequestPool {
  const builder = new PoolBuilder(true, maxPoolBytes);
  readTargets({ file: "t", text }, null, NO_DEFAULTS, (spec, line) => builder.add(spec, line));
  return builder.build();
}

const wire = (p: RequestPool, i: number) => Buffer.from(p.request(i)).toString("latin1");

describe("the request pool", () => {
  const text = [
    "# @name login",
    "# @weight 5",
    "POST http://127.0.0.1:8080/login",
    "Content-Type: application/json",
    "",
    "HEAD https://example.com/x",
    "",
    "# @name login",
    "GET http://127.0.0.1:8080/again",
  ].join("\n");

  test("holds every request back to back in one buffer", () => {
    const p = pool(text);
    expect(p.count).toBe(3);
    expect([0, 1, 2].map((i) => wire(p, i))).toEqual([
      "POST /login HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n",
      "HEAD /x HTTP/1.1\r\nHost: example.com\r\n\r\n",
      "GET /again HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
    ]);
    expect(p.offsets[0]).toBe(0);
    expect(p.offsets[3]).toBe(p.bytes.length);
  });

  test("keeps weights, HEAD flags, origins and names per target", () => {
    const p = pool(text);
    expect(Array.from(p.weights)).toEqual([5, 1, 1]);
    expect(Array.from(p.head)).toEqual([0, 1, 0]);
    expect(p.origins).toEqual([
      { tls: false, hostname: "127.0.0.1", port: 8080 },
      { tls: true, hostname: "example.com", port: 443 },
    ]);
    expect(Array.from(p.originOf)).toEqual([0, 1, 0]);
    expect(p.names).toEqual(["login"]);
    expect(Array.from(p.nameOf)).toEqual([0, -1, 0]);
  });

  test("grows past its first buffer: 5,000 targets, each request where the offsets say", () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `http://127.0.0.1:8080/item/${i}?pad=${"x".repeat(i % 50)}`);
    const p = pool(lines.join("\n"));
    expect(p.count).toBe(5000);
    for (const i of [0, 1, 2499, 4999]) {
      expect(wire(p, i)).toBe(`GET /item/${i}?pad=${"x".repeat(i % 50)} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n`);
    }
  });

  test("a pool past --max-pool is refused with a message naming the flag", () => {
    const lines = Array.from({ length: 100 }, (_, i) => `http://a/${i}`).join("\n");
    expect(() => pool(lines, 1000)).toThrow(UsageError);
    expect(() => pool(lines, 1000)).toThrow(/^--max-pool: the targets take more than 0 MiB encoded \(\d+ targets read so far\); raise --max-pool/);
  });
});

describe("placeholders patched per send", () => {
  const body = Buffer.from('{"id":"{{seq:6}}","token":"{{rand:8}}"}').toString("base64");
  const text = [
    `{"method":"POST","url":"http://a/users/{{seq}}?trace={{uuid}}","header":{"X-Req":["{{seq:4}}"]},"body":"${body}"}`,
    '{"method":"GET","url":"http://a/static"}',
  ].join("\n");

  test("the encoded request carries fillers of the final width, and a true Content-Length", () => {
    expect(wire(pool(text), 0)).toBe(
      "POST /users/0000000000?trace=00000000-0000-4000-8000-000000000000 HTTP/1.1\r\nHost: a\r\nX-Req: 0000\r\nContent-Length: 34\r\n\r\n" +
        '{"id":"000000","token":"00000000"}',
    );
    expect('{"id":"000000","token":"00000000"}'.length).toBe(34);
  });

  test("{{seq}} takes the next value per request, the same in URL, header and body; the length never changes", () => {
    const p = pool(text);
    const patcher = new Patcher(p, new Random(1));
    const length = p.request(0).length;
    const seen = new Set<string>();
    for (let n = 0; n < 1000; n++) {
      patcher.patch(0);
      const request = wire(p, 0);
      expect(request.length).toBe(length);
      const [, url, trace, header, id, token] = /^POST \/users\/(\d{10})\?trace=([0-9a-f-]{36}) .*X-Req: (\d{4})\r\n.*"id":"(\d{6})","token":"(\d{8})"}$/s.exec(request)!;
      expect([url, header, id]).toEqual([String(n).padStart(10, "0"), String(n).padStart(4, "0"), String(n).padStart(6, "0")]);
      seen.add(`${trace} ${token}`);
    }
    expect(seen.size).toBe(1000);
  });

  test("a target without placeholders is left alone and takes no counter value", () => {
    const p = pool(text);
    const patcher = new Patcher(p, new Random(1));
    const before = wire(p, 1);
    patcher.patch(1);
    expect(wire(p, 1)).toBe(before);
    patcher.patch(0);
    expect(wire(p, 0)).toStartWith("POST /users/0000000000?");
  });

  test("threads take interleaved counters: first and step", () => {
    const p = pool("http://a/{{seq:3}}");
    const values = (first: number) => {
      const patcher = new Patcher(p, new Random(1), first, 2);
      return Array.from({ length: 3 }, () => {
        patcher.patch(0);
        return wire(p, 0).slice(5, 8);
      });
    };
    expect(values(0)).toEqual(["000", "002", "004"]);
    expect(values(1)).toEqual(["001", "003", "005"]);
  });

  test("the same seed fills the same random values", () => {
    const fill = () => {
      const p = pool(text);
      const patcher = new Patcher(p, new Random(42));
      patcher.patch(0);
      return wire(p, 0);
    };
    expect(fill()).toBe(fill());
  });
});

describe("groups, idempotency and origins", () => {
  test("a group per name, else per method and path without the query; past 100, one (other) group", () => {
    const urls = Array.from({ length: 150 }, (_, i) => `GET http://h/p${i}?q=${i}`);
    const p = pool(["# @name named", "GET http://h/x?a=1", "", "GET http://h/x?a=2", "", "POST http://h/x", "", ...urls.map((u) => `${u}\n`)].join("\n"));
    expect(p.groups.slice(0, 4)).toEqual(["named", "GET /x", "POST /x", "GET /p0"]);
    expect(p.groups).toHaveLength(101);
    expect(p.groups[100]).toBe("(other)");
    // The name is the first target's: the second is the only unnamed GET /x.
    expect(Array.from(p.groupOf.subarray(0, 5))).toEqual([0, 1, 2, 3, 4]);
    // Groups 3..99 are /p0../p96 (targets 3..99); every later path is (other).
    expect(p.groupOf[99]).toBe(99);
    expect(Array.from(p.groupOf.subarray(100))).toEqual(Array(53).fill(100));
  });

  test("idempotent methods may be sent again; the line of each origin's first target is kept", () => {
    const p = pool(["GET http://a/", "", "# @name n", "POST http://a/", "", "# @name m", "GET http://a/x", "", "DELETE http://b:81/", ""].join("\n"));
    expect(Array.from(p.idempotent)).toEqual([1, 0, 1, 1]);
    expect(p.origins).toEqual([{ tls: false, hostname: "a", port: 80 }, { tls: false, hostname: "b", port: 81 }]);
    expect(p.originLines).toEqual([1, 9]);
  });
});
