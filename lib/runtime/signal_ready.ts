// The monitor is PID 1 of the container's PID namespace, and the kernel drops a
// signal sent from outside that PID 1 has no handler for (SIGKILL and SIGSTOP
// excepted). Right after `start` the monitor may not have installed its handlers
// yet: qemu ignored SIGTERM 0.3 s after exec and handled it at 1 s (measured on
// the CI machine), so a `ctr task kill` right after `ctr run -d` was lost.

import { caughtSignals } from "./init_signals.ts";

const UNCATCHABLE = new Set([9, 19]); // SIGKILL, SIGSTOP

/**
 * Wait until `pid` catches `signal` (its SigCgt bit is set), at most `timeoutMs`.
 * True when it does (or need not); false on timeout or when the process is gone:
 * the caller sends anyway, and the kernel decides as it would have.
 */
export async function awaitSignalHandler(
  pid: number,
  signal: number,
  timeoutMs = 3000,
  caught: (pid: number) => bigint | null = caughtSignals,
): Promise<boolean> {
  if (UNCATCHABLE.has(signal)) return true;
  const bit = 1n << BigInt(signal - 1);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mask = caught(pid);
    if (mask === null) return false;
    if ((mask & bit) !== 0n) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}
