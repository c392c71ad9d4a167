// `urunc check [--json]`: can this host run unikernel containers? Prints one
// line per item; exits 1 when a required item is missing.

import { loadHostConfig } from "../config/host_config.ts";
import { checkNetworkSupport } from "../host/network/support.ts";
import { hostArch, kvmUsable } from "../host/probe.ts";
import { lookPath } from "../host/look_path.ts";
import { MONITORS } from "../plan/monitors/registry.ts";
import { MONITOR_KINDS } from "../plan/types.ts";
import { describe } from "../errors.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";

export interface CheckItem {
  name: string;
  ok: boolean;
  /** A missing required item makes `urunc check` fail. */
  required: boolean;
  detail: string;
}

const FALLBACK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

async function monitorItems(ctx: CommandContext): Promise<CheckItem[]> {
  let configured: Partial<Record<string, string>> = {};
  let configItem: CheckItem;
  try {
    const cfg = await loadHostConfig(ctx.configPath, ctx.configPath !== null);
    configured = Object.fromEntries(MONITOR_KINDS.map((k) => [k, cfg.monitors[k].path]));
    configItem = {
      name: "host config",
      ok: true,
      required: true,
      detail: cfg.file ?? "defaults (no file)",
    };
  } catch (e) {
    configItem = { name: "host config", ok: false, required: true, detail: describe(e) };
  }
  const pathEnv = Deno.env.get("PATH") ?? FALLBACK_PATH;
  const monitors = MONITOR_KINDS.map((kind): CheckItem => {
    const binary = MONITORS[kind].binaryName(hostArch());
    const path = configured[kind] ?? lookPath(binary, pathEnv);
    return {
      name: `monitor ${kind}`,
      ok: path !== undefined,
      required: false,
      detail: path ?? `${binary} not found in PATH`,
    };
  });
  const any = monitors.some((m) => m.ok);
  return [
    configItem,
    ...monitors,
    {
      name: "any monitor",
      ok: any,
      required: true,
      detail: any ? "at least one monitor is installed" : "install qemu, firecracker or solo5",
    },
  ];
}

export async function collectChecks(ctx: CommandContext): Promise<CheckItem[]> {
  const kvm = kvmUsable();
  return [
    {
      name: "/dev/kvm",
      ok: kvm,
      required: false,
      detail: kvm
        ? "usable: hardware acceleration"
        : "not usable: qemu falls back to TCG, others cannot run",
    },
    ...await monitorItems(ctx),
    ...checkNetworkSupport().map((i) => ({ ...i, required: true, name: `network: ${i.name}` })),
  ];
}

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    "check",
    args,
    { json: { type: "boolean", default: false } },
    [0, 0],
    "urunc check [--json]",
  );
  const items = await collectChecks(ctx);
  const failed = items.some((i) => i.required && !i.ok);
  if (values.json) {
    console.log(JSON.stringify({ ok: !failed, items }, null, 2));
  } else {
    const width = Math.max(...items.map((i) => i.name.length));
    for (const i of items) {
      const mark = i.ok ? "ok     " : i.required ? "MISSING" : "absent ";
      console.log(`${mark} ${i.name.padEnd(width)}  ${i.detail}`);
    }
    console.log(
      failed ? "\nsome required items are missing" : "\nthis host can run unikernel containers",
    );
  }
  return failed ? 1 : 0;
}
