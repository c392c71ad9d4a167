// Hidden: the container init child that `create` spawns. Not for humans.
import { realSyscalls } from "../../ffi/syscalls.ts";
import { runInit } from "../runtime/init.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "init",
    args,
    { console: { type: "string" } },
    [1, 1],
    "urunc init [--console PTS] <container-id>",
  );
  return await runInit(realSyscalls(), ctx.log, {
    root: ctx.root,
    id: positionals[0],
    console: values.console ?? null,
    configPath: ctx.configPath,
  });
}
