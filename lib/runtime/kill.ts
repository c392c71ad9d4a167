// `urunc kill`: signal the container's one process (the init child, later the
// monitor) through a pidfd, after giving a young PID 1 time to catch it.

import { ContainerNotRunningError } from "../errors.ts";
import type { Host } from "../host/host.ts";
import { signalAcrossExec } from "./signal.ts";
import { awaitSignalHandler } from "./signal_ready.ts";
import { liveStatus } from "./status.ts";
import type { ContainerState } from "./store.ts";

const HANDLER_WAIT_MS = 3000;

export async function killContainer(
  host: Host,
  state: ContainerState,
  dir: string,
  signal: number,
): Promise<void> {
  const ownPidNs = state.namespaces.some((n) => n.type === "pid" && !n.path);
  if (ownPidNs && state.pid > 0 && liveStatus(host, state, dir) === "running") {
    await awaitSignalHandler(state.pid, signal, HANDLER_WAIT_MS, host.procs.caughtSignals);
  }
  // The monitor is the only process (and PID 1 of its namespace), so --all
  // reaches everything by signalling it. The shim maps this text to NotFound.
  // pid 0 is a create still running (or one that crashed): no process to signal yet.
  if (
    state.pid <= 0 || liveStatus(host, state, dir) === "stopped" ||
    !await signalAcrossExec(host, state.pid, BigInt(state.pidStartTime), signal, {
      executable: host.procs.executable,
      awaitHandler: (pid, sig) =>
        awaitSignalHandler(pid, sig, HANDLER_WAIT_MS, host.procs.caughtSignals),
    })
  ) {
    throw new ContainerNotRunningError();
  }
}
