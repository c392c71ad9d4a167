// urunc plan [--bundle DIR] [--facts FILE] [--format text|json]
// Prints what urunc would run for a bundle, without touching the system.

import { resolve } from "../path.ts";
import { UruncError, UsageError } from "../errors.ts";
import { loadSpec, rootfsPath } from "../oci/spec.ts";
import { resolveUnikernelConfig } from "../config/unikernel_config.ts";
import { checkGuestFiles } from "../config/guest_files.ts";
import { buildPlan } from "../plan/build.ts";
import { parseFacts } from "../plan/facts_file.ts";
import { planToJson, planToText } from "../plan/render.ts";
import { gatherPlanInputs, refuseUnimplemented } from "../runtime/plan_inputs.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";

const USAGE = "urunc plan [--bundle DIR] [--facts FILE] [--format text|json]";

const NO_NETWORK_NOTE = "network: the container's network is only known at start; " +
  "this plan assumes none (give one with --facts)";

function readFacts(file: string) {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    throw new UruncError(`cannot read facts file ${file}: ${(err as Error).message}`);
  }
  return parseFacts(text, file);
}

/** The text `urunc plan` prints. */
export async function renderPlan(ctx: CommandContext, args: string[]): Promise<string> {
  const { values } = parseCommandArgs(
    "plan",
    args,
    {
      bundle: { type: "string", short: "b" },
      facts: { type: "string" },
      format: { type: "string", default: "text" },
    },
    [0, 0],
    USAGE,
  );
  const format = values.format;
  if (format !== "text" && format !== "json") {
    throw new UsageError(`plan: invalid --format ${JSON.stringify(format)}: expected text or json`);
  }
  const bundle = resolve(values.bundle ?? ".");
  const spec = loadSpec(bundle);
  const rootfs = rootfsPath(spec, bundle);
  const config = resolveUnikernelConfig(spec, rootfs);
  if (config === null) {
    return format === "json"
      ? JSON.stringify({ handoff: "runc", reason: "no urunc metadata" }, null, 2) + "\n"
      : "no urunc metadata (annotations or urunc.json): urunc hands this container to runc\n";
  }
  // The same inputs and plan the runtime builds (lib/runtime/plan_inputs.ts).
  const facts = values.facts === undefined ? undefined : readFacts(values.facts);
  const inputs = await gatherPlanInputs(spec, config, "plan", rootfs, ctx.configPath, facts);
  const plan = buildPlan(inputs);
  if (format === "json") return JSON.stringify(planToJson(plan), null, 2) + "\n";
  let text = planToText(plan);
  try {
    refuseUnimplemented(inputs);
    checkGuestFiles(config, rootfs, spec.annotations ?? {}, spec.process.user);
  } catch (err) {
    text += `\nnote: urunc create would refuse this container: ${(err as Error).message}\n`;
  }
  return values.facts === undefined ? `${text}\n${NO_NETWORK_NOTE}\n` : text;
}

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const out = await renderPlan(ctx, args);
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
