// Hidden: the container init child that `create` spawns. Not for humans.
import { exitOnSignals } from "../runtime/init_signals.ts";
import { containerDir, recordInitError } from "../runtime/store.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { lazyImport } from "../lazy.ts";

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "init",
    args,
    { console: { type: "string" } },
    [1, 1],
    "urunc init [--console PTS] <container-id>",
  );
  const [root, id] = [ctx.root, positionals[0]];
  // First, before the heavy modules load: create waits for these handlers.
  exitOnSignals(
    ctx.log,
    (reason) => recordInitError(ctx.host.files, containerDir(root, id), reason),
  );
  const { runInit } = await lazyImport<typeof import("../runtime/init.ts")>(
    import.meta.url,
    "../runtime/init.ts",
  );
  return await runInit(ctx.host, ctx.log, {
    root,
    id,
    console: values.console ?? null,
  });
}
