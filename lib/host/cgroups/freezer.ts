// pause/resume: the freezer (v1 freezer.state, v2 cgroup.freeze). Freezing is
// asynchronous in the kernel: wait until it reports the whole cgroup frozen.

import { UruncError } from "../../errors.ts";
import type { CgroupFs } from "./fs.ts";
import type { CgroupState } from "./manager.ts";
import { dirFor } from "./dirs.ts";

type Target = Pick<CgroupState, "version" | "dirs">;

/** The file that says (and sets) whether the cgroup is frozen. */
export function freezerFile(cg: Target): string | null {
  const file = cg.version === 1 ? "freezer.state" : "cgroup.freeze";
  const dir = dirFor(cg, file);
  return dir === null ? null : `${dir}/${file}`;
}

/** Frozen as the kernel reports it now; false when there is no freezer. */
export function isFrozen(fs: Pick<CgroupFs, "read">, cg: Target): boolean {
  const file = freezerFile(cg);
  if (file === null) return false;
  if (cg.version === 1) return (fs.read(file) ?? "").trim() === "FROZEN";
  return /^frozen 1$/m.test(fs.read(file.replace(/cgroup\.freeze$/, "cgroup.events")) ?? "");
}

export async function setFrozen(
  fs: CgroupFs,
  cg: Target,
  frozen: boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const file = freezerFile(cg);
  if (file === null) {
    throw new UruncError(`cannot ${frozen ? "pause" : "resume"}: the host has no freezer cgroup`);
  }
  const value = cg.version === 1 ? (frozen ? "FROZEN" : "THAWED") : (frozen ? "1" : "0");
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1;; delay = Math.min(delay * 2, 50)) {
    // v1: a task in an uninterruptible sleep can leave the cgroup FREEZING;
    // writing again retries the tasks that were not frozen yet.
    fs.write(file, value);
    if (isFrozen(fs, cg) === frozen) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, delay));
  }
  if (frozen) fs.write(file, cg.version === 1 ? "THAWED" : "0");
  throw new UruncError(
    `cannot ${frozen ? "freeze" : "thaw"} ${file}: not ${
      frozen ? "frozen" : "thawed"
    } after ${timeoutMs} ms`,
  );
}
