// The init child: `urunc init <id>` re-executed (lib/runtime/self_exec.ts) inside the
// container's namespaces, with the terminal handed to the shim first when there is one.

import type { Host, Spawned } from "../host/host.ts";
import { spawnInNamespaces } from "./namespaces.ts";
import { selfCommand } from "./self_exec.ts";
import { isNewCgroupNamespace, type NamespaceRecord } from "./store.ts";
import type { CreateOptions } from "./create.ts";

/** What the init is started with: its container, namespaces and whether it gets a terminal. */
export interface InitSpawn {
  id: string;
  namespaces: NamespaceRecord[];
  terminal: boolean;
}

/** Start `urunc init <id>` inside the container's namespaces; it waits there for start. */
export async function spawnInit(
  host: Host,
  init: InitSpawn,
  opts: CreateOptions,
): Promise<Spawned> {
  const { sys } = host;
  const initArgs = ["--root", opts.root, "--log-format", opts.logOptions.format];
  if (opts.logOptions.path) initArgs.push("--log", opts.logOptions.path);
  if (opts.logOptions.debug) initArgs.push("--debug");
  initArgs.push("init");
  if (init.terminal) {
    // The master goes to the shim before the child exists; the child opens the
    // slave as its controlling terminal. The in-flight fd keeps the pty alive.
    const tty = await host.console();
    const pty = tty.openPty();
    try {
      tty.sendFd(opts.consoleSocket!, pty.master, "/dev/ptmx");
    } finally {
      sys.close(pty.master);
    }
    initArgs.push("--console", pty.slavePath);
  }
  initArgs.push(init.id);
  const cmd = selfCommand(initArgs);
  // Only the synchronous spawn runs inside the window: while a PID namespace is
  // pending, any new thread (async ops, workers) would fail to start. A first,
  // cold spawn with inherited stdio needs none (measured, also with piped stdio).
  // Without a terminal, create's stdio is the container's and the child keeps
  // it. With one, the shim reads create's stdout until EOF, and Deno duplicates
  // its stdio at startup: a child holding that pipe would block the shim until
  // the monitor execs, so it starts on /dev/null and attaches the pty slave.
  const stdio = init.terminal ? "null" : "inherit";
  const child = spawnInNamespaces(
    sys,
    // A new cgroup namespace is rooted at the cgroup its creator is in at that moment: the
    // init makes it itself once create has placed it in the container's (lib/runtime/init.ts).
    init.namespaces.filter((n) => !isNewCgroupNamespace(n)),
    () => host.spawn({ path: cmd.path, args: cmd.args, stdio }),
  );
  child.unref();
  return child;
}
