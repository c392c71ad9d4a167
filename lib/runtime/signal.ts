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

/** The executable a process runs now (its /proc exe link), or null when it is gone. */
export function executableOf(pid: number): string | null {
  try {
    return Deno.readLinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

export interface ExecRaceDeps {
  executable: (pid: number) => string | null;
  /** Resolves once `pid` catches `signal` (lib/runtime/signal_ready.ts). */
  awaitHandler: (pid: number, signal: number) => Promise<unknown>;
}

/**
 * signalOurProcess, for a container whose init may be replacing itself with the monitor
 * right now: a signal the init's handler took just before its execve never reaches the
 * monitor (a handler reset by exec, PID 1 drops it). When the executable changed while we
 * sent, the signal goes again once the monitor catches it.
 */
export async function signalAcrossExec(
  sys: Syscalls,
  pid: number,
  startTime: bigint,
  signal: number,
  deps: ExecRaceDeps,
): Promise<boolean> {
  const before = deps.executable(pid);
  if (!signalOurProcess(sys, pid, startTime, signal)) return false;
  const after = deps.executable(pid);
  if (before === null || after === null || before === after) return true;
  await deps.awaitHandler(pid, signal);
  signalOurProcess(sys, pid, startTime, signal);
  return true;
}
