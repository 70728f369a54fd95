import { Tally } from "../../src/stats/tally.ts";
import type { EngineListener } from "../../src/client/engine.ts";
import type { Sender } from "../../src/schedule/sender.ts";

/**
 * A connection engine without sockets: `capacity` slots, a record of every intended send time,
 * and outcomes completed by hand — so schedulers can be tested with a fake clock.
 */
export class FakeSender implements Sender {
  tally = new Tally(0);
  listener: EngineListener = { onSlotFree() {} };
  readonly sentIntendedUs: number[] = [];
  private readonly inFlightIntended: number[] = [];
  /** When set, every send fails at once and frees its slot from inside send(), as a refused connect can. */
  failSynchronously = false;
  /** Set by a test: the workload has no more requests. */
  exhausted = false;

  constructor(
    private readonly capacity: number,
    private readonly clock: () => number,
  ) {}

  get freeSlots(): number {
    return this.capacity - this.inFlightIntended.length;
  }

  get inFlight(): number {
    return this.inFlightIntended.length;
  }

  send(intendedUs?: number): boolean {
    if (this.freeSlots === 0) return false;
    const intended = intendedUs ?? this.clock();
    this.sentIntendedUs.push(intended);
    this.tally.onSend(intended, this.clock());
    if (this.failSynchronously) {
      this.tally.onError("connect", intended, this.clock());
      this.listener.onSlotFree();
    } else {
      this.inFlightIntended.push(intended);
    }
    return true;
  }

  /** The oldest `n` requests get a 200 now. */
  complete(n: number): void {
    for (let i = 0; i < n; i++) {
      const intended = this.inFlightIntended.shift();
      if (intended === undefined) return;
      this.tally.onResponse(200, intended, intended, this.clock());
      this.listener.onSlotFree();
    }
  }
}
