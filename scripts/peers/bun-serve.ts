// The Bun.serve peer of scripts/bench-server.ts: the smallest server Bun's own HTTP stack offers.
// A fetch handler rather than a static route, because minibench too runs JavaScript for every request.
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: () => new Response("ok", { headers: { "Content-Type": "text/plain" } }),
});
console.log(`listening on http://${server.hostname}:${server.port}`);
