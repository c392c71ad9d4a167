// Namespaces under Deno (DESIGN §2): a setns/unshare on the main JS thread affects
// that thread only, and children spawned from it inherit the result. So we
// "enter, spawn, restore": switch the main thread, spawn, switch it back.

import { CLONE } from "../../ffi/constants.ts";
import type { Syscalls } from "../../ffi/syscalls.ts";
import { O } from "../../ffi/constants.ts";
import { UruncError } from "../errors.ts";
import type { OciSpec } from "../oci/spec.ts";
import type { NamespaceRecord } from "./store.ts";

interface NsKind {
  flag: number;
  /** Name under /proc/<pid>/ns/. */
  proc: string;
  /** What to setns back to; pid and time only change what children get. */
  restore: string;
}

export const NS_KINDS: Record<string, NsKind> = {
  mount: { flag: CLONE.NEWNS, proc: "mnt", restore: "mnt" },
  uts: { flag: CLONE.NEWUTS, proc: "uts", restore: "uts" },
  ipc: { flag: CLONE.NEWIPC, proc: "ipc", restore: "ipc" },
  network: { flag: CLONE.NEWNET, proc: "net", restore: "net" },
  cgroup: { flag: CLONE.NEWCGROUP, proc: "cgroup", restore: "cgroup" },
  pid: { flag: CLONE.NEWPID, proc: "pid", restore: "pid" },
  time: { flag: CLONE.NEWTIME, proc: "time", restore: "time" },
};

// Joined in this order: mount last among the joins would lose /proc paths of
// the others, so open every fd before the first setns (see spawnInNamespaces).
const ORDER = ["ipc", "uts", "network", "pid", "cgroup", "time", "mount"];

/** Validate linux.namespaces: known kinds, no duplicates, no user namespace, paths that exist. */
export function namespacesFromSpec(spec: OciSpec): NamespaceRecord[] {
  const seen = new Set<string>();
  const out: NamespaceRecord[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    if (ns.type === "user") {
      throw new UruncError(
        'linux.namespaces: a user namespace is not supported by urunc (a multi-threaded runtime cannot enter one); remove the "user" entry',
      );
    }
    if (seen.has(ns.type)) {
      throw new UruncError(`linux.namespaces: namespace "${ns.type}" is listed twice`);
    }
    seen.add(ns.type);
    if (ns.path !== undefined && ns.path !== "") {
      try {
        Deno.lstatSync(ns.path);
      } catch (err) {
        throw new UruncError(
          `linux.namespaces: ${ns.type} namespace path ${ns.path}: ${(err as Error).message}`,
        );
      }
      out.push({ type: ns.type, path: ns.path });
    } else out.push({ type: ns.type });
  }
  return out.sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
}

/** Records that join the namespaces of a running process (for createContainer hooks, delete). */
export function namespacesOfProcess(pid: number, records: NamespaceRecord[]): NamespaceRecord[] {
  return records.map((r) => ({ type: r.type, path: `/proc/${pid}/ns/${NS_KINDS[r.type].proc}` }));
}

/**
 * Run `spawn` (which must only start a child, synchronously) with the main thread
 * inside the given namespaces, then put the thread back. While a new PID
 * namespace is pending Deno must not create threads, so nothing else runs here.
 */
export function spawnInNamespaces<T>(sys: Syscalls, records: NamespaceRecord[], spawn: () => T): T {
  if (records.length === 0) return spawn();
  const restore: { fd: number; flag: number; what: string }[] = [];
  const joins: { fd: number; flag: number; what: string }[] = [];
  let unshareFlags = 0;
  try {
    for (const r of records) {
      const k = NS_KINDS[r.type];
      restore.push({
        fd: sys.open(`/proc/thread-self/ns/${k.restore}`, O.RDONLY),
        flag: k.flag,
        what: `own ${r.type} namespace`,
      });
      if (r.path) joins.push({ fd: sys.open(r.path, O.RDONLY), flag: k.flag, what: r.path });
      else unshareFlags |= k.flag;
    }
    // A mount namespace can only be switched by a thread that does not share
    // its fs_struct with the other threads.
    if (records.some((r) => r.type === "mount")) sys.unshare(CLONE.FS);
    let switched = false;
    try {
      switched = true;
      for (const j of joins) sys.setns(j.fd, j.flag, j.what);
      if (unshareFlags !== 0) sys.unshare(unshareFlags);
      return spawn();
    } finally {
      if (switched) {
        // Restore in reverse so the mount namespace (joined last) comes back first.
        for (const r of [...restore].reverse()) sys.setns(r.fd, r.flag, r.what);
      }
    }
  } finally {
    for (const f of [...restore, ...joins]) {
      try {
        sys.close(f.fd);
      } catch { /* already closed */ }
    }
  }
}
