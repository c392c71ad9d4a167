// `urunc create`: validate everything, then start the init child inside the
// container's namespaces and leave it waiting for `start`. Anything created
// before a failure is undone here; after a crash the ledger lets delete do it.

import { join, resolve } from "../path.ts";
import { UruncError } from "../errors.ts";
import type { Host, Spawned } from "../host/host.ts";
import type { Logger } from "../log.ts";
import { loadSpec, type OciSpec, parseSpec, rootfsPath } from "../oci/spec.ts";
import { EXIT_SIGNALS } from "./init_signals.ts";
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
import { spawnInit } from "./spawn_init.ts";
import type { EarlyInit } from "./early_init.ts";
import { killAndWait } from "./signal.ts";
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
  child: Spawned;
}

export async function createContainer(
  host: Host,
  log: Logger,
  opts: CreateOptions,
  /** The init already started from config.json as read (lib/runtime/early_init.ts). */
  early: EarlyInit | null = null,
): Promise<Created> {
  if (early === null) return await create(host, log, opts, null);
  try {
    return await create(host, log, opts, early);
  } catch (err) {
    // Refused before the container existed: the early init and its dir go too.
    const problems = await destroyContainer(host, log, {
      state: null,
      dir: early.dir,
      runPoststop: false,
    });
    for (const p of problems) log.warn(`cleanup after failed create: ${p}`);
    throw err;
  } finally {
    early.unlock();
  }
}

async function destroyContainer(
  ...args: Parameters<typeof import("./destroy.ts").destroyContainer>
) {
  const destroy = await lazyImport<typeof import("./destroy.ts")>(import.meta.url, "./destroy.ts");
  return await destroy.destroyContainer(...args);
}

/** A container that goes to runc after all: its early init and dir go first (runc makes its own). */
async function handToRunc(
  host: Host,
  log: Logger,
  opts: CreateOptions,
  early: EarlyInit | null,
  why: string,
): Promise<never> {
  log.debug(`container ${opts.id}: ${why}: handing it to runc`);
  if (early !== null) {
    const problems = await destroyContainer(host, log, {
      state: null,
      dir: early.dir,
      runPoststop: false,
    });
    if (problems.length > 0) throw new UruncError(`${why}, but: ${problems.join("; ")}`);
    early.unlock();
  }
  execRunc(host.sys, opts.runcArgv, `container ${opts.id} ${why}`);
}

