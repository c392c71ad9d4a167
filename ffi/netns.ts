// Run synchronous code inside another network namespace. setns(CLONE_NEWNET)
// changes only the calling thread (here: Deno's main thread), so `fn` must not
// await: async ops run on pool threads that never left the original namespace.
// Sockets opened inside stay bound to the target namespace after we return.

import { check, cstr, libc } from "./libc.ts";
import { CLONE, O } from "./constants.ts";
import { endProcessThreadLost } from "./thread_lost.ts";

/** The calling thread's current network namespace (not the process's). */
export const SELF_NETNS = "/proc/thread-self/ns/net";

function openNs(path: string): number {
  return check(libc().open(cstr(path), O.RDONLY | O.CLOEXEC, 0), "open", path);
}

function enter(fd: number, what: string): void {
  check(libc().setns(fd, CLONE.NEWNET), "setns", `${what}, CLONE_NEWNET`);
}

/** Why the process ended: it could not return to its original network namespace. */
export class NetnsRestoreError extends Error {
  constructor(cause: unknown) {
    super(
      `could not return to the original network namespace: ${
        cause instanceof Error ? cause.message : cause
      }`,
      { cause },
    );
    this.name = "NetnsRestoreError";
  }
}

/**
 * Enter the network namespace at `target` (a path such as /var/run/netns/x or
 * /proc/<pid>/ns/net, or an open fd), run `fn`, and always go back.
 */
export function withNetns<T>(target: string | number, fn: () => T): T {
  return switched(() => {
    const fd = typeof target === "number" ? target : openNs(target);
    try {
      enter(fd, typeof target === "number" ? `fd ${fd}` : target);
    } finally {
      if (typeof target !== "number") libc().close(fd);
    }
  }, fn);
}

/**
 * Run `fn` in a brand-new, empty network namespace that disappears afterwards
 * (nothing outside holds a reference to it). Used by `urunc check` to probe
 * kernel features without touching the host's interfaces.
 */
export function withScratchNetns<T>(fn: () => T): T {
  return switched(() => check(libc().unshare(CLONE.NEWNET), "unshare", "CLONE_NEWNET"), fn);
}

/**
 * Save our netns, `enterNs`, run `fn` synchronously, always go back. `fn` must
 * not be async: after its first await it would run in whatever netns we are in.
 */
function switched<T>(enterNs: () => void, fn: () => T): T {
  const saved = openNs(SELF_NETNS);
  try {
    enterNs();
    try {
      const r = fn();
      if (r instanceof Promise) throw new TypeError("withNetns: fn must be synchronous");
      return r;
    } finally {
      try {
        enter(saved, SELF_NETNS);
      } catch (e) {
        endProcessThreadLost(new NetnsRestoreError(e));
      }
    }
  } finally {
    libc().close(saved);
  }
}

/** Identity of a namespace file (device:inode), to tell whether two paths are the same netns. */
export function netnsId(path: string = SELF_NETNS): string {
  const st = Deno.statSync(path);
  return `${st.dev}:${st.ino}`;
}
