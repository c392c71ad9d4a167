import type { Host } from "../host/host.ts";

/**
 * Signal the process we started, never a stranger that reused its pid: take a
 * pidfd first, then check the start time; the signal goes to what the pidfd
 * holds, so the pid cannot change hands between the check and the signal.
 * Returns false when our process is gone (or only a zombie is left).
 */
export function signalOurProcess(
  host: Pick<Host, "sys" | "procs">,
  pid: number,
  startTime: bigint,
  signal: number,
): boolean {
  const { sys, procs } = host;
  const fd = sys.pidfdOpen(pid);
  if (fd === null) return false;
  try {
    if (procs.state(pid, startTime) !== "alive") return false;
    return sys.pidfdSignal(fd, signal);
  } finally {
    sys.close(fd);
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
  host: Pick<Host, "sys" | "procs">,
  pid: number,
  startTime: bigint,
  signal: number,
  deps: ExecRaceDeps,
): Promise<boolean> {
  const before = deps.executable(pid);
  if (!signalOurProcess(host, pid, startTime, signal)) return false;
  const after = deps.executable(pid);
  if (before === null || after === null || before === after) return true;
  await deps.awaitHandler(pid, signal);
  signalOurProcess(host, pid, startTime, signal);
  return true;
}

/** SIGKILL our process (not a reused pid) and wait until it is a zombie or gone. */
export async function killAndWait(
  host: Host,
  pid: number,
  startTime: bigint,
): Promise<string | null> {
  if (!signalOurProcess(host, pid, startTime, 9)) return null;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    // A zombie is dead: its reaper is the shim (or our parent), not us.
    if (host.procs.state(pid, startTime) !== "alive") return null;
    await new Promise((r) => setTimeout(r, 5));
  }
  return `pid ${pid} did not die within 10 s of SIGKILL`;
}
