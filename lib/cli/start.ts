import { realSyscalls } from "../../ffi/syscalls.ts";
import { describe } from "../errors.ts";
import { loadSpec } from "../oci/spec.ts";
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
    const { state } = loadContainer(ctx.root, id);
    await releaseInit(sys, ctx.log, state, dir);
    try {
      await runLifecycleHooks("poststart", loadSpec(state.bundle), state, dir);
    } catch (err) {
      // The spec: a failing poststart hook is a warning; the container keeps running.
      ctx.log.warn(describe(err));
    }
  } finally {
    unlock();
  }
  return 0;
}
