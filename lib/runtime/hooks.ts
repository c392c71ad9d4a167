// OCI hooks at their lifecycle points, with the state document on stdin.

import type { Host } from "../host/host.ts";
import type { Hook, HookKind } from "../oci/spec.ts";
import type { Logger } from "../log.ts";
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
  host: Pick<Host, "hooks">,
  kind: HookKind,
  hooks: Partial<Record<HookKind, Hook[]>> | undefined,
  state: ContainerState,
  log: Logger,
  opts: HookRunOptions = {},
): Promise<void> {
  const list = hooks?.[kind] ?? [];
  if (list.length === 0) return;
  // The runner (node:child_process and friends) loads only for a spec with hooks.
  const { runHooks } = await host.hooks();
  const status = opts.status ??
    (kind === "poststart" || kind === "startContainer" ? "running" : "created");
  const wrap = opts.spawnIn;
  await runHooks(kind, list, stateDocument(state, status), {
    log,
    spawn: wrap ? (cmd) => wrap(() => cmd.spawn()) : undefined,
  });
}
