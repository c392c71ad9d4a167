// The init child: born inside the container's namespaces by `create`, it waits
// on the exec fifo for `start`, then sets up network and jail and becomes the
// monitor with execve, keeping its pid. It reports to `start` through the fifo:
// a line "error: ..." on failure; EOF (the fd is close-on-exec) on success.

import { join } from "../path.ts";
import { CLONE, O } from "../../ffi/constants.ts";
import type { Syscalls } from "../../ffi/syscalls.ts";
import { bindLibc, type SymbolName } from "../../ffi/libc.ts";
import { describe, UruncError } from "../errors.ts";
import type { FifoWriter, Files, Host } from "../host/host.ts";
import type { Logger } from "../log.ts";
import type { OciSpec } from "../oci/spec.ts";
import { applyJail, isolateMounts } from "../host/jail.ts";
import { applyOomScoreAdj, dropPrivileges } from "../host/privileges.ts";
import { fromPrivilegeRecord } from "../plan/privilege_record.ts";
import { networkRequest } from "../plan/network.ts";
import type { NetworkInfo, PlanInput } from "../plan/types.ts";
import { setupNetwork } from "../host/network/setup.ts";
import { faultPoint } from "./fault.ts";
import { deliverCaughtSignals, reportExitSignalsTo } from "./init_signals.ts";
import { runLifecycleHooks } from "./hooks.ts";
import { planWithNetwork } from "./plan_inputs.ts";
import {
  containerDir,
  type ContainerState,
  EXEC_FIFO,
  isNewCgroupNamespace,
  loadContainer,
  recordInitError,
} from "./store.ts";
import { appendLedger } from "../ledger.ts";
import { lazyImport } from "../lazy.ts";

/** What network setup, the jail, the privilege drop and execve call: bound before start comes. */
const AFTER_START_SYMBOLS: readonly SymbolName[] = [
  ...[
    "unshare",
    "socket",
    "bind",
    "setsockopt",
    "sendto",
    "recvfrom",
    "ioctl",
    "ioctl_int",
  ] as const,
  ...["open", "close", "read", "write", "strerror", "statx", "statvfs"] as const,
  ...["mount", "umount2", "mknod", "chown", "chdir", "syscall_ptr", "sethostname"] as const,
  ...["prctl", "capset", "setgroups", "setresgid", "setresuid", "prlimit", "syscall3"] as const,
  "execve",
];

export interface InitOptions {
  root: string;
  id: string;
  /** pty slave to make our controlling terminal and stdio (terminal containers). */
  console: string | null;
}

export async function runInit(host: Host, log: Logger, opts: InitOptions): Promise<number> {
  const { sys, files } = host;
  const dir = containerDir(opts.root, opts.id);
  let fifoIno: number;
  try {
    // The fifo create made for us names our container: a new container of the
    // same id (after a delete) has a new one.
    const fifo = files.lstat(join(dir, EXEC_FIFO));
    if (fifo === null) throw new UruncError(`${join(dir, EXEC_FIFO)} does not exist`);
    fifoIno = fifo.ino;
    sys.setsid();
    if (opts.console) attachConsole(sys, opts.console);
  } catch (err) {
    leaveBeforeStart(files, log, dir, `the init failed before start: ${describe(err)}`);
    return 1;
  }

  bindLibc(AFTER_START_SYMBOLS);
  const fifo = await waitForStart(host, log, dir, fifoIno);
  if (fifo === null) return 1;
  // start reads the fifo now; the state dir may be out of reach once the jail is in place.
  reportExitSignalsTo((reason) => fifo.write(new TextEncoder().encode(`error: ${reason}\n`)));
  try {
    // Read only now: create may start us before it has validated anything
    // (lib/runtime/early_init.ts); start releases us once the state is complete.
    const { state } = loadContainer(files, opts.root, opts.id);
    const spec = state.spec;
    if (spec.hostname && state.namespaces.some((n) => n.type === "uts" && !n.path)) {
      sys.sethostname(spec.hostname);
    }
    await becomeMonitor(host, log, state, dir, spec, state.planInputs, fifo);
    throw new UruncError("execve returned"); // unreachable: becomeMonitor execs or throws
  } catch (err) {
    const msg = describe(err);
    try {
      // start logs this as its error line; the child only logs when start is gone.
      fifo.write(new TextEncoder().encode(`error: ${msg}\n`));
      log.debug(`init: ${msg}`);
    } catch {
      log.error(msg);
    }
    return 1;
  }
}

/**
 * Nobody waits on us yet: leave the reason where `start` will look for it; start
 * logs it as its error, so here it is only a warning (one error line per failure).
 */
function leaveBeforeStart(files: Files, log: Logger, dir: string, reason: string): void {
  try {
    recordInitError(files, dir, reason);
  } catch { /* the state dir is gone: nobody is left to read it */ }
  log.warn(reason);
}

function attachConsole(sys: Syscalls, slave: string): void {
  const fd = sys.open(slave, O.RDWR);
  sys.setControllingTty(fd);
  for (const n of [0, 1, 2]) sys.dup2(fd, n);
  if (fd > 2) sys.close(fd);
}

/** The inode of the exec fifo, or null when it is gone. */
function fifoInode(files: Files, path: string): number | null {
  try {
    return files.lstat(path)?.ino ?? null;
  } catch {
    return null;
  }
}

/**
 * Opening the fifo for writing blocks until `start` opens it for reading. The
 * open runs on a pool thread (we were born in these namespaces, so that is
 * fine) while the main thread keeps serving signals and the watchdog. Null when
 * the init leaves before start; the reason is recorded.
 */
