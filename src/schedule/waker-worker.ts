import type { WakerSetup } from "./waker.ts";

/** The sleeping half of the open-loop waker: see `waker.ts` for why it exists. */
declare const self: Worker;

const epochUs = () => (performance.timeOrigin + performance.now()) * 1000;
/** Longest single sleep, so a stop or a new due time is noticed soon even without a notify. */
const MAX_SLEEP_MS = 2;
/** At most 5,000 wake-ups a second: at high rates most requests leave from I/O callbacks anyway. */
const MIN_INTERVAL_US = 200;

self.onmessage = async (event: MessageEvent<WakerSetup>) => {
  const { shared, port } = event.data;
  const slots = new Float64Array(shared, 0, 2);
  const notify = new Int32Array(shared, 16, 1);
  const socket = await Bun.udpSocket({});
  const ping = new Uint8Array(1);
  self.postMessage("ready");
  let wokenFor = Number.NaN;
  let wokenAtUs = 0;
  while (slots[1] === 0) {
    // Waking at most every MIN_INTERVAL_US caps the cost at high rates; requests due in between
    // leave together, at most that much late (and most leave earlier, from I/O callbacks).
    const dueUs = Math.max(slots[0]!, wokenAtUs + MIN_INTERVAL_US);
    const waitUs = dueUs - epochUs();
    if (waitUs > 0) {
      Atomics.wait(notify, 0, Atomics.load(notify, 0), Math.min(waitUs / 1000, MAX_SLEEP_MS));
    } else if (slots[0] !== wokenFor) {
      wokenFor = slots[0]!;
      wokenAtUs = epochUs();
      socket.send(ping, port, "127.0.0.1");
    } else {
      // Sent for this due time and the scheduler has not set the next one yet: wait for it.
      Atomics.wait(notify, 0, Atomics.load(notify, 0), 0.05);
    }
  }
  socket.close();
};
