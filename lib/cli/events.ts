// `events [--stats] [--interval 5s] ID`: runc's stats document from the
// container's cgroup, once (--stats) or every interval, plus an "oom" event
// when the OOM killer struck, until the container stops.
import { UruncError, UsageError } from "../errors.ts";
import { realCgroupFs } from "../host/cgroups/fs.ts";
import { cgroupReader } from "../host/cgroups/manager.ts";
import { cgroupStats, oomKills, statsJson } from "../plan/cgroups/stats.ts";
import { liveStatus } from "../runtime/status.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { ourContainer } from "./target.ts";

function parseInterval(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(v);
  if (!m || Number(m[1]) <= 0) {
    throw new UsageError(
      `events: invalid --interval ${JSON.stringify(v)}: expected a duration like 5s`,
    );
  }
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as "ms" | "s" | "m"];
}

export async function main(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "events",
    args,
    { stats: { type: "boolean" }, interval: { type: "string", default: "5s" } },
    [1, 1],
    "urunc events [--stats] [--interval 5s] <container-id>",
  );
  const intervalMs = parseInterval(values.interval);
  const id = positionals[0];
  const { state, dir } = await ourContainer(ctx, id);
  const cg = state.cgroup;
  if (!cg) throw new UruncError(`container ${id} has no cgroup (no linux.cgroupsPath): no stats`);
  const read = cgroupReader(realCgroupFs(() => ctx.host.sys), cg);
  const emit = (type: string, data?: unknown) =>
    console.log(statsJson(data === undefined ? { type, id } : { type, id, data }));
  if (values.stats) {
    if (liveStatus(ctx.host, state, dir) === "stopped") {
      throw new UruncError(`container ${id} is not running`);
    }
    emit("stats", cgroupStats(cg.version, read));
    return 0;
  }
  // OOM kills since the container started count, also ones before this call.
  let ooms = 0n;
  for (;;) {
    const now = oomKills(cg.version, read) ?? 0n;
    if (now > ooms) emit("oom");
    ooms = now;
    if (liveStatus(ctx.host, state, dir) === "stopped") break;
    emit("stats", cgroupStats(cg.version, read));
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return 0;
}
