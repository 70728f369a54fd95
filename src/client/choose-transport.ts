import { bunTcp, bunTls } from "./bun-sockets.ts";
import { epollTransport } from "./epoll.ts";
import type { Target } from "./target.ts";
import type { Transport, TransportCapabilities } from "./transport.ts";

/** The sockets that carry plain HTTP, when a run names them (tests run both). */
export type SocketLayer = "bun" | "epoll";

/**
 * The transport for `target`: TLS on Bun's sockets; plain HTTP on the epoll layer, the cheapest per
 * connection, where there is one and it has what the run `needs`, else on Bun's sockets. A named
 * `layer` is taken as asked (where it exists).
 */
export function chooseTransport(target: Target, needs: Partial<TransportCapabilities> = {}, layer?: SocketLayer): Transport {
  if (target.tls) return bunTls(target);
  const epoll = layer === "bun" ? null : epollTransport(target);
  if (epoll !== null && (layer === "epoll" || meets(epoll.capabilities, needs))) return epoll;
  return bunTcp(target);
}

function meets(capabilities: TransportCapabilities, needs: Partial<TransportCapabilities>): boolean {
  return !needs.punctualTimers || capabilities.punctualTimers;
}
