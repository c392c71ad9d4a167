// delete's part for cgroups: thaw before the kill (a frozen v1 task does not
// die of SIGKILL until thawed), then report an OOM kill, kill what is left in
// the cgroup and remove every directory the ledger says urunc created, newest
// first. Works from the ledger alone when create crashed before saving state.

import type { Syscalls } from "../../../ffi/syscalls.ts";
import type { Logger } from "../../log.ts";
import { oomKills } from "../../plan/cgroups/stats.ts";
import type { ContainerState } from "../../runtime/store.ts";
import { setFrozen } from "./freezer.ts";
import { type CgroupFs, realCgroupFs } from "./fs.ts";
import { cgroupPids, cgroupReader, type CgroupState } from "./manager.ts";

/** A cgroup directory entry of the ledger. */
export interface CgroupEntry {
  dir: string;
  existed?: boolean;
}

export async function thawForKill(
  fs: CgroupFs,
  cg: CgroupState | undefined,
  entries: readonly CgroupEntry[] = [],
): Promise<void> {
  if (!cg) {
    thawLedgerDirs(fs, entries);
    return;
  }
  try {
    await setFrozen(fs, cg, false, 2000);
  } catch { /* no freezer, or already gone: nothing is frozen */ }
}

/**
 * Without state (damaged, or create crashed) the freezer is found among the directories
 * the ledger says urunc created: thaw each that has one (v1 freezer.state, v2 cgroup.freeze).
 */
function thawLedgerDirs(fs: CgroupFs, entries: readonly CgroupEntry[]): void {
  for (const e of entries) {
    if (e.existed) continue;
    for (const [file, thawed] of [["freezer.state", "THAWED"], ["cgroup.freeze", "0"]]) {
      try {
        if (fs.read(`${e.dir}/${file}`) !== null) fs.write(`${e.dir}/${file}`, thawed);
      } catch { /* gone already: nothing frozen there */ }
    }
  }
}

/** Problems met, one sentence each (the state dir stays so delete can retry). */
export async function removeContainerCgroups(
  sys: Syscalls,
  fs: CgroupFs,
  log: Logger,
  id: string,
  cg: CgroupState | undefined,
  entries: readonly CgroupEntry[],
): Promise<string[]> {
  if (cg) {
    const kills = oomKills(cg.version, cgroupReader(fs, cg));
    if (kills !== null && kills > 0n) {
      log.warn(
        `container ${id}: the OOM killer killed ${kills} process(es) in its cgroup, the monitor included (guest ${cg.guestMemoryMiB} MiB + monitor overhead ${cg.memoryOverheadMiB} MiB)`,
      );
    }
  }
  const existed = new Set(entries.filter((e) => e.existed).map((e) => e.dir));
  const ours = [...new Set(entries.filter((e) => !e.existed).map((e) => e.dir))]
    .filter((d) => !existed.has(d)).reverse();
  const problems: string[] = [];
  for (const dir of ours) {
    const p = await removeOne(sys, fs, dir);
    if (p === "shared") log.debug(`left cgroup ${dir}: other cgroups live below it`);
    else if (p !== null) problems.push(p);
  }
  return problems;
}

async function removeOne(sys: Syscalls, fs: CgroupFs, dir: string): Promise<string | null> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const r = fs.rmdir(dir);
    if (r !== "busy") return null;
    if (fs.hasSubgroups(dir)) return "shared";
    // Exiting tasks leave the cgroup a moment after they are reaped; anything
    // else still inside is a leftover of this container.
    for (const pid of cgroupPids(fs, { dirs: [{ controllers: [], dir }] })) {
      const fd = sys.pidfdOpen(pid);
      if (fd === null) continue;
      try {
        sys.pidfdSignal(fd, 9);
      } finally {
        sys.close(fd);
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return `cannot remove cgroup ${dir}: still busy after 1 s`;
}

/** destroy.ts's two calls, on the real cgroupfs. */
/** `state` is null when the state is damaged: then the ledger alone says what to remove. */
export function beforeKill(
  sys: Syscalls,
  state: ContainerState | null,
  entries: readonly CgroupEntry[],
): Promise<void> {
  return thawForKill(realCgroupFs(() => sys), state?.cgroup, entries);
}

export function afterKill(
  sys: Syscalls,
  log: Logger,
  id: string,
  state: ContainerState | null,
  entries: readonly CgroupEntry[],
): Promise<string[]> {
  return removeContainerCgroups(sys, realCgroupFs(() => sys), log, id, state?.cgroup, entries);
}
