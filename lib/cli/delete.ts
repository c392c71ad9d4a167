import { realSyscalls } from "../../ffi/syscalls.ts";
import { ContainerNotFoundError, UruncError } from "../errors.ts";
import { lockContainerDir } from "../runtime/lock.ts";
import { liveStatus } from "../runtime/status.ts";
import { damagedError, lookupContainer, removeStateless } from "../runtime/store.ts";
import { execRunc } from "../runtime/runc.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { lazyImport } from "../lazy.ts";

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "delete",
    args,
    { force: { type: "boolean", short: "f" } },
    [1, 1],
    "urunc delete [--force] <container-id>",
  );
  const id = positionals[0];
  const force = values.force === true;
  const sys = realSyscalls();
  const first = lookupContainer(ctx.root, id);
  if (first.kind === "foreign") {
    execRunc(sys, ctx.runcArgv, `container ${id} is not a unikernel container`);
  }
  // The shim runs `delete --force` after every container, known or not: runc exits 0 then.
  if (first.kind === "missing") {
    if (!force) throw new ContainerNotFoundError(id);
    removeStateless(ctx.root, id);
    return 0;
  }
  const unlock = lockContainerDir(sys, first.dir);
  try {
    const found = lookupContainer(ctx.root, id); // a concurrent delete may have won
    if (found.kind === "damaged") {
      if (!force) throw damagedError(id, found.problem);
      ctx.log.warn(
        `container ${id} has damaged state (${found.problem}): removing what its ledger proves is ours, without poststop hooks`,
      );
    } else if (found.kind !== "ours") {
      if (force) return 0;
      throw new ContainerNotFoundError(id);
    } else {
      const status = liveStatus(found.state, found.dir);
      if ((status === "running" || status === "paused" || status === "creating") && !force) {
        throw new UruncError(
          `cannot delete container ${id}: it is ${status}; stop it first or use --force`,
        );
      }
    }
    const state = found.kind === "ours" ? found.state : null;
    // Loaded only now: `delete --force` of an unknown id (after every container) stays cheap.
    const { destroyContainer } = await lazyImport<typeof import("../runtime/destroy.ts")>(
      import.meta.url,
      "../runtime/destroy.ts",
    );
    const problems = await destroyContainer(sys, ctx.log, {
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
  return 0;
}
