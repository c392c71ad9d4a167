// `urunc create`: validate everything, then start the init child inside the
// container's namespaces and leave it waiting for `start`. Anything created
// before a failure is undone here; after a crash the ledger lets delete do it.

import { join, resolve } from "../path.ts";
import type { Syscalls } from "../../ffi/syscalls.ts";
import { openPty, sendFd } from "../../ffi/console.ts";
import { UruncError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { loadSpec, type OciSpec, rootfsPath } from "../oci/spec.ts";
import { processState, procStartTime } from "../oci/state.ts";
import { caughtSignals, EXIT_SIGNALS } from "./init_signals.ts";
import { awaitSignalHandler } from "./signal_ready.ts";
import { resolveUnikernelConfig } from "../config/unikernel_config.ts";
import { checkGuestFiles } from "../config/guest_files.ts";
import { validateContainerId } from "./container_id.ts";
import { namespacesFromSpec, namespacesOfProcess, spawnInNamespaces } from "./namespaces.ts";
import { monitorPrivileges } from "./privilege_inputs.ts";
import { toPrivilegeRecord } from "../plan/privilege_record.ts";
import { preflightPlan } from "./plan_inputs.ts";
import { handOverStorage } from "./storage_setup.ts";
import { execRunc, sandboxMarker } from "./runc.ts";
import { selfCommand } from "./self_exec.ts";
import { runLifecycleHooks } from "./hooks.ts";
import {
  type ContainerState,
  createContainerDir,
  EXEC_FIFO,
  readInitError,
  saveState,
  STATE_FORMAT,
  writePidFile,
} from "./store.ts";
import { appendLedger } from "../ledger.ts";
import { lockContainerDir } from "./lock.ts";
import { faultPoint } from "./fault.ts";
import type { LogOptions } from "../log.ts";
import type { LaunchPlan, PlanInput } from "../plan/types.ts";
import { lazyImport } from "../lazy.ts";

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile: string | null;
  consoleSocket: string | null;
  configPath: string | null;
  /** --systemd-cgroup: linux.cgroupsPath is "slice:prefix:name". */
  systemdCgroup?: boolean;
  logOptions: LogOptions;
  /** argv for the runc hand-off (urunc-only flags removed). */
  runcArgv: readonly string[];
}

export interface Created {
  state: ContainerState;
  dir: string;
  child: Deno.ChildProcess;
}

export async function createContainer(
  sys: Syscalls,
  log: Logger,
  opts: CreateOptions,
): Promise<Created> {
  validateContainerId(opts.id);
  const bundle = resolve(opts.bundle);
  const spec = loadSpec(bundle);
  const rootfs = rootfsPath(spec, bundle);
  const sandbox = sandboxMarker(spec.annotations);
  if (sandbox !== null) {
    log.debug(`container ${opts.id} is a pod sandbox (${sandbox}): handing it to runc`);
    execRunc(sys, opts.runcArgv, `container ${opts.id} is a pod sandbox (${sandbox})`);
  }
  const config = resolveUnikernelConfig(spec, rootfs);
  if (config === null) {
    log.debug(`container ${opts.id} has no urunc metadata: handing it to runc`);
    execRunc(
      sys,
      opts.runcArgv,
      `container ${opts.id} is not a unikernel (no urunc annotations or /urunc.json)`,
    );
  }
  checkGuestFiles(config, rootfs, spec.annotations ?? {}, spec.process.user);
  const namespaces = namespacesFromSpec(spec);
  if (spec.process.terminal && !opts.consoleSocket) {
    throw new UruncError("process.terminal is true but no --console-socket was given");
  }
  // Fail on anything the plan can tell (unsupported combination, missing monitor) before creating anything.
  const { inputs: planInputs, plan } = await preflightPlan(
    spec,
    config,
    opts.id,
    rootfs,
    opts.configPath,
  );
  const cgroup = await planCgroup(spec, planInputs, plan, opts, log);
  // Capabilities, rlimits and seccomp are checked (and compiled) now; the child applies them.
  const privileges = toPrivilegeRecord(monitorPrivileges(spec, planInputs));

  const dir = createContainerDir(opts.root, opts.id);
  const state: ContainerState = {
    urunc: STATE_FORMAT,
    ociVersion: spec.ociVersion,
    id: opts.id,
    bundle,
    rootfs,
    created: new Date().toISOString(),
    pid: 0,
    pidStartTime: "0",
    phase: "creating",
    annotations: { ...(spec.annotations ?? {}) },
    config,
    namespaces,
    terminal: spec.process.terminal === true,
    hooks: spec.hooks ?? {},
    spec,
    planInputs,
    privileges,
  };
  let child: Deno.ChildProcess | null = null;
  // Held until create returns: start and delete wait, so neither sees a half-made container.
  const unlock = lockContainerDir(sys, dir);
  try {
    faultPoint("create:after-dir");
    saveState(dir, state);
    faultPoint("create:after-state");
    // Block devices for the guest leave the host's mount table before the child copies it.
    handOverStorage(sys, plan, {
      rootfs,
      dir,
      record: (r) => appendLedger(dir, r),
    });
    sys.mkfifo(join(dir, EXEC_FIFO), 0o600);
    child = spawnInit(sys, spec, state, opts);
    faultPoint("create:after-spawn");
    state.pid = child.pid;
    state.pidStartTime = String(procStartTime(child.pid) ?? 0n);
    appendLedger(dir, { kind: "process", pid: state.pid, startTime: state.pidStartTime });
    if (cgroup) state.cgroup = cgroup.apply(sys, dir, state.pid);
    saveState(dir, state);
    if (opts.pidFile) writePidFile(resolve(opts.pidFile), state.pid);
    faultPoint("create:after-pidfile");

    await runLifecycleHooks("prestart", state.hooks, state, log);
    await runLifecycleHooks("createRuntime", state.hooks, state, log);
    await runLifecycleHooks("createContainer", state.hooks, state, log, {
      spawnIn: <T>(spawn: () => T) =>
        spawnInNamespaces(sys, namespacesOfProcess(state.pid, namespaces), spawn),
    });
    // A kill right after create returns must reach the init: wait for its handlers.
    await waitForSignalHandlers(dir, state);
    state.phase = "created";
    saveState(dir, state);
    return { state, dir, child };
  } catch (err) {
    // Nothing half-created stays behind: kill the child, undo the ledger, drop the dir.
    const { destroyContainer } = await lazyImport<typeof import("./destroy.ts")>(
      import.meta.url,
      "./destroy.ts",
    ); // only on failure
    const problems = await destroyContainer(sys, log, { state, dir, runPoststop: false });
    for (const p of problems) log.warn(`cleanup after failed create: ${p}`);
    throw err;
  } finally {
    unlock();
  }
}

