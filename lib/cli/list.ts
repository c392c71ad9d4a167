import { describe, UsageError } from "../errors.ts";
import { liveStatus } from "../runtime/status.ts";
import { listContainerIds, lookupContainer } from "../runtime/store.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";

export function main(ctx: CommandContext, args: string[]): number {
  const { values } = parseCommandArgs(
    "list",
    args,
    {
      format: { type: "string", short: "f", default: "table" },
      quiet: { type: "boolean", short: "q" },
    },
    [0, 0],
    "urunc list [--format table|json] [--quiet]",
  );
  if (values.format !== "table" && values.format !== "json") {
    throw new UsageError(
      `list: invalid --format ${JSON.stringify(values.format)}: expected table or json`,
    );
  }
  const rows = [];
  for (const id of listContainerIds(ctx.host.files, ctx.root)) {
    let found;
    try {
      found = lookupContainer(ctx.host.files, ctx.root, id);
    } catch (err) {
      // One unreadable container must not hide the others.
      ctx.log.warn(`list: skipping ${id}: ${describe(err)}`);
      continue;
    }
    if (found.kind === "damaged") {
      ctx.log.warn(`list: skipping ${id}: damaged state (${found.problem})`);
      continue;
    }
    if (found.kind !== "ours") continue;
    const { state, dir } = found;
    const status = liveStatus(ctx.host, state, dir);
    rows.push({
      ociVersion: state.ociVersion,
      id,
      pid: status === "stopped" ? 0 : state.pid,
      status,
      bundle: state.bundle,
      rootfs: state.rootfs,
      created: state.created,
      owner: "",
      annotations: state.annotations,
    });
  }
  if (values.quiet) {
    for (const r of rows) console.log(r.id);
  } else if (values.format === "json") {
    console.log(JSON.stringify(rows));
  } else {
    const table = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]];
    for (const r of rows) {
      table.push([r.id, String(r.pid), r.status, r.bundle, r.created, r.owner || "root"]);
    }
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    for (const row of table) {
      console.log(row.map((c, i) => c.padEnd(widths[i] + 3)).join("").trimEnd());
    }
  }
  return 0;
}
