// `urunc run`: create + start, then (unless --detach) wait for the monitor and
// delete the container, exiting with the monitor's status as runc does.
import { SIGNALS } from "../../ffi/constants.ts";
import { createContainer } from "../runtime/create.ts";
import { destroyContainer } from "../runtime/destroy.ts";
import { releaseInit, runPoststart } from "../runtime/start.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { CREATE_FLAGS, createOptions } from "./create.ts";

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "run",
    args,
    { ...CREATE_FLAGS, detach: { type: "boolean", short: "d" } },
    [1, 1],
    "urunc run [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--detach] <container-id>",
  );
  const { host } = ctx;
  const created = await createContainer(host, ctx.log, createOptions(ctx, values, positionals[0]));
  try {
    await releaseInit(host, ctx.log, created.state, created.dir);
  } catch (err) {
    await destroyContainer(host, ctx.log, { ...created, runPoststop: true });
    throw err;
  }
  await runPoststart(host, ctx.log, created.state);
  if (values.detach) return 0;
  created.child.ref();
  const status = await created.child.status;
  const problems = await destroyContainer(host, ctx.log, { ...created, runPoststop: true });
  for (const p of problems) ctx.log.warn(p);
  if (status.signal) return 128 + (SIGNALS[status.signal.replace(/^SIG/, "")] ?? 0);
  return status.code;
}