/**
 * The container's cgroup, planned before anything exists; `apply` creates it
 * (each directory ledgered first), writes the limits and moves the init child
 * in before create returns. The code loads only for a spec with a cgroupsPath.
 */
async function planCgroup(
  spec: OciSpec,
  inputs: PlanInput,
  plan: LaunchPlan,
  opts: CreateOptions,
  log: Logger,
) {
  const linux = spec.linux as { cgroupsPath?: unknown; resources?: unknown } | undefined;
  if (linux?.cgroupsPath === undefined || linux.cgroupsPath === "") {
    if (linux?.resources) {
      log.warn(
        "the spec sets linux.resources but no linux.cgroupsPath: the monitor stays in urunc's cgroup and only the guest size follows the limits",
      );
    }
    return null;
  }
  const cg = await lazyImport<typeof import("../host/cgroups/container.ts")>(
    import.meta.url,
    "../host/cgroups/container.ts",
  );
  const prepared = cg.prepareContainerCgroup(spec, inputs, plan, opts.systemdCgroup === true, log);
  if (prepared === null) return null;
  return {
    apply: (sys: Syscalls, dir: string, pid: number) => {
      const placed = cg.applyContainerCgroup(
        sys,
        prepared,
        {
          creating: (d) => appendLedger(dir, { kind: "cgroup", dir: d }),
          existed: (d) => appendLedger(dir, { kind: "cgroup", dir: d, existed: true }),
        },
        pid,
        faultPoint,
      );
      faultPoint("create:after-cgroup");
      return placed;
    },
  };
}

const INIT_READY_TIMEOUT_MS = 60_000;

/** Until the init catches SIGTERM/SIGINT, the kernel would drop them (it is PID 1 of its namespace). */
async function waitForSignalHandlers(dir: string, state: ContainerState): Promise<void> {
  // A dead init stays a zombie (our child) until reaped: only a live one counts.
  const caught = (pid: number) =>
    processState(pid, BigInt(state.pidStartTime)) === "alive" ? caughtSignals(pid) : null;
  if (await awaitSignalHandler(state.pid, EXIT_SIGNALS, INIT_READY_TIMEOUT_MS, caught)) return;
  throw new UruncError(
    caught(state.pid) === null
      ? `container ${state.id}: ${readInitError(dir) ?? "the init ended before it was ready"}`
      : `container ${state.id}: the init was not ready within ${INIT_READY_TIMEOUT_MS / 1000} s`,
  );
}

function spawnInit(
  sys: Syscalls,
  spec: OciSpec,
  state: ContainerState,
  opts: CreateOptions,
): Deno.ChildProcess {
  const initArgs = ["--root", opts.root, "--log-format", opts.logOptions.format];
  if (opts.logOptions.path) initArgs.push("--log", opts.logOptions.path);
  if (opts.logOptions.debug) initArgs.push("--debug");
  initArgs.push("init");
  if (spec.process.terminal) {
    // The master goes to the shim before the child exists; the child opens the
    // slave as its controlling terminal. The in-flight fd keeps the pty alive.
    const pty = openPty();
    try {
      sendFd(opts.consoleSocket!, pty.master, "/dev/ptmx");
    } finally {
      sys.close(pty.master);
    }
    initArgs.push("--console", pty.slavePath);
  }
  initArgs.push(state.id);
  const cmd = selfCommand(initArgs);
  // Only the synchronous spawn runs inside the window: while a PID namespace is
  // pending, any new thread (async ops, workers) would fail to start. A first,
  // cold spawn with inherited stdio needs none (measured, also with piped stdio).
  // Without a terminal, create's stdio is the container's and the child keeps
  // it. With one, the shim reads create's stdout until EOF, and Deno duplicates
  // its stdio at startup: a child holding that pipe would block the shim until
  // the monitor execs, so it starts on /dev/null and attaches the pty slave.
  const stdio = spec.process.terminal ? "null" : "inherit";
  const child = spawnInNamespaces(
    sys,
    state.namespaces,
    () =>
      new Deno.Command(cmd.path, { args: cmd.args, stdin: stdio, stdout: stdio, stderr: stdio })
        .spawn(),
  );
  child.unref();
  return child;
}
