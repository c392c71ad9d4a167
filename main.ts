// urunc: an OCI runtime that boots unikernels. argv -> command -> exit code.
import { runCli } from "./lib/cli/dispatch.ts";

Deno.exit(await runCli(Deno.args));
