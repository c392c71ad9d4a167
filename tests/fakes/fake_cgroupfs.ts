// An in-memory cgroupfs for unit tests: directories and files in a map, every
// call recorded in order. mkdir needs the parent (like the kernel); a new
// directory gets the files its hierarchy's controllers would create.

import type { CgroupFs } from "../../lib/host/cgroups/fs.ts";

export type FakeOp =
  | ["mkdir", string]
  | ["rmdir", string]
  | ["write", string, string]
  | ["attach", string, number];

export class FakeCgroupFs implements CgroupFs {
  readonly ops: FakeOp[] = [];
  readonly dirs = new Set<string>();
  readonly files = new Map<string, string>();
  /** Files a new directory starts with, by the hierarchy mount it is under. */
  readonly templates = new Map<string, Record<string, string>>();
  /** Make a write fail: return an error message for (file, value), or null. */
  failWrite: (file: string, value: string) => string | null = () => null;
  /** Runs after a write is stored: a test plays the kernel (e.g. a freezer state). */
  afterWrite: (file: string, value: string) => void = () => {};

  constructor(dirs: string[] = []) {
    for (const d of dirs) this.dirs.add(d);
  }

  /** Writes only, as "file=value": the usual thing to assert on. */
  writes(): string[] {
    return this.ops.flatMap((o) => o[0] === "write" ? [`${o[1]}=${o[2]}`] : []);
  }

  exists(dir: string): boolean {
    return this.dirs.has(dir);
  }
  mkdir(dir: string): boolean {
    this.ops.push(["mkdir", dir]);
    if (this.dirs.has(dir)) return false;
    const parent = dir.slice(0, dir.lastIndexOf("/"));
    if (!this.dirs.has(parent)) throw new Error(`fake mkdir ${dir}: no parent`);
    this.dirs.add(dir);
    for (const [mount, files] of this.templates) {
      if (dir.startsWith(mount + "/")) {
        for (const [f, v] of Object.entries(files)) this.files.set(`${dir}/${f}`, v);
      }
    }
    return true;
  }
  rmdir(dir: string): "removed" | "gone" | "busy" {
    this.ops.push(["rmdir", dir]);
    if (!this.dirs.has(dir)) return "gone";
    if (this.hasSubgroups(dir) || (this.files.get(`${dir}/cgroup.procs`) ?? "").trim() !== "") {
      return "busy";
    }
    this.dirs.delete(dir);
    return "removed";
  }
  hasSubgroups(dir: string): boolean {
    return [...this.dirs].some((d) => d.startsWith(dir + "/"));
  }
  read(file: string): string | null {
    return this.files.get(file) ?? null;
  }
  write(file: string, value: string): void {
    this.ops.push(["write", file, value]);
    const err = this.failWrite(file, value);
    if (err) throw new Error(err);
    this.files.set(file, value);
    this.afterWrite(file, value);
  }
  attachDeviceProgram(dir: string, program: Uint8Array): void {
    this.ops.push(["attach", dir, program.length / 8]);
  }
}
