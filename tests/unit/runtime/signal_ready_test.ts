import assert from "node:assert/strict";
import { awaitSignalHandler } from "../../../lib/runtime/signal_ready.ts";

const TERM_BIT = 1n << 14n;

Deno.test("kill waits until PID 1 catches the signal, not for SIGKILL, gives up when gone", async () => {
  let reads = 0;
  // the handler shows up on the third look
  assert.equal(await awaitSignalHandler(7, 15, 1000, () => ++reads >= 3 ? TERM_BIT : 0n), true);
  assert.equal(reads, 3);
  reads = 0;
  assert.equal(await awaitSignalHandler(7, 9, 1000, () => (reads++, 0n)), true);
  assert.equal(reads, 0, "SIGKILL needs no handler");
  assert.equal(await awaitSignalHandler(7, 15, 1000, () => null), false, "process gone");
  assert.equal(await awaitSignalHandler(7, 10, 30, () => TERM_BIT), false, "never caught: timeout");
});

Deno.test("several signals: ready only when every one is caught", async () => {
  const TERM = 1n << 14n, INT = 1n << 1n;
  assert.equal(await awaitSignalHandler(7, [15, 2], 30, () => TERM), false, "SIGINT not yet");
  let reads = 0;
  const both = () => ++reads >= 3 ? TERM | INT : TERM;
  assert.equal(await awaitSignalHandler(7, [15, 2], 1000, both), true);
  assert.equal(
    await awaitSignalHandler(7, [9, 19], 30, () => 0n),
    true,
    "uncatchable: nothing to wait for",
  );
});
