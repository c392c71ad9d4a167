import { join } from "../path.ts";
import { type ContainerState, EXEC_FIFO } from "./store.ts";
import { isFrozen } from "../host/cgroups/freezer.ts";
import { readCgroupFile } from "../host/cgroups/dirs.ts";
import type { Host } from "../host/host.ts";

// No node:fs here: it costs ~30 ms of startup, and every command reads the status.

export type LiveStatus = "creating" | "created" | "running" | "paused" | "stopped";

/**
 * The status right now: the init child (later the monitor) must still be the
 * process we started (same start time, so a reused pid reads as stopped); the
 * exec fifo exists until `start` has handed over to the monitor.
 */
export function liveStatus(host: Host, state: ContainerState, dir: string): LiveStatus {
  if (state.pid <= 0) return state.phase === "creating" ? "creating" : "stopped";
  if (host.procs.state(state.pid, BigInt(state.pidStartTime)) !== "alive") return "stopped";
  if (state.phase === "creating") return "creating";
  if (host.files.lstat(join(dir, EXEC_FIFO)) !== null) return "created";
  // pause only freezes a running container
  if (state.cgroup && isFrozen({ read: readCgroupFile }, state.cgroup)) return "paused";
  return "running";
}
