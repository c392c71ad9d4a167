import { deleteContainer } from "../runtime/delete.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "delete",
    args,
    { force: { type: "boolean", short: "f" } },
    [1, 1],
    "urunc delete [--force] <container-id>",
  );
  await deleteContainer(ctx.host, ctx.log, {
    root: ctx.root,
    id: positionals[0],
    force: values.force === true,
    runcArgv: ctx.runcArgv,
  });
  return 0;
}
