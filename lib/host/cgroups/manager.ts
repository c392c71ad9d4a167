// A container's cgroup on the host: create its directories (each one ledgered
// before it exists), write the planned limits, move a process in, freeze/thaw,
// read its files for stats, and remove the directories again. Everything goes
// through the CgroupFs seam, so the order of every file touched is unit-tested.

import { UruncError } from "../../errors.ts";
import type { CgroupLayout, Hierarchy } from "../../plan/cgroups/hierarchy.ts";
import { leafDir } from "../../plan/cgroups/hierarchy.ts";
import type { LimitPlan } from "../../plan/cgroups/limits.ts";
import { controllerOf } from "../../plan/cgroups/controller.ts";
import { type CgroupDir, dirFor } from "./dirs.ts";

import type { ReadCgroupFile } from "../../plan/cgroups/stats.ts";
import type { CgroupFs } from "./fs.ts";

/** What state.json keeps about the container's cgroup. */
export interface CgroupState {
  version: 1 | 2;
  /** The resolved path (from the hierarchy root, or relative to urunc's own cgroup). */
  path: string;
  dirs: CgroupDir[];
  /** Guest RAM, fixed when the guest boots, and the monitor's overhead on top of it. */
  guestMemoryMiB: number;
  memoryOverheadMiB: number;
}

export interface CgroupLedger {
  /** Called before mkdir. */
  creating(dir: string): void;
  /** mkdir found it there already: someone else's, never removed by us. */
  existed(dir: string): void;
}

function join(dir: string, file: string): string {
  return `${dir}/${file}`;
}

function parentOf(dir: string): string {
  return dir.slice(0, dir.lastIndexOf("/")) || "/";
}

/** Create the container's directory in every hierarchy, ancestors first. */
export function createCgroupDirs(
  fs: CgroupFs,
  layout: CgroupLayout,
  path: string,
  ledger: CgroupLedger,
  afterFirstMkdir: () => void = () => {},
): CgroupDir[] {
  const dirs: CgroupDir[] = [];
  let made = 0;
  for (const h of layout.hierarchies) {
    const leaf = leafDir(h, path);
    const missing: string[] = [];
    for (let d = leaf; d.length > h.mount.length && !fs.exists(d); d = parentOf(d)) {
      missing.unshift(d);
    }
    for (const d of missing) {
      ledger.creating(d);
      if (!fs.mkdir(d)) ledger.existed(d);
      if (made++ === 0) afterFirstMkdir();
      // A new v1 cpuset cgroup has no CPUs or memory nodes: nothing could run in it.
      if (h.version === 1 && h.controllers.includes("cpuset")) inheritCpuset(fs, d);
    }
    if (h.version === 2 && layout.version === 2) enableControllers(fs, h, leaf);
    dirs.push({ controllers: h.version === 2 ? [] : h.controllers, dir: leaf });
  }
  return dirs;
}

function inheritCpuset(fs: CgroupFs, dir: string): void {
  for (const f of ["cpuset.cpus", "cpuset.mems"]) {
    if ((fs.read(join(dir, f)) ?? "").trim() !== "") continue;
    const parent = (fs.read(join(parentOf(dir), f)) ?? "").trim();
    if (parent !== "") fs.write(join(dir, f), parent);
  }
}

/** v2: a controller's files exist in a cgroup only if every ancestor enabled it for its children. */
function enableControllers(fs: CgroupFs, h: Hierarchy, leaf: string): void {
  const chain: string[] = [];
  for (let d = parentOf(leaf); d.length >= h.mount.length; d = parentOf(d)) {
    chain.unshift(d);
    if (d === h.mount) break;
  }
  for (const d of chain) {
    const available = (fs.read(join(d, "cgroup.controllers")) ?? "").trim().split(/\s+/)
      .filter((c) => c !== "");
    const enabled = new Set(
      (fs.read(join(d, "cgroup.subtree_control")) ?? "").trim().split(/\s+/),
    );
    const missing = available.filter((c) => !enabled.has(c));
    if (missing.length > 0) {
      fs.write(join(d, "cgroup.subtree_control"), missing.map((c) => `+${c}`).join(" "));
    }
  }
}

function fileFor(cg: Pick<CgroupState, "version" | "dirs">, file: string, value: string): string {
  const dir = dirFor(cg, file);
  if (dir === null) {
    throw new UruncError(
      `cannot write ${JSON.stringify(value)} to ${file}: the host has no ${
        controllerOf(file)
      } cgroup controller`,
    );
  }
  return join(dir, file);
}

/** Write the planned files in order; the device program goes on the v2 leaf. */
export function applyLimits(
  fs: CgroupFs,
  cg: Pick<CgroupState, "version" | "dirs">,
  plan: LimitPlan,
): void {
  const writes = [...plan.writes];
  for (let i = 0; i < writes.length; i++) {
    const { file, value } = writes[i];
    try {
      fs.write(fileFor(cg, file, value), value);
    } catch (err) {
      // v1 keeps memory.limit <= memory+swap: lowering both must set the limit
      // first, raising both the memsw first. Retry in the other order once.
      const swap = writes.findIndex((w) => w.file === "memory.memsw.limit_in_bytes");
      if (file !== "memory.limit_in_bytes" || swap <= i) throw err;
      const [sw] = writes.splice(swap, 1);
      fs.write(fileFor(cg, sw.file, sw.value), sw.value);
      fs.write(fileFor(cg, file, value), value);
    }
  }
  if (plan.deviceProgram !== null) {
    const dir = dirFor(cg, "devices.");
    if (dir === null) {
      throw new UruncError("cannot attach the device program: no cgroup v2 directory");
    }
    fs.attachDeviceProgram(dir, plan.deviceProgram);
  }
}

/** Move a process into the container's cgroup in every hierarchy. */
export function joinCgroups(fs: CgroupFs, cg: Pick<CgroupState, "dirs">, pid: number): void {
  for (const d of cg.dirs) fs.write(join(d.dir, "cgroup.procs"), String(pid));
}

export function cgroupReader(
  fs: CgroupFs,
  cg: Pick<CgroupState, "version" | "dirs">,
): ReadCgroupFile {
  return (file) => {
    const dir = dirFor(cg, file);
    return dir === null ? null : fs.read(join(dir, file));
  };
}

/** Every pid in the container's cgroups (the leaves). */
export function cgroupPids(fs: CgroupFs, cg: Pick<CgroupState, "dirs">): number[] {
  const pids = new Set<number>();
  for (const d of cg.dirs) {
    for (const l of (fs.read(join(d.dir, "cgroup.procs")) ?? "").split("\n")) {
      if (/^\d+$/.test(l)) pids.add(Number(l));
    }
  }
  return [...pids];
}
