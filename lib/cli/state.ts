import { stateDocument } from "../runtime/hooks.ts";
import { liveStatus } from "../runtime/status.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { ourContainer } from "./target.ts";

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs("state", args, {}, [1, 1], "urunc state <container-id>");
  const { state, dir } = await ourContainer(ctx, positionals[0]);
  const doc = JSON.parse(stateDocument(state, liveStatus(ctx.host, state, dir)));
  console.log(JSON.stringify(doc, null, "  "));
  return 0;
}
