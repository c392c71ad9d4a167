// `urunc delete`: undo everything a container's ledger lists and remove its
// state, under the container's lock. runc's containers (same --root) go to runc.

import { ContainerNotFoundError, UruncError } from "../errors.ts";
import type { Host } from "../host/host.ts";
import type { Logger } from "../log.ts";
import { lazyImport } from "../lazy.ts";
import { lockContainerDir } from "./lock.ts";
import { liveStatus } from "./status.ts";
import { damagedError, lookupContainer, removeStateless } from "./store.ts";

export interface DeleteOptions {
  root: string;
  id: string;
  force: boolean;
  /** argv for the runc hand-off of a container that is not ours. */
  runcArgv: readonly string[];
}

export async function deleteContainer(host: Host, log: Logger, o: DeleteOptions): Promise<void> {
  const { id, force } = o;
  const first = lookupContainer(host.files, o.root, id);
  if (first.kind === "foreign") {
    const runc = await lazyImport<typeof import("./runc.ts")>(import.meta.url, "./runc.ts");
    return runc.execRunc(host.sys, o.runcArgv, `container ${id} is not a unikernel container`);
  }
  // The shim runs `delete --force` after every container, known or not: runc exits 0 then.
  if (first.kind === "missing") {
    if (!force) throw new ContainerNotFoundError(id);
    removeStateless(host.files, o.root, id);
    return;
  }
  const unlock = lockContainerDir(host.sys, first.dir);
  try {
    const found = lookupContainer(host.files, o.root, id); // a concurrent delete may have won
    if (found.kind === "damaged") {
      if (!force) throw damagedError(id, found.problem);
      log.warn(
        `container ${id} has damaged state (${found.problem}): removing what its ledger proves is ours, without poststop hooks`,
      );
    } else if (found.kind !== "ours") {
      if (force) return;
      throw new ContainerNotFoundError(id);
    } else {
      const status = liveStatus(host, found.state, found.dir);
      if ((status === "running" || status === "paused" || status === "creating") && !force) {
        throw new UruncError(
          `cannot delete container ${id}: it is ${status}; stop it first or use --force`,
        );
      }
    }
    const state = found.kind === "ours" ? found.state : null;
    // Loaded only now: `delete --force` of an unknown id (after every container) stays cheap.
    const { destroyContainer } = await lazyImport<typeof import("./destroy.ts")>(
      import.meta.url,
      "./destroy.ts",
    );
    const problems = await destroyContainer(host, log, {
      state,
      dir: found.dir,
      runPoststop: state !== null,
    });
    if (problems.length > 0) {
      throw new UruncError(`container ${id} was only partly deleted: ${problems.join("; ")}`);
    }
  } finally {
    unlock();
  }
}
