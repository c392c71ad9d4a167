import { SIGNALS } from "../../ffi/constants.ts";
import { realSyscalls } from "../../ffi/syscalls.ts";
import { ContainerNotRunningError, UsageError } from "../errors.ts";
import { executableOf, signalAcrossExec } from "../runtime/signal.ts";
import { awaitSignalHandler } from "../runtime/signal_ready.ts";
import { liveStatus } from "../runtime/status.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { ourContainer } from "./target.ts";

/** "9", "KILL", "SIGKILL", "sigkill" -> 9. */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = s.toUpperCase().replace(/^SIG/, "");
    if (Object.hasOwn(SIGNALS, name)) return SIGNALS[name];
  }
  throw new UsageError(
    `kill: invalid signal ${
      JSON.stringify(s)
    }: expected a number 1-64 or a name like TERM or SIGKILL`,
  );
}

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(
    "kill",
    args,
    { all: { type: "boolean", short: "a" } },
    [1, 2],
    "urunc kill [--all] <container-id> [signal]",
  );
  const [id, sigArg] = positionals;
  const signal = parseSignal(sigArg ?? "TERM");
  const { state, dir } = ourContainer(ctx, id);
  const ownPidNs = state.namespaces.some((n) => n.type === "pid" && !n.path);
  if (ownPidNs && state.pid > 0 && liveStatus(state, dir) === "running") {
    await awaitSignalHandler(state.pid, signal);
  }
  // The monitor is the only process (and PID 1 of its namespace), so --all
  // reaches everything by signalling it. The shim maps this text to NotFound.
  // pid 0 is a create still running (or one that crashed): no process to signal yet.
  if (
    state.pid <= 0 || liveStatus(state, dir) === "stopped" ||
    !await signalAcrossExec(realSyscalls(), state.pid, BigInt(state.pidStartTime), signal, {
      executable: executableOf,
      awaitHandler: awaitSignalHandler,
    })
  ) {
    throw new ContainerNotRunningError();
  }
  return 0;
}
