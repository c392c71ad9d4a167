// Where a container's cgroup files live, and reading one: a leaf, so that the
// freezer check of every status read loads neither the cgroup manager nor libc.

import { UruncError } from "../../errors.ts";
import { controllerOf } from "../../plan/cgroups/controller.ts";

/** The container's directory in one hierarchy; controllers [] = the unified (v2) one. */
export interface CgroupDir {
  controllers: string[];
  dir: string;
}

/** The directory holding `file` (v1: the hierarchy of its controller). */
export function dirFor(cg: { version: 1 | 2; dirs: CgroupDir[] }, file: string): string | null {
  if (cg.version === 2) return cg.dirs.find((d) => d.controllers.length === 0)?.dir ?? null;
  const c = controllerOf(file);
  return cg.dirs.find((d) => d.controllers.includes(c))?.dir ?? null;
}

/** A cgroup file's text; null when it does not exist (controller absent). */
export function readCgroupFile(file: string): string | null {
  try {
    return Deno.readTextFileSync(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new UruncError(`cannot read ${file}: ${(err as Error).message}`);
  }
}
