// Which controller a cgroup v1 file belongs to: its name up to the first dot.
// A leaf: the status check of every CLI call needs it, without the limit planner.

/** The controller (v1 hierarchy) a cgroup file belongs to. */
export function controllerOf(file: string): string {
  return file.slice(0, file.indexOf("."));
}
