// The init child is PID 1 of its PID namespace: the kernel drops every signal
// it has no handler for, so a `kill` of a created container would be lost.
// These handlers go in before anything heavy loads, and `create` waits until
// the kernel shows them (see waitForSignalHandlers) before it returns.

import type { Logger } from "../log.ts";

// SIGHUP too: Deno catches it itself and, with no listener, re-raises it and
// aborts, which the kernel ignores for PID 1 of a namespace, so the init ended in
// a SIGSEGV with no reason (a `kill -HUP`, or the console's master closing).
const HANDLED = [["SIGTERM", 15], ["SIGINT", 2], ["SIGHUP", 1]] as const;

/** The signal numbers `exitOnSignals` catches: create waits until the kernel shows them caught. */
export const EXIT_SIGNALS: readonly number[] = HANDLED.map(([, n]) => n);

/**
 * From now on SIGTERM/SIGINT/SIGHUP end the init: `leave(reason)` records why (where
 * `start` will look) and the process exits as the signal would have ended it.
 */
export function exitOnSignals(log: Logger, leave: (reason: string) => void): void {
  report = leave;
  for (const [name, number] of HANDLED) {
    Deno.addSignalListener(name, () => {
      const reason = `the init received ${name} before the monitor started`;
      try {
        report(reason);
      } catch { /* the state dir is gone: nobody is left to read it */ }
      log.warn(reason);
      Deno.exit(128 + number);
    });
  }
}

let report: (reason: string) => void = () => {};

/** Where the reason goes from now on (after start released the init: to start, on the fifo). */
export function reportExitSignalsTo(leave: (reason: string) => void): void {
  report = leave;
}

/**
 * Let the signal listeners run if a signal came while the init ran without yielding: they
 * are event-loop tasks, and after the execve a caught signal would be lost with them.
 */
export function deliverCaughtSignals(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}
