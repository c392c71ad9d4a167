// Containers without urunc metadata (e.g. the Kubernetes pause container) are
// runc's: replace this process with runc, same argv, same environment.

import { lookPath } from "../host/look_path.ts";
import type { Syscalls } from "../../ffi/syscalls.ts";
import { UruncError } from "../errors.ts";

export function execRunc(sys: Syscalls, argv: readonly string[], why: string): never {
  const runc = Deno.env.get("URUNC_RUNC") ?? lookPath("runc");
  if (runc === undefined) throw new UruncError(`${why}, but runc is not on PATH to run it`);
  const env = Object.entries(Deno.env.toObject()).map(([k, v]) => `${k}=${v}`);
  return sys.execve(runc, ["runc", ...argv], env);
}
