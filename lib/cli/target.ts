// Commands on an existing container: ours, or runc's (same --root) handed to runc.
import { ContainerNotFoundError } from "../errors.ts";
import { lazyImport } from "../lazy.ts";
import { type ContainerState, damagedError, lookupContainer } from "../runtime/store.ts";
import type { CommandContext } from "./context.ts";

export async function ourContainer(
  ctx: CommandContext,
  id: string,
): Promise<{ state: ContainerState; dir: string }> {
  const found = lookupContainer(ctx.host.files, ctx.root, id);
  if (found.kind === "foreign") {
    // Loaded only for runc's containers: our own commands skip the PATH lookup's code.
    const runc = await lazyImport<typeof import("../runtime/runc.ts")>(
      import.meta.url,
      "../runtime/runc.ts",
    );
    return runc.execRunc(
      ctx.host.sys,
      ctx.runcArgv,
      `container ${id} is not a unikernel container`,
    );
  }
  if (found.kind === "missing") throw new ContainerNotFoundError(id);
  if (found.kind === "damaged") throw damagedError(id, found.problem);
  return found;
}
