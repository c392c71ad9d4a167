// Global runc flags, then one command module loaded lazily: every CLI call is a
// fresh process, so a command imports only what it needs.

import { isAbsolute, resolve } from "../path.ts";
import { describe, oneLine, UruncError, UsageError } from "../errors.ts";
import { createLogger, type LogFormat, type LogOptions } from "../log.ts";
import type { CommandContext, CommandMain } from "./context.ts";
import { VERSION } from "../version.ts";
import { setThreadLostReporter } from "../../ffi/thread_lost.ts";
import { lazyImport } from "../lazy.ts";
import { type Host, realHost } from "../host/host.ts";

export interface CommandEntry {
  summary: string;
  /** lib/cli/<module>.ts, which exports `main`; loaded only when the command runs. */
  module?: string;
  main?: CommandMain;
  /** The command's stdio belongs to the container: never print errors there. */
  quiet?: boolean;
  hidden?: boolean;
}

export const COMMANDS: Record<string, CommandEntry> = {
  create: { summary: "create a container", module: "create", quiet: true },
  start: { summary: "start a created container", module: "start" },
  run: { summary: "create and start a container, wait for it", module: "run", quiet: true },
  state: { summary: "print the state of a container", module: "state" },
  kill: { summary: "send a signal to a container", module: "kill" },
  delete: { summary: "delete a container and everything urunc created for it", module: "delete" },
  list: { summary: "list containers", module: "list" },
  ps: { summary: "list the processes of a container", module: "ps" },
  pause: { summary: "freeze a running container", module: "pause" },
  resume: { summary: "thaw a paused container", module: "resume" },
  update: { summary: "change a container's cgroup limits", module: "update" },
  events: { summary: "print a container's cgroup stats (--stats: once)", module: "events" },
  features: { summary: "print the OCI features document", module: "features" },
  plan: { summary: "print the launch plan for a bundle without running it", module: "plan" },
  check: { summary: "check that the host can run unikernel containers", module: "check" },
  help: { summary: "show help", main: () => (printHelp(), 0) },
  init: { summary: "internal: the container init", module: "init", quiet: true, hidden: true },
};

const GLOBAL_VALUE_FLAGS = new Set(["root", "log", "log-format", "rootless", "criu", "config"]);
const GLOBAL_BOOL_FLAGS = new Set(["debug", "systemd-cgroup"]);
/** Global flags runc does not have: never handed to it (it would refuse to run). */
const URUNC_ONLY_FLAGS = new Set(["config"]);

export const DEFAULT_ROOT = "/run/urunc";

interface Globals {
  root: string;
  log: string | null;
  logFormat: LogFormat;
  debug: boolean;
  config: string | null;
  /** --systemd-cgroup: linux.cgroupsPath is "slice:prefix:name". */
  systemdCgroup: boolean;
  version: boolean;
  help: boolean;
}

/**
 * Split argv into global flags, the command name and the command's own
 * arguments; `runcArgv` is argv without the global flags only urunc knows.
 */
export function parseGlobals(
  argv: readonly string[],
): { globals: Globals; command: string | null; rest: string[]; runcArgv: string[] } {
  const g: Globals = {
    root: DEFAULT_ROOT,
    log: null,
    logFormat: "text",
    debug: false,
    config: null,
    systemdCgroup: false,
    version: false,
    help: false,
  };
  const runcArgv: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const tok = argv[i];
    const first = i;
    if (!tok.startsWith("-") || tok === "-") break;
    if (tok === "--") {
      runcArgv.push(tok);
      i++;
      break;
    }
    if (tok === "-v" || tok === "--version") {
      g.version = true;
      runcArgv.push(tok);
      continue;
    }
    if (tok === "-h" || tok === "--help") {
      g.help = true;
      runcArgv.push(tok);
      continue;
    }
    const body = tok.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    if (GLOBAL_BOOL_FLAGS.has(name)) {
      if (eq >= 0 && !["true", "false"].includes(body.slice(eq + 1))) {
        throw new UsageError(`invalid value for global flag --${name}: expected true or false`);
      }
      if (name === "debug") g.debug = eq < 0 || body.slice(eq + 1) === "true";
      else g.systemdCgroup = eq < 0 || body.slice(eq + 1) === "true";
      runcArgv.push(tok);
      continue;
    }
    if (!GLOBAL_VALUE_FLAGS.has(name)) {
      throw new UsageError(`unknown global flag ${JSON.stringify(tok)}`);
    }
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`global flag --${name} needs a value`);
      value = argv[++i];
    }
    if (!URUNC_ONLY_FLAGS.has(name)) runcArgv.push(...argv.slice(first, i + 1));
    switch (name) {
      case "root":
        if (value === "") throw new UsageError("--root must not be empty");
        g.root = isAbsolute(value) ? resolve(value) : resolve(Deno.cwd(), value);
        if (g.root === "/") throw new UsageError("--root must not be /");
        break;
      case "log":
        g.log = value === "" ? null : resolve(value);
        break;
      case "log-format":
        if (value !== "text" && value !== "json") {
          throw new UsageError(
            `invalid --log-format ${JSON.stringify(value)}: expected text or json`,
          );
        }
        g.logFormat = value;
        break;
      case "config":
        g.config = resolve(value);
        break;
        // --rootless and --criu are accepted for runc compatibility and have no effect.
    }
  }
  runcArgv.push(...argv.slice(i));
  return {
    globals: g,
    command: i < argv.length ? argv[i] : null,
    rest: argv.slice(i + 1),
    runcArgv,
  };
}

