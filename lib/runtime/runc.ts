// Containers without urunc metadata, and pod sandboxes (the Kubernetes pause
// container), are runc's: replace this process with runc, same argv, same environment.

import { lookPath } from "../host/look_path.ts";
import type { Syscalls } from "../../ffi/syscalls.ts";
import { UruncError } from "../errors.ts";

export function execRunc(sys: Syscalls, argv: readonly string[], why: string): never {
  const runc = Deno.env.get("URUNC_RUNC") ?? lookPath("runc");
  if (runc === undefined) throw new UruncError(`${why}, but runc is not on PATH to run it`);
  const env = Object.entries(Deno.env.toObject()).map(([k, v]) => `${k}=${v}`);
  return sys.execve(runc, ["runc", ...argv], env);
}

/**
 * Annotations that mark a pod's sandbox container. CRI copies pod annotations
 * (urunc's included, with pod_annotations) onto the sandbox, but the pause
 * process is never a unikernel: it must go to runc whatever else it carries.
 */
const SANDBOX_MARKERS: readonly [key: string, value: string][] = [
  ["io.kubernetes.cri.container-type", "sandbox"], // containerd CRI
  ["io.kubernetes.cri-o.ContainerType", "sandbox"], // CRI-O
];

/** The annotation that makes this a pod sandbox, or null. */
export function sandboxMarker(annotations: Record<string, string> | undefined): string | null {
  for (const [key, value] of SANDBOX_MARKERS) {
    if (annotations?.[key] === value) return `${key}=${value}`;
  }
  return null;
}
