import type { CreateOptions } from "../runtime/create.ts";
import { startInitEarly } from "../runtime/early_init.ts";
import { lazyImport } from "../lazy.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";

export const CREATE_FLAGS = {
  bundle: { type: "string", short: "b", default: "." },
  "pid-file": { type: "string" },
  "console-socket": { type: "string" },
  // runc flags the shim or users may pass; accepted, no effect for a VM.
  "no-pivot": { type: "boolean" },
  "no-new-keyring": { type: "boolean" },
  "preserve-fds": { type: "string" },
} as const;

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "create",
    args,
    CREATE_FLAGS,
    [1, 1],
    "urunc create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] <container-id>",
  );
  const opts = createOptions(ctx, values, positionals[0]);
  // The init's Deno start overlaps the loading of the validation (zod, the plan) below.
  const early = await startInitEarly(ctx.host, opts);
  if (early) ctx.log.debug(`container ${opts.id}: init pid ${early.pid} started before validation`);
  const { createContainer } = await lazyImport<typeof import("../runtime/create.ts")>(
    import.meta.url,
    "../runtime/create.ts",
  );
  await createContainer(ctx.host, ctx.log, opts, early);
  return 0;
}

/** create's (and run's) flags and the global context, as the runtime takes them. */
export function createOptions(
  ctx: CommandContext,
  values: { bundle: string; "pid-file"?: string; "console-socket"?: string },
  id: string,
): CreateOptions {
  return {
    root: ctx.root,
    id,
    bundle: values.bundle,
    pidFile: values["pid-file"] ?? null,
    consoleSocket: values["console-socket"] ?? null,
    configPath: ctx.configPath,
    systemdCgroup: ctx.systemdCgroup,
    logOptions: ctx.logOptions,
    runcArgv: ctx.runcArgv,
  };
}