export function printHelp(): void {
  const lines = [
    `urunc ${VERSION}: an OCI runtime that runs unikernels in virtual machine monitors`,
    "",
    "usage: urunc [global flags] <command> [flags] [args]",
    "",
    "global flags: --root DIR (default /run/urunc), --log FILE, --log-format text|json, --debug,",
    "              --config FILE (host config, default $URUNC_CONFIG or /etc/urunc/config.toml),",
    "              --systemd-cgroup (cgroupsPath is slice:prefix:name),",
    "              --rootless VALUE (accepted, no effect), --version, --help",
    "",
    "commands:",
    ...Object.entries(COMMANDS).filter(([, c]) => !c.hidden).map(([n, c]) =>
      `  ${n.padEnd(10)}${c.summary}`
    ),
  ];
  console.log(lines.join("\n"));
}

/** The command's `main`, its module imported now (see lib/lazy.ts for why not with a literal). */
export async function loadCommand(entry: CommandEntry): Promise<CommandMain> {
  if (entry.main) return entry.main;
  const mod = await lazyImport<{ main?: unknown }>(import.meta.url, `./${entry.module}.ts`);
  if (typeof mod.main !== "function") throw new Error(`lib/cli/${entry.module}.ts has no main`);
  return mod.main as CommandMain;
}

export async function runCli(argv: readonly string[], host: Host = realHost()): Promise<number> {
  let logOptions: LogOptions = { path: null, format: "text", debug: false };
  let quiet = false;
  let log = createLogger(logOptions);
  try {
    const { globals, command, rest, runcArgv } = parseGlobals(argv);
    logOptions = { path: globals.log, format: globals.logFormat, debug: globals.debug };
    log = createLogger(logOptions);
    // A thread lost in a container's namespaces ends the process with this one line.
    setThreadLostReporter((msg) => log.error(msg));
    if (globals.version) {
      console.log(`urunc version ${VERSION}\nspec: 1.2.0`);
      return 0;
    }
    if (command === null || globals.help) {
      printHelp();
      return 0;
    }
    const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (entry === undefined) {
      throw new UsageError(
        `unknown command ${JSON.stringify(command)}; run "urunc help" for the list`,
      );
    }
    quiet = entry.quiet === true;
    const ctx: CommandContext = {
      host,
      root: globals.root,
      log,
      logOptions,
      debug: globals.debug,
      configPath: globals.config ?? Deno.env.get("URUNC_CONFIG") ?? null,
      systemdCgroup: globals.systemdCgroup,
      runcArgv,
    };
    const main = await loadCommand(entry);
    return await main(ctx, rest);
  } catch (err) {
    // A JS engine error is a bug in urunc, never a user's mistake: say so.
    const bug = err instanceof TypeError || err instanceof RangeError ||
      err instanceof ReferenceError;
    const msg = oneLine(
      bug ? `internal error (${(err as Error).name}): ${describe(err)}` : describe(err),
    );
    log.error(msg);
    if (logOptions.debug && err instanceof Error && err.stack) log.debug(err.stack);
    // create/run/init share their stdio with the container; anything else may
    // print, and must when logging to a file (the shim reads kill's output).
    if (!quiet && logOptions.path !== null) console.error(`urunc: ${msg}`);
    return err instanceof UruncError ? err.exitCode : 1;
  }
}
