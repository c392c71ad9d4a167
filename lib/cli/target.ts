// Commands on an existing container: ours, or runc's (same --root) handed to runc.
import { ContainerNotFoundError } from "../errors.ts";
import { execRunc } from "../runtime/runc.ts";
import { type ContainerState, damagedError, lookupContainer } from "../runtime/store.ts";
import type { CommandContext } from "./context.ts";

export function ourContainer(
  ctx: CommandContext,
  id: string,
): { state: ContainerState; dir: string } {
  const found = lookupContainer(ctx.host.files, ctx.root, id);
  if (found.kind === "foreign") {
    execRunc(ctx.host.sys, ctx.runcArgv, `container ${id} is not a unikernel container`);
  }
  if (found.kind === "missing") throw new ContainerNotFoundError(id);
  if (found.kind === "damaged") throw damagedError(id, found.problem);
  return found;
}
