import { nowUs } from "../client/clock.ts";
import type { Alarm } from "./sender.ts";
import { RunError } from "../errors.ts";
import { workerReply } from "../worker-reply.ts";

/**
 * Wakes the open-loop scheduler at a given microsecond, without blocking its thread.
 *
 * JavaScript timers fire ~1.1 ms late at best, and a request scheduled between two ticks would
 * leave up to a millisecond late: that lag is measured error, because the open loop measures
 * latency from the intended time. Spinning on `setImmediate` would be punctual but burns a core,
 * and sleeping on the scheduler's own thread would delay the responses it must time. So a small
 * Worker sleeps precisely (a futex wait: ~50–100 µs late) until the next due time and then sends
 * one UDP datagram on loopback, which wakes the scheduler's event loop like any socket does.
 * It only sends when the scheduler has not already run for that due time from an I/O callback.
 */

/** Shared slots: the next due time (epoch µs) and a stop flag. */
const DUE = 0;
const STOP = 1;

export interface WakerSetup {
  shared: SharedArrayBuffer;
  port: number;
}

/** This thread's `nowUs()` on the clock every thread shares (epoch microseconds). */
const epochOffsetUs = (performance.timeOrigin + performance.now()) * 1000 - nowUs();

export class Waker implements Alarm {
  /** Called when woken; the open loop sets it to its dispatch. */
  onRing: () => void = () => {};

  private constructor(
    private readonly slots: Float64Array,
    private readonly notify: Int32Array,
    private readonly worker: Worker,
    private readonly socket: { close(): void },
  ) {}

  static async start(): Promise<Waker> {
    let waker: Waker | undefined;
    const socket = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, socket: { data: () => waker?.onRing() } });
    const shared = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * 2 + Int32Array.BYTES_PER_ELEMENT);
    const slots = new Float64Array(shared, 0, 2);
    slots[DUE] = Number.POSITIVE_INFINITY;
    const worker = new Worker(new URL("./waker-worker.ts", import.meta.url));
    const ready = workerReply(worker, "the open loop's timer thread");
    worker.postMessage({ shared, port: socket.port } satisfies WakerSetup);
    try {
      await ready;
    } catch (error) {
      worker.terminate();
      socket.close();
      throw new RunError((error as Error).message);
    }
    waker = new Waker(slots, new Int32Array(shared, 16, 1), worker, socket);
    return waker;
  }

  /** Asks to be woken at `dueUs` (on this thread's `nowUs()` clock). */
  set(dueUs: number): void {
    const dueEpochUs = dueUs + epochOffsetUs;
    const earlier = dueEpochUs < this.slots[DUE]!;
    this.slots[DUE] = dueEpochUs;
    if (earlier) {
      Atomics.add(this.notify, 0, 1);
      Atomics.notify(this.notify, 0);
    }
  }

  stop(): void {
    this.slots[STOP] = 1;
    Atomics.add(this.notify, 0, 1);
    Atomics.notify(this.notify, 0);
    this.worker.terminate();
    this.socket.close();
  }
}
