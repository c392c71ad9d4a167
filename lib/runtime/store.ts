// Owns every byte under <root>/<id>/: state.json (written atomically), the
// resource ledger (lib/ledger.ts), the exec fifo and the per-container lock.

import { join } from "../path.ts";
import { ContainerExistsError, ContainerNotFoundError, describe, UruncError } from "../errors.ts";
import { stateProblem } from "./state_check.ts";
import type { Hook, HookKind, OciSpec } from "../oci/spec.ts";
import type { PlanInput, UnikernelConfig } from "../plan/types.ts";
import type { CgroupState } from "../host/cgroups/manager.ts";
import type { PrivilegeRecord } from "../plan/privilege_record.ts";
import { validateContainerId } from "./container_id.ts";
import type { Files } from "../host/host.ts";

export const STATE_FILE = "state.json";
export const EXEC_FIFO = "exec.fifo";
/** Why the init child died before `start` could release it; start reports it. */
export const INIT_ERROR = "init.err";
export const STATE_FORMAT = 1;
/**
 * Written first into every container dir urunc makes. runc shares --root and
 * never writes it, so it tells our containers from runc's even when state.json
 * is damaged or was never written.
 */
export const OWNER_MARKER = "urunc.owner";

export interface NamespaceRecord {
  type: string;
  /** A namespace joined by path (e.g. a pod's netns); absent = created by urunc. */
  path?: string;
}

/** A cgroup namespace of the container's own (not one joined by path). */
export function isNewCgroupNamespace(n: NamespaceRecord): boolean {
  return n.type === "cgroup" && !n.path;
}

export interface ContainerState {
  /** Marks state written by urunc (runc shares --root and writes a different state.json). */
  urunc: typeof STATE_FORMAT;
  ociVersion: string;
  id: string;
  bundle: string;
  rootfs: string;
  created: string;
  /** Host pid of the init child, which becomes the monitor; 0 before it exists. */
  pid: number;
  /** /proc/<pid>/stat starttime, to tell our process from a reused pid. */
  pidStartTime: string;
  /** Persisted lifecycle step; the live status is derived in status.ts. */
  phase: "creating" | "created";
  annotations: Record<string, string>;
  config: UnikernelConfig;
  namespaces: NamespaceRecord[];
  /** Whether the spec asked for a terminal (the child owns the pty slave). */
  terminal: boolean;
  /** The spec's hooks, validated at create: start and delete run theirs without re-reading the bundle. */
  hooks: Partial<Record<HookKind, Hook[]>>;
  /**
   * Decided once by create (validated spec; plan inputs with host config and
   * facts): the init child applies them and never re-reads the bundle or host config.
   */
  spec: OciSpec;
  planInputs: PlanInput;
  /** The container's cgroup (absent: no linux.cgroupsPath, or create died before placing it). */
  cgroup?: CgroupState;
  /** The monitor's capabilities, rlimits, no_new_privs and seccomp filter, decided by create. */
  privileges: PrivilegeRecord;
}

export function containerDir(root: string, id: string): string {
  return join(root, validateContainerId(id));
}

/**
 * Write `data` to `path` via a temp file + rename, so readers never see half a file. No
 * fsync (~1 ms each, several per create): what survives a crash of urunc is in the page
 * cache, and a power loss also ends every process, VM and mount the state describes.
 */
export function writeFileAtomic(files: Files, path: string, data: string, mode = 0o644): void {
  const tmp = `${path}.tmp-${Deno.pid}`;
  files.writeFile(tmp, data, { mode });
  files.rename(tmp, path);
}

/** The pid file the shim reads: decimal, no newline, atomic (runc's format). */
export function writePidFile(files: Files, path: string, pid: number): void {
  writeFileAtomic(files, path, String(pid));
}

export type StateLookup =
  | { kind: "ours"; state: ContainerState; dir: string }
  /** Ours (the marker says so), but state.json is missing or not a valid urunc state. */
  | { kind: "damaged"; dir: string; problem: string }
  | { kind: "foreign"; dir: string }
  | { kind: "missing" };

