// The node:http peer of scripts/bench-server.ts, run with the machine's `node`.
import http from "node:http";

const headers = { "Content-Type": "text/plain", "Content-Length": "2" };
const server = http.createServer((request, response) => {
  response.writeHead(200, headers);
  response.end("ok");
});
server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
