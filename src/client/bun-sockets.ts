import type { Socket, SocketHandler } from "bun";
import type { Target } from "./target.ts";
import type { Dialer, Transport, TransportHandler } from "./transport.ts";

/**
 * Transports on Bun's own sockets (`Bun.connect`): plain TCP, and TLS, which differs only in how a
 * connection becomes usable (after its handshake) and how it can fail (a certificate refused).
 * Bun resolves the name itself on each connect (and caches it), so `resolve()` gives the name.
 */

/** A failed connect rejects the promise and also calls connectError, where it is counted. Shared: no closure per connect. */
const reportedByConnectError = () => {};

/** Why Bun's connect failed, as the engine counts it: the errno's name where there is one. */
const reasonOf = (error: Error & { code?: string }) => error.code ?? error.message;

/** The handler events both kinds pass straight on: Bun's sockets are the engine's sockets. */
function passThrough<T>(handler: TransportHandler<T>): SocketHandler<T> {
  return {
    data: (socket, chunk) => handler.data(socket, chunk),
    drain: (socket) => handler.drain(socket),
    close: (socket, error) => handler.close(socket, error),
    connectError: (socket, error) => handler.dialFailed(socket.data, "connect", reasonOf(error)),
    error() {
      // Always followed by close, which reports what was lost.
    },
  };
}

function bunDialer<T>(target: Target, socket: SocketHandler<T>, tls: boolean): Dialer<string, T> {
  const tlsOptions = tls ? { rejectUnauthorized: !target.insecure, serverName: target.hostname } : undefined;
  return {
    connect(hostname, data) {
      Bun.connect<T>({ hostname, port: target.port, data, socket, tls: tlsOptions }).catch(reportedByConnectError);
    },
  };
}

export function bunTcp(target: Target): Transport<string> {
  return {
    name: "tcp",
    capabilities: { punctualTimers: true },
    resolve: async () => [target.hostname],
    dialer: <T>(handler: TransportHandler<T>) =>
      bunDialer(target, { ...passThrough(handler), open: (socket: Socket<T>) => handler.open(socket) }, false),
  };
}

export function bunTls(target: Target): Transport<string> {
  return {
    name: "tls",
    capabilities: { punctualTimers: true },
    resolve: async () => [target.hostname],
    dialer<T>(handler: TransportHandler<T>) {
      // Usable once the handshake is over: `open` comes before it and is not the engine's business.
      // Without a handshake handler Bun would close a refused connection with no reason given.
      const handshake = (socket: Socket<T>, success: boolean, authorizationError: Error | null) => {
        if (success || target.insecure) {
          handler.open(socket);
          return;
        }
        socket.terminate();
        handler.dialFailed(socket.data, "tls", authorizationError?.message ?? "TLS handshake failed");
      };
      return bunDialer(target, { ...passThrough(handler), handshake }, true);
    },
  };
}