/** Find a container: ours, ours but damaged, another runtime's (runc shares the root), or none. */
export function lookupContainer(files: Files, root: string, id: string): StateLookup {
  const dir = containerDir(root, id);
  const marked = exists(files, join(dir, OWNER_MARKER));
  let text: string;
  try {
    text = files.readText(join(dir, STATE_FILE));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      if (!marked) return { kind: "missing" };
      return { kind: "damaged", dir, problem: `${STATE_FILE} was never written` };
    }
    if (marked) {
      return { kind: "damaged", dir, problem: `cannot read ${STATE_FILE}: ${describe(err)}` };
    }
    throw new UruncError(`cannot read state of container ${id}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return marked
      ? { kind: "damaged", dir, problem: `${STATE_FILE} is not JSON` }
      : { kind: "foreign", dir };
  }
  // Before the marker existed, the urunc field alone said "ours".
  const legacy = typeof parsed === "object" && parsed !== null &&
    (parsed as { urunc?: unknown }).urunc === STATE_FORMAT;
  if (!marked && !legacy) return { kind: "foreign", dir };
  const problem = stateProblem(parsed);
  if (problem !== null) return { kind: "damaged", dir, problem: `${STATE_FILE}: ${problem}` };
  return { kind: "ours", state: parsed as ContainerState, dir };
}

export function loadContainer(
  files: Files,
  root: string,
  id: string,
): { state: ContainerState; dir: string } {
  const found = lookupContainer(files, root, id);
  if (found.kind === "damaged") throw damagedError(id, found.problem);
  if (found.kind !== "ours") throw new ContainerNotFoundError(id);
  return found;
}

/**
 * The error for any command but `delete --force` on a damaged container. It
 * says "does not exist", as runc does for state it cannot load: the shim maps
 * that text to "not found".
 */
export function damagedError(id: string, problem: string): UruncError {
  return new ContainerNotFoundError(
    id,
    `its state is damaged (${problem}); "delete --force ${id}" removes it`,
  );
}

function exists(files: Files, path: string): boolean {
  try {
    return files.lstat(path) !== null;
  } catch {
    return false;
  }
}

/** Leave the reason the init child ended before `start` released it, for start to quote. */
export function recordInitError(files: Files, dir: string, reason: string): void {
  files.writeFile(join(dir, INIT_ERROR), reason, { mode: 0o644 });
}

/** Why the init child ended before start, if it said; null otherwise. */
export function readInitError(files: Files, dir: string): string | null {
  try {
    return files.readText(join(dir, INIT_ERROR)).trim() || null;
  } catch {
    return null;
  }
}

export function saveState(files: Files, dir: string, state: ContainerState): void {
  writeFileAtomic(files, join(dir, STATE_FILE), JSON.stringify(state));
}

/**
 * Remove what a create that died before its first state write left: the bare
 * directory (and at most a torn temp file). Anything else is not ours to touch.
 */
export function removeStateless(files: Files, root: string, id: string): void {
  const dir = containerDir(root, id);
  let names: string[];
  try {
    names = files.readDir(dir).map((e) => e.name);
  } catch {
    return;
  }
  if (names.every((n) => /^state\.json\.tmp-\d+$/.test(n))) {
    files.remove(dir, true);
  }
}

/** Create <root>/<id>; refusing an id that exists is what makes create exclusive. */
export function createContainerDir(files: Files, root: string, id: string): string {
  files.mkdir(root, 0o711, true);
  const dir = containerDir(root, id);
  try {
    files.mkdir(dir, 0o711);
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new ContainerExistsError(id);
    }
    throw new UruncError(`cannot create state directory ${dir}: ${(err as Error).message}`);
  }
  try {
    files.writeFile(join(dir, OWNER_MARKER), `${STATE_FORMAT}\n`, { mode: 0o600 });
  } catch (err) {
    // Without its marker the dir is nobody's: `delete` would leave it behind forever.
    files.remove(dir, true);
    throw err;
  }
  return dir;
}

/** List container ids under root that have a state file (ours or not). */
export function listContainerIds(files: Files, root: string): string[] {
  const ids: string[] = [];
  try {
    for (const e of files.readDir(root)) if (e.isDirectory) ids.push(e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return ids.sort();
}
