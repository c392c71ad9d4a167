// This machine's cgroup hierarchies, as tests look at them.
import { parseLayout } from "../../lib/plan/cgroups/hierarchy.ts";

export function hostHierarchies() {
  return parseLayout(
    Deno.readTextFileSync("/proc/self/mountinfo"),
    Deno.readTextFileSync("/proc/self/cgroup"),
  ).hierarchies;
}

/** The directories at `path` (e.g. "/top") in any hierarchy: [] when none is left. */
export function cgroupDirsAt(path: string): string[] {
  return hostHierarchies().map((h) => `${h.mount}${path}`).filter((d) => {
    try {
      return Deno.statSync(d).isDirectory;
    } catch {
      return false;
    }
  });
}

/** A file of the cgroup at `path` in the v1 hierarchy holding `controller`, trimmed. */
export function v1CgroupFile(controller: string, path: string, file: string): string {
  const h = hostHierarchies().find((x) => x.version === 1 && x.controllers.includes(controller));
  if (!h) throw new Error(`no ${controller} hierarchy`);
  return Deno.readTextFileSync(`${h.mount}${path}/${file}`).trim();
}

/** Remove what a failed test left at `path` (children first); best effort. */
export async function removeCgroupTree(path: string): Promise<void> {
  for (const d of cgroupDirsAt(path)) {
    await new Deno.Command("find", { args: [d, "-depth", "-type", "d", "-delete"] }).output();
  }
}
