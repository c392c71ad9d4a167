import { startContainer } from "../runtime/start.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { ourContainer } from "./target.ts";

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs("start", args, {}, [1, 1], "urunc start <container-id>");
  const id = positionals[0];
  const { dir } = await ourContainer(ctx, id);
  await startContainer(ctx.host, ctx.log, ctx.root, id, dir);
  return 0;
}
