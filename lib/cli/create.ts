import { realSyscalls } from "../../ffi/syscalls.ts";
import { createContainer } from "../runtime/create.ts";
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
  await createContainer(realSyscalls(), ctx.log, {
    root: ctx.root,
    id: positionals[0],
    bundle: values.bundle,
    pidFile: values["pid-file"] ?? null,
    consoleSocket: values["console-socket"] ?? null,
    configPath: ctx.configPath,
    logOptions: ctx.logOptions,
    argv: ctx.argv,
  });
  return 0;
}
