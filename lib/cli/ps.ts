import { UsageError } from "../errors.ts";
import { liveStatus } from "../runtime/status.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { ourContainer } from "./target.ts";

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "ps",
    args,
    { format: { type: "string", short: "f", default: "table" } },
    [1, -1],
    "urunc ps [--format table|json] <container-id>",
  );
  if (values.format !== "table" && values.format !== "json") {
    throw new UsageError(
      `ps: invalid --format ${JSON.stringify(values.format)}: expected table or json`,
    );
  }
  const { state, dir } = await ourContainer(ctx, positionals[0]);
  const pids = state.pid <= 0 || liveStatus(ctx.host, state, dir) === "stopped" ? [] : [state.pid];
  if (values.format === "json") console.log(JSON.stringify(pids));
  else console.log(["PID", ...pids.map(String)].join("\n"));
  return 0;
}
