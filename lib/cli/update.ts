// `update [--resources FILE|-] [limit flags] ID`: the shim sends the whole
// linux.resources as JSON on stdin; flags set single values as runc's do.
import { UruncError, UsageError } from "../errors.ts";
import { realCgroupFs } from "../host/cgroups/fs.ts";
import { applyLimits } from "../host/cgroups/manager.ts";
import { type LinuxResources, parseResources } from "../oci/resources.ts";
import { planUpdate } from "../plan/cgroups/limits.ts";
import { liveStatus } from "../runtime/status.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { ourContainer } from "./target.ts";

const FLAGS = {
  resources: { type: "string", short: "r" },
  memory: { type: "string" },
  "memory-swap": { type: "string" },
  "memory-reservation": { type: "string" },
  "cpu-period": { type: "string" },
  "cpu-quota": { type: "string" },
  "cpu-share": { type: "string" },
  "cpuset-cpus": { type: "string" },
  "cpuset-mems": { type: "string" },
  "pids-limit": { type: "string" },
} as const;

const USAGE = "urunc update [--resources FILE|-] [--memory N] [--cpu-quota N] ... <container-id>";

/** "512m", "1G", "1048576", "-1" -> bytes (runc accepts the same unit suffixes). */
export function parseBytes(flag: string, v: string): number {
  const m = /^(-1|\d+)([kmgt]?)b?$/i.exec(v.trim());
  if (!m) {
    throw new UsageError(
      `update: invalid --${flag} ${JSON.stringify(v)}: expected bytes like 512m`,
    );
  }
  const unit = { "": 1, k: 1 << 10, m: 1 << 20, g: 1 << 30, t: 2 ** 40 }[m[2].toLowerCase()]!;
  return Number(m[1]) * (m[1] === "-1" ? 1 : unit);
}

function int(flag: string, v: string): number {
  if (!/^-?\d+$/.test(v)) {
    throw new UsageError(`update: invalid --${flag} ${JSON.stringify(v)}: expected an integer`);
  }
  return Number(v);
}

async function readAll(path: string): Promise<string> {
  if (path !== "-") return Deno.readTextFile(path);
  return await new Response(Deno.stdin.readable).text();
}

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs("update", args, FLAGS, [1, 1], USAGE);
  const id = positionals[0];
  let res: LinuxResources = {};
  if (v.resources !== undefined) {
    const what = v.resources === "-" ? "resources on stdin" : v.resources;
    let text: string;
    try {
      text = await readAll(v.resources);
    } catch (err) {
      throw new UruncError(`cannot read ${what}: ${(err as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new UruncError(`invalid ${what}: not JSON: ${(err as Error).message}`);
    }
    res = parseResources(raw, what);
  }
  const mem = { ...res.memory };
  if (v.memory !== undefined) mem.limit = parseBytes("memory", v.memory);
  if (v["memory-swap"] !== undefined) mem.swap = parseBytes("memory-swap", v["memory-swap"]);
  if (v["memory-reservation"] !== undefined) {
    mem.reservation = parseBytes("memory-reservation", v["memory-reservation"]);
  }
  const cpu = { ...res.cpu };
  if (v["cpu-period"] !== undefined) cpu.period = int("cpu-period", v["cpu-period"]);
  if (v["cpu-quota"] !== undefined) cpu.quota = int("cpu-quota", v["cpu-quota"]);
  if (v["cpu-share"] !== undefined) cpu.shares = int("cpu-share", v["cpu-share"]);
  if (v["cpuset-cpus"] !== undefined) cpu.cpus = v["cpuset-cpus"];
  if (v["cpuset-mems"] !== undefined) cpu.mems = v["cpuset-mems"];
  if (Object.keys(mem).length > 0) res.memory = mem;
  if (Object.keys(cpu).length > 0) res.cpu = cpu;
  if (v["pids-limit"] !== undefined) res.pids = { limit: int("pids-limit", v["pids-limit"]) };

  const { state, dir } = await ourContainer(ctx, id);
  const status = liveStatus(ctx.host, state, dir);
  if (status === "stopped") throw new UruncError(`container ${id} is not running`);
  if (!state.cgroup) {
    throw new UruncError(`cannot update container ${id}: it has no cgroup (no linux.cgroupsPath)`);
  }
  const plan = planUpdate(res, state.cgroup);
  for (const w of plan.warnings) ctx.log.warn(w);
  applyLimits(realCgroupFs(() => ctx.host.sys), state.cgroup, plan);
  return 0;
}
