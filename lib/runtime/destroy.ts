// Undo everything the ledger says urunc created for a container, newest first,
// then remove its state directory. Used by delete and by a failing create;
// every step tolerates "already gone" so it also finishes a crashed run's work.

import { O } from "../../ffi/constants.ts";
import { describe } from "../errors.ts";
import type { Files, Host } from "../host/host.ts";
import type { Logger } from "../log.ts";
import { runLifecycleHooks } from "./hooks.ts";
import { killAndWait } from "./signal.ts";
import type { ContainerState } from "./store.ts";
import { readLedger, type Resource } from "../ledger.ts";
import { lazyImport } from "../lazy.ts";

export interface DestroyTarget {
  /** null: state.json is damaged; only what the ledger proves is ours is undone. */
  state: ContainerState | null;
  dir: string;
  runPoststop: boolean;
}

/**
 * Returns the problems met (each one sentence). The state dir is removed only
 * when there are none, so a later `delete --force` can finish the job.
 */
export async function destroyContainer(
  host: Host,
  log: Logger,
  t: DestroyTarget,
): Promise<string[]> {
  const { sys, files, procs: processes } = host;
  const problems: string[] = [];
  const { resources: ledger, damaged } = readLedger(files, t.dir);
  // What a damaged line named cannot be undone: say so, but do not keep the dir for it.
  for (const d of damaged) log.warn(`${t.dir}: ${d}: skipped`);
  const procs = ledger.filter((r): r is Extract<Resource, { kind: "process" }> =>
    r.kind === "process"
  );
  const state = t.state;
  if (state !== null && state.pid > 0 && !procs.some((p) => p.pid === state.pid)) {
    procs.push({ kind: "process", pid: state.pid, startTime: state.pidStartTime });
  }

  // Hold the container's network namespace open across the kill: a namespace
  // urunc created dies with its last process, and the tap and tc rules in it
  // must be removed while we can still enter it.
  let ownNetnsFd: number | null = null;
  const netEntries = ledger.filter((r): r is Extract<Resource, { kind: "net" }> =>
    r.kind === "net"
  );
  if (netEntries.some((r) => r.netnsPath === null)) {
    const live = procs.find((p) => processes.state(p.pid, BigInt(p.startTime)) === "alive");
    if (live) {
      try {
        ownNetnsFd = sys.open(`/proc/${live.pid}/ns/net`, O.RDONLY);
      } catch (err) {
        problems.push(`cannot hold network namespace of pid ${live.pid}: ${describe(err)}`);
      }
    }
  }
  const cgroupEntries = ledger.filter((r): r is Extract<Resource, { kind: "cgroup" }> =>
    r.kind === "cgroup"
  );
  const handedOver = ledger.filter((r) => r.kind === "unmount" || r.kind === "loop-autoclear");
  // Only containers with a cgroup, a network or handed-over storage load that code.
  const cgroups = cgroupEntries.length > 0
    ? await lazyImport<typeof import("../host/cgroups/cleanup.ts")>(
      import.meta.url,
      "../host/cgroups/cleanup.ts",
    )
    : null;
  const net = netEntries.length > 0
    ? await lazyImport<typeof import("./net_cleanup.ts")>(import.meta.url, "./net_cleanup.ts")
    : null;
  const storage = handedOver.length > 0
    ? await lazyImport<typeof import("../host/block_handover.ts")>(
      import.meta.url,
      "../host/block_handover.ts",
    )
    : null;
  try {
    // A cgroup error is one problem among others: the kill and the rest of the ledger go on.
    await cgroups?.beforeKill(sys, t.state, cgroupEntries).catch((err) =>
      problems.push(describe(err))
    );
    for (const p of procs) {
      const err = await killAndWait(host, p.pid, BigInt(p.startTime));
      if (err) problems.push(err);
    }
    if (t.runPoststop && state !== null) {
      try {
        await runLifecycleHooks(host, "poststop", state.hooks, state, log, { status: "stopped" });
      } catch (err) {
        // The spec: a failing poststop hook is logged, and delete goes on.
        log.warn(describe(err));
      }
    }
    if (net) {
      problems.push(
        ...net.cleanupNetResources(
          netEntries,
          ownNetnsFd === null ? null : `/proc/self/fd/${ownNetnsFd}`,
          log,
          await host.netlink(),
        ),
      );
    }
    if (cgroups) {
      const id = t.dir.split("/").pop()!;
      problems.push(
        ...await cgroups.afterKill(sys, log, id, t.state, cgroupEntries).catch((err) => [
          describe(err),
        ]),
      );
    }
    const remountFailed = new Set<string>();
    for (const r of [...ledger].reverse()) {
      if (r.kind === "path") {
        const p = removeCreatedPath(files, r.path, r.type);
        if (p) log.warn(p);
      } else if (storage && (r.kind === "unmount" || r.kind === "loop-autoclear")) {
        // Storage handed to the guest (lib/host/block_handover.ts): back to the host.
        const p = storage.undoHandOver(sys, r, undefined, remountFailed);
        if (p) problems.push(p);
      }
    }
  } finally {
    if (ownNetnsFd !== null) sys.close(ownNetnsFd);
  }
  if (problems.length > 0) return problems;
  try {
    files.remove(t.dir, true);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      problems.push(`cannot remove ${t.dir}: ${describe(err)}`);
    }
  }
  return problems;
}

/** Remove a mount point urunc made in the rootfs, only if it is still empty. */
function removeCreatedPath(files: Files, path: string, type: "dir" | "file"): string | null {
  try {
    const st = files.lstat(path);
    if (st === null) return null;
    if (type === "dir" && st.isDirectory) files.remove(path);
    else if (type === "file" && st.isFile && st.size === 0) files.remove(path);
    return null;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    // Not empty: something else put files there; leave it rather than delete user data.
    return `left ${path} in place: ${describe(err)}`;
  }
}
