import { SIGNALS } from "../../ffi/constants.ts";
import { UsageError } from "../errors.ts";
import { killContainer } from "../runtime/kill.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { ourContainer } from "./target.ts";

/** "9", "KILL", "SIGKILL", "sigkill" -> 9. */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = s.toUpperCase().replace(/^SIG/, "");
    if (Object.hasOwn(SIGNALS, name)) return SIGNALS[name];
  }
  throw new UsageError(
    `kill: invalid signal ${
      JSON.stringify(s)
    }: expected a number 1-64 or a name like TERM or SIGKILL`,
  );
}

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(
    "kill",
    args,
    { all: { type: "boolean", short: "a" } },
    [1, 2],
    "urunc kill [--all] <container-id> [signal]",
  );
  const [id, sigArg] = positionals;
  const signal = parseSignal(sigArg ?? "TERM");
  const { state, dir } = await ourContainer(ctx, id);
  await killContainer(ctx.host, state, dir, signal);
  return 0;
}
