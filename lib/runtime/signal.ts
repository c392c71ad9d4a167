import type { Syscalls } from "../../ffi/syscalls.ts";
import { processState } from "../oci/state.ts";

/**
 * Signal the process we started, never a stranger that reused its pid: take a
 * pidfd first, then check the start time; the signal goes to what the pidfd
 * holds, so the pid cannot change hands between the check and the signal.
 * Returns false when our process is gone (or only a zombie is left).
 */
export function signalOurProcess(
  sys: Syscalls,
  pid: number,
  startTime: bigint,
  signal: number,
): boolean {
  const fd = sys.pidfdOpen(pid);
  if (fd === null) return false;
  try {
    if (processState(pid, startTime) !== "alive") return false;
    return sys.pidfdSignal(fd, signal);
  } finally {
    sys.close(fd);
  }
}
