// The monitor is PID 1 of the container's PID namespace, and the kernel drops a
// signal sent from outside that PID 1 has no handler for (SIGKILL and SIGSTOP
// excepted). Right after `start` the monitor may not have installed its handlers
// yet: qemu ignored SIGTERM 0.3 s after exec and handled it at 1 s (measured on
// the CI machine), so a `ctr task kill` right after `ctr run -d` was lost.

const UNCATCHABLE = new Set([9, 19]); // SIGKILL, SIGSTOP

/**
 * Wait until `pid` catches every one of `signals` (their SigCgt bits are set), at
 * most `timeoutMs`. True when it does (or need not); false on timeout or when the
 * process is gone (`caught` returns null): `kill` sends anyway, and the kernel
 * decides as it would have; `create` fails.
 */
export async function awaitSignalHandler(
  pid: number,
  signals: number | readonly number[],
  timeoutMs: number,
  /** The SigCgt mask of `pid` (Processes.caughtSignals); null when it is gone. */
  caught: (pid: number) => bigint | null,
): Promise<boolean> {
  const bit = [signals].flat().filter((s) => !UNCATCHABLE.has(s))
    .reduce((m, s) => m | (1n << BigInt(s - 1)), 0n);
  if (bit === 0n) return true;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mask = caught(pid);
    if (mask === null) return false;
    if ((mask & bit) === bit) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}