async function waitForStart(
  host: Host,
  log: Logger,
  dir: string,
  ino: number,
): Promise<FifoWriter | null> {
  const { sys, files } = host;
  // Our own directory, whatever takes its path later: a reason recorded through
  // it never lands in a new container of the same id, and is dropped when ours
  // was deleted (nobody is left to read it).
  let ownFd: number;
  try {
    ownFd = sys.open(dir, O.RDONLY | O.DIRECTORY);
  } catch (err) {
    leaveBeforeStart(files, log, dir, `the init failed waiting for start: ${describe(err)}`);
    return null;
  }
  const own = `/proc/self/fd/${ownFd}`;
  const path = join(dir, EXEC_FIFO);
  // Only a container that is really gone ends the wait: if create died before
  // recording our pid, delete cannot kill us, and we must not wait on an
  // unlinked fifo forever. A slow create rewriting its state is no reason.
  const watchdog = setInterval(() => {
    if (fifoInode(files, path) === ino) return;
    leaveBeforeStart(
      files,
      log,
      own,
      `the init left before start: its exec fifo ${path} was removed or replaced (the container was deleted?)`,
    );
    Deno.exit(1);
  }, 500);
  try {
    const fifo = await files.openFifoWriter(path);
    // Released: from here the container is no longer "created", whatever happens to
    // start (it holds its own fd), so a second start fails fast instead of waiting.
    if (fifoInode(files, path) === ino) files.remove(path);
    return fifo;
  } catch (err) {
    leaveBeforeStart(files, log, own, `the init failed waiting for start: ${describe(err)}`);
    return null;
  } finally {
    clearInterval(watchdog);
    sys.close(ownFd);
  }
}

async function becomeMonitor(
  host: Host,
  log: Logger,
  state: ContainerState,
  dir: string,
  spec: OciSpec,
  inputs: PlanInput,
  fifo: FifoWriter,
): Promise<never> {
  const { sys, files } = host;
  // Placed in the container's cgroup by create before start could release us: now that
  // cgroup becomes the root of the container's own cgroup namespace (spawn_init.ts).
  if (state.namespaces.some(isNewCgroupNamespace)) sys.unshare(CLONE.NEWCGROUP);
  const user = spec.process.user;
  const netns = state.namespaces.find((n) => n.type === "network");
  let network: NetworkInfo | null = null;
  if (netns === undefined) {
    log.warn(
      `container ${state.id} shares the host network namespace: urunc does not wire host interfaces into the VM, so it runs without network`,
    );
  } else {
    const [{ openRtnl }, tun] = await Promise.all([host.netlink(), host.tun()]);
    network = setupNetwork({
      plan: networkRequest(inputs.spec),
      containerId: state.id,
      uid: user.uid,
      gid: user.gid,
      record: (resource) =>
        appendLedger(files, dir, {
          kind: "net",
          netnsPath: netns.path ?? null,
          resource: { ...resource },
        }),
    }, { openRtnl, tun });
    faultPoint("init:after-network");
    if (network === null) {
      log.info(
        `container ${state.id} has no network interface besides loopback: the VM runs without network`,
      );
    }
  }

  const plan = planWithNetwork(inputs, network);
  for (const w of plan.warnings) log.warn(w);
  log.debug(`exec ${JSON.stringify(plan.monitor.argv)}`);
  // Decided by create; oom_score_adj goes through /proc, so before the jail.
  const privileges = fromPrivilegeRecord(state.privileges);
  applyOomScoreAdj(sys, privileges.oomScoreAdj);

  // Mounts made from here on (hooks included) must not propagate to the host.
  isolateMounts(sys, spec.linux?.rootfsPropagation);
  await runLifecycleHooks(host, "startContainer", state.hooks, state, log);

  // Block pass-through: the jail is a tmpfs with the kept kernel/initrd (mount points on it vanish with it).
  // virtiofs only; imported before pivot_root (a module load there would touch the jail).
  const helpers = plan.storage.helpers.length > 0
    ? await lazyImport<typeof import("./storage_helpers.ts")>(
      import.meta.url,
      "./storage_helpers.ts",
    )
    : null;
  const ownRoot = plan.storage.devmapper !== null &&
    (await lazyImport<typeof import("./storage_setup.ts")>(import.meta.url, "./storage_setup.ts"))
      .rootfsForHandedOverDevice(sys, plan, {
        rootfs: state.rootfs,
        dir,
      });
  applyJail(sys, plan.jail, {
    rootfs: state.rootfs,
    uid: user.uid,
    gid: user.gid,
    files: plan.monitor.files,
    record: (r) => ownRoot && r.kind === "path" ? undefined : appendLedger(files, dir, r),
    maskedPaths: spec.linux?.maskedPaths ?? [],
    readonlyPaths: spec.linux?.readonlyPaths ?? [],
    readonlyRoot: spec.root.readonly === true,
  });
  faultPoint("init:after-jail");
  // Before the helpers too: fds inherited from the shim must not live on in a root virtiofsd.
  sys.closeFromOnExec(3);
  if (helpers !== null) await helpers.startHelpers(host, log, plan.storage.helpers, user);
  const filters = dropPrivileges(
    sys,
    privileges,
    { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids ?? [] },
    plan.monitor.seccomp,
  );
  await deliverCaughtSignals();
  // `start` takes EOF after this line as the monitor having replaced us.
  fifo.write(new TextEncoder().encode("exec\n"));
  return sys.execve(plan.monitor.path, plan.monitor.argv, plan.monitor.env, filters);
}
