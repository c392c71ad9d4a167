import { realSyscalls } from "../../ffi/syscalls.ts";
import { describe } from "../errors.ts";
import { runLifecycleHooks } from "../runtime/hooks.ts";
import { lockContainerDir } from "../runtime/lock.ts";
import { releaseInit } from "../runtime/start.ts";
import { loadContainer } from "../runtime/store.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { ourContainer } from "./target.ts";

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs("start", args, {}, [1, 1], "urunc start <container-id>");
  const id = positionals[0];
  const sys = realSyscalls();
  const { dir } = ourContainer(ctx, id);
  const unlock = lockContainerDir(sys, dir);
  try {
    const { state } = loadContainer(ctx.root, id); // re-read under the lock
    await releaseInit(sys, ctx.log, state, dir);
    await runPoststart(ctx, state);
  } finally {
    unlock();
  }
  return 0;
}

/** The spec: a failing poststart hook is a warning; the container keeps running. */
export async function runPoststart(
  ctx: CommandContext,
  state: Parameters<typeof runLifecycleHooks>[2],
): Promise<void> {
  try {
    await runLifecycleHooks("poststart", state.hooks, state, ctx.log);
  } catch (err) {
    ctx.log.warn(describe(err));
  }
}
