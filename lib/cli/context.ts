import type { Host } from "../host/host.ts";
import type { Logger, LogOptions } from "../log.ts";

/** What every command receives: the global flags, resolved, a logger and the host's effects. */
export interface CommandContext {
  /** Built once per process by runCli; nothing in it is loaded before first use. */
  host: Host;
  /** State root (`--root`), absolute. */
  root: string;
  log: Logger;
  logOptions: LogOptions;
  debug: boolean;
  /** Host config file (`--config`), else $URUNC_CONFIG, else the default path. */
  configPath: string | null;
  /** --systemd-cgroup: linux.cgroupsPath has the systemd form. */
  systemdCgroup?: boolean;
  /** The original argv less urunc-only global flags: a non-unikernel container goes to runc with it. */
  runcArgv: readonly string[];
}

export type CommandMain = (ctx: CommandContext, args: string[]) => Promise<number> | number;
