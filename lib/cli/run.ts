// `urunc run`: create + start, then (unless --detach) wait for the monitor and
// delete the container, exiting with the monitor's status as runc does.
import { realSyscalls } from "../../ffi/syscalls.ts";
import { SIGNALS } from "../../ffi/constants.ts";
import { describe } from "../errors.ts";
import { loadSpec } from "../oci/spec.ts";
import { createContainer } from "../runtime/create.ts";
import { destroyContainer } from "../runtime/destroy.ts";
import { runLifecycleHooks } from "../runtime/hooks.ts";
import { releaseInit } from "../runtime/start.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { CREATE_FLAGS } from "./create.ts";

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "run",
    args,
    { ...CREATE_FLAGS, detach: { type: "boolean", short: "d" } },
    [1, 1],
    "urunc run [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--detach] <container-id>",
  );
  const sys = realSyscalls();
  const created = await createContainer(sys, ctx.log, {
    root: ctx.root,
    id: positionals[0],
    bundle: values.bundle,
    pidFile: values["pid-file"] ?? null,
    consoleSocket: values["console-socket"] ?? null,
    configPath: ctx.configPath,
    logOptions: ctx.logOptions,
    argv: ctx.argv,
  });
  const spec = loadSpec(created.state.bundle);
  try {
    await releaseInit(sys, ctx.log, created.state, created.dir);
  } catch (err) {
    await destroyContainer(sys, ctx.log, { ...created, spec, runPoststop: true });
    throw err;
  }
  try {
    await runLifecycleHooks("poststart", spec, created.state, created.dir);
  } catch (err) {
    ctx.log.warn(describe(err));
  }
  if (values.detach) return 0;
  created.child.ref();
  const status = await created.child.status;
  const problems = await destroyContainer(sys, ctx.log, { ...created, spec, runPoststop: true });
  for (const p of problems) ctx.log.warn(p);
  if (status.signal) return 128 + (SIGNALS[status.signal.replace(/^SIG/, "")] ?? 0);
  return status.code;
}
