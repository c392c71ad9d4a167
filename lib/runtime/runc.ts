// Containers without urunc metadata (e.g. the Kubernetes pause container) are
// runc's: replace this process with runc, same argv, same environment.

import { delimiter, join } from "node:path";
import type { Syscalls } from "../../ffi/syscalls.ts";
import { UruncError } from "../errors.ts";

export function lookPath(name: string, path = Deno.env.get("PATH") ?? ""): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      const st = Deno.statSync(candidate);
      if (st.isFile && ((st.mode ?? 0) & 0o111) !== 0) return candidate;
    } catch { /* not here */ }
  }
  return null;
}

export function execRunc(sys: Syscalls, argv: readonly string[], why: string): never {
  const runc = Deno.env.get("URUNC_RUNC") ?? lookPath("runc");
  if (runc === null) throw new UruncError(`${why}, but runc is not on PATH to run it`);
  const env = Object.entries(Deno.env.toObject()).map(([k, v]) => `${k}=${v}`);
  return sys.execve(runc, ["runc", ...argv], env);
}