async function create(
  host: Host,
  log: Logger,
  opts: CreateOptions,
  early: EarlyInit | null,
): Promise<Created> {
  const { sys, files } = host;
  validateContainerId(opts.id);
  const bundle = resolve(opts.bundle);
  const spec = early === null
    ? loadSpec(bundle)
    : parseSpec(early.raw, join(bundle, "config.json"));
  const rootfs = rootfsPath(spec, bundle);
  const sandbox = sandboxMarker(spec.annotations);
  if (sandbox !== null) await handToRunc(host, log, opts, early, `is a pod sandbox (${sandbox})`);
  const config = resolveUnikernelConfig(spec, rootfs);
  if (config === null) {
    return await handToRunc(
      host,
      log,
      opts,
      early,
      "is not a unikernel (no urunc annotations or /urunc.json)",
    );
  }
  checkGuestFiles(config, rootfs, spec.annotations ?? {}, spec.process.user);
  const namespaces = namespacesFromSpec(spec);
  if (early !== null && JSON.stringify(early.namespaces) !== JSON.stringify(namespaces)) {
    // Both come from the same bytes: a difference is a bug in early_init.ts.
    throw new UruncError(
      `internal error: the init was started in namespaces ${
        JSON.stringify(early.namespaces)
      }, the spec asks for ${JSON.stringify(namespaces)}`,
    );
  }
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
  refuseSharedHandOver(spec, plan, rootfs);
  const cgroup = await planCgroup(spec, planInputs, plan, opts, log);
  // Capabilities, rlimits and seccomp are checked (and compiled) now; the child applies them.
  const privileges = toPrivilegeRecord(monitorPrivileges(spec, planInputs));

  const dir = early?.dir ?? createContainerDir(files, opts.root, opts.id);
  const state: ContainerState = {
    urunc: STATE_FORMAT,
    ociVersion: spec.ociVersion,
    id: opts.id,
    bundle,
    rootfs,
    created: new Date().toISOString(),
    pid: early?.pid ?? 0,
    pidStartTime: early?.startTime ?? "0",
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
  let child: Spawned | null = early?.child ?? null;
  // Held until create returns: start and delete wait, so neither sees a half-made container.
  const unlock = early?.unlock ?? lockContainerDir(sys, dir);
  try {
    faultPoint("create:after-dir");
    saveState(files, dir, state);
    faultPoint("create:after-state");
    if (plan.storage.devmapper !== null && child !== null) {
      // The early init copied the mount table with the device still mounted: start it again
      // once the device has left (as below).
      const err = await killAndWait(host, state.pid, BigInt(state.pidStartTime));
      if (err) throw new UruncError(err);
      child = null;
    }
    // Block devices for the guest leave the host's mount table before the child copies it.
    handOverStorage(sys, plan, {
      rootfs,
      dir,
      record: (r) => appendLedger(files, dir, r),
    });
    if (child === null) {
      if (early === null) sys.mkfifo(join(dir, EXEC_FIFO), 0o600);
      child = await spawnInit(host, {
        id: state.id,
        namespaces: state.namespaces,
        terminal: state.terminal,
      }, opts);
      state.pid = child.pid;
      state.pidStartTime = String(host.procs.startTime(child.pid) ?? 0n);
      appendLedger(files, dir, { kind: "process", pid: state.pid, startTime: state.pidStartTime });
    }
    faultPoint("create:after-spawn");
    if (cgroup) state.cgroup = cgroup.apply(host, dir, state.pid);
    saveState(files, dir, state);
    if (opts.pidFile) writePidFile(files, resolve(opts.pidFile), state.pid);
    faultPoint("create:after-pidfile");

    await runLifecycleHooks(host, "prestart", state.hooks, state, log);
    await runLifecycleHooks(host, "createRuntime", state.hooks, state, log);
    await runLifecycleHooks(host, "createContainer", state.hooks, state, log, {
      spawnIn: <T>(spawn: () => T) =>
        spawnInNamespaces(sys, namespacesOfProcess(state.pid, namespaces), spawn),
    });
    // A kill right after create returns must reach the init: wait for its handlers.
    await waitForSignalHandlers(host, dir, state);
    state.phase = "created";
    saveState(files, dir, state);
    return { state, dir, child };
  } catch (err) {
    // Nothing half-created stays behind: kill the child, undo the ledger, drop the dir.
    const problems = await destroyContainer(host, log, { state, dir, runPoststop: false });
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
    apply: (host: Host, dir: string, pid: number) => {
      const placed = cg.applyContainerCgroup(
        host.sys,
        prepared,
        {
          creating: (d) => appendLedger(host.files, dir, { kind: "cgroup", dir: d }),
          existed: (d) => appendLedger(host.files, dir, { kind: "cgroup", dir: d, existed: true }),
        },
        pid,
        faultPoint,
      );
      faultPoint("create:after-cgroup");
      return placed;
    },
  };
}

/**
 * With block pass-through the init mounts a tmpfs over the rootfs (its device is the guest's);
 * a shared rootfs propagation would show that mount on the host.
 */
function refuseSharedHandOver(spec: OciSpec, plan: LaunchPlan, rootfs: string): void {
  const propagation = spec.linux?.rootfsPropagation ?? "";
  if (plan.storage.devmapper === null || !/^r?shared$/.test(propagation)) return;
  throw new UruncError(
    `linux.rootfsPropagation "${propagation}" cannot be used with mountRootfs block pass-through: the init mounts a tmpfs over ${rootfs}, and a shared propagation would show it on the host; use rslave (the default), slave or private`,
  );
}

const INIT_READY_TIMEOUT_MS = 60_000;

/** Until the init catches SIGTERM/SIGINT, the kernel would drop them (it is PID 1 of its namespace). */
async function waitForSignalHandlers(
  host: Host,
  dir: string,
  state: ContainerState,
): Promise<void> {
  // A dead init stays a zombie (our child) until reaped: only a live one counts.
  const caught = (pid: number) =>
    host.procs.state(pid, BigInt(state.pidStartTime)) === "alive"
      ? host.procs.caughtSignals(pid)
      : null;
  if (await awaitSignalHandler(state.pid, EXIT_SIGNALS, INIT_READY_TIMEOUT_MS, caught)) return;
  throw new UruncError(
    caught(state.pid) === null
      ? `container ${state.id}: ${
        readInitError(host.files, dir) ?? "the init ended before it was ready"
      }`
      : `container ${state.id}: the init was not ready within ${INIT_READY_TIMEOUT_MS / 1000} s`,
  );
}
