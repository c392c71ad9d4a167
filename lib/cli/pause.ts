import { UruncError } from "../errors.ts";
import { setFrozen } from "../host/cgroups/freezer.ts";
import { realCgroupFs } from "../host/cgroups/fs.ts";
import { liveStatus } from "../runtime/status.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { ourContainer } from "./target.ts";

/** `pause` and `resume`: freeze or thaw the container's cgroup (the monitor and its guest). */
export function freezeCommand(frozen: boolean) {
  const name = frozen ? "pause" : "resume";
  return async (ctx: CommandContext, args: string[]): Promise<number> => {
    const { positionals } = parseCommandArgs(
      name,
      args,
      {},
      [1, 1],
      `urunc ${name} <container-id>`,
    );
    const id = positionals[0];
    const { state, dir } = await ourContainer(ctx, id);
    const status = liveStatus(ctx.host, state, dir);
    const from = frozen ? "running" : "paused";
    if (status !== from) throw new UruncError(`container ${id} is not ${from} (it is ${status})`);
    if (!state.cgroup) {
      throw new UruncError(
        `cannot ${name} container ${id}: it has no cgroup (no linux.cgroupsPath)`,
      );
    }
    await setFrozen(realCgroupFs(() => ctx.host.sys), state.cgroup, frozen);
    return 0;
  };
}

export const main = freezeCommand(true);
