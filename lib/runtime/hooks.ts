// OCI hooks at their lifecycle points, with the state document on stdin.

import type { HookKind, OciSpec } from "../oci/spec.ts";
import { runHooks } from "../oci/hooks.ts";
import { ociState, serializeState } from "../oci/state.ts";
import type { ContainerState } from "./store.ts";
import type { LiveStatus } from "./status.ts";

export interface HookRunOptions {
  /** Wrap the (synchronous) spawn of each hook, e.g. to enter the container's namespaces. */
  spawnIn?: <T>(spawn: () => T) => T;
  status?: LiveStatus;
}

export function stateDocument(state: ContainerState, status: LiveStatus): string {
  return serializeState(ociState({
    ociVersion: state.ociVersion,
    id: state.id,
    status,
    pid: status === "stopped" ? 0 : state.pid,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
    annotations: state.annotations,
  }));
}

export async function runLifecycleHooks(
  kind: HookKind,
  spec: OciSpec,
  state: ContainerState,
  _dir: string,
  opts: HookRunOptions = {},
): Promise<void> {
  const hooks = spec.hooks?.[kind] ?? [];
  if (hooks.length === 0) return;
  const status = opts.status ??
    (kind === "poststart" || kind === "startContainer" ? "running" : "created");
  const wrap = opts.spawnIn;
  await runHooks(kind, hooks, stateDocument(state, status), {
    spawn: wrap ? (cmd) => wrap(() => cmd.spawn()) : undefined,
  });
}
