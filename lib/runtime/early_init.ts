// create starts the init child before it loads what validates the bundle (zod, the host
// config, the plan: most of create's own time), so the child's Deno start runs alongside
// that work instead of after it. Only the namespaces decide how the init starts, and they
// are checked here as the full path checks them; everything else is validated afterwards,
// and a container that fails there is removed with its init (createContainer). Skipped
// (the init starts after validation, as before) for a terminal (the pty goes to the shim
// once), a pod sandbox or a container without urunc metadata (both go to runc).

import { join, resolve } from "../path.ts";
import type { Files, Host, Spawned } from "../host/host.ts";
import { isObj } from "../shape.ts";
import { ANNOTATION_PREFIX } from "../config/unikernel_config.ts";
import { readConfigJson } from "../oci/config_file.ts";
import type { OciSpec } from "../oci/spec.ts";
import { appendLedger } from "../ledger.ts";
import { validateContainerId } from "./container_id.ts";
import { lockContainerDir } from "./lock.ts";
import { namespacesFromSpec, NS_KINDS } from "./namespaces.ts";
import { sandboxMarker } from "./runc.ts";
import { spawnInit } from "./spawn_init.ts";
import { createContainerDir, EXEC_FIFO, type NamespaceRecord } from "./store.ts";
import type { CreateOptions } from "./create.ts";

/** Set cluster-wide, these alone do not make a unikernel container. */
const FLAG_KEYS = ["mountRootfs", "useDMBlock"].map((k) => ANNOTATION_PREFIX + k);

export interface EarlyInit {
  /** The config.json that was read, so create validates exactly what decided the spawn. */
  raw: unknown;
  dir: string;
  child: Spawned;
  pid: number;
  startTime: string;
  namespaces: NamespaceRecord[];
  /** Releases create's lock on the container dir (idempotent). */
  unlock: () => void;
}

/**
 * The linux.namespaces entries of a raw config.json when the init may start before
 * validation, else null. `hasUruncJson(rootfs)`: whether the image carries urunc.json.
 */
export function earlyNamespaces(
  raw: unknown,
  bundle: string,
  hasUruncJson: (rootfs: string) => boolean,
): { type: string; path?: string }[] | null {
  if (!isObj(raw) || !isObj(raw.process) || !isObj(raw.root)) return null;
  if (raw.process.terminal !== undefined && raw.process.terminal !== false) return null;
  const annotations = raw.annotations ?? {};
  if (!isObj(annotations) || !Object.values(annotations).every((v) => typeof v === "string")) {
    return null;
  }
  if (sandboxMarker(annotations as Record<string, string>) !== null) return null;
  const rootPath = raw.root.path;
  if (typeof rootPath !== "string" || rootPath === "") return null;
  const marked = Object.entries(annotations).some(([k, v]) =>
    k.startsWith(ANNOTATION_PREFIX) && !FLAG_KEYS.includes(k) && v !== ""
  );
  if (!marked && !hasUruncJson(rootPath.startsWith("/") ? rootPath : join(bundle, rootPath))) {
    return null;
  }
  const linux = raw.linux ?? {};
  if (!isObj(linux)) return null;
  const list = linux.namespaces ?? [];
  if (!Array.isArray(list)) return null;
  const out: { type: string; path?: string }[] = [];
  for (const ns of list) {
    // user/time/unknown kinds: the full path refuses them with the reason.
    if (!isObj(ns) || typeof ns.type !== "string" || !Object.hasOwn(NS_KINDS, ns.type)) {
      return null;
    }
    if (ns.path !== undefined && typeof ns.path !== "string") return null;
    out.push(ns.path === undefined ? { type: ns.type } : { type: ns.type, path: ns.path });
  }
  return out;
}

function exists(files: Files, path: string): boolean {
  try {
    return files.lstat(path) !== null;
  } catch {
    return false;
  }
}

/**
 * Create the container dir (locked), the exec fifo and the init, from config.json as read;
 * null when the container does not qualify or its input is wrong (the full path then
 * reports the error, naming the field).
 */
export async function startInitEarly(host: Host, opts: CreateOptions): Promise<EarlyInit | null> {
  const { sys, files } = host;
  validateContainerId(opts.id);
  const bundle = resolve(opts.bundle);
  let raw: unknown;
  let namespaces: NamespaceRecord[];
  try {
    raw = readConfigJson(bundle);
    const wanted = earlyNamespaces(
      raw,
      bundle,
      (rootfs) => exists(files, join(rootfs, "urunc.json")),
    );
    if (wanted === null) return null;
    namespaces = namespacesFromSpec({ linux: { namespaces: wanted } } as OciSpec);
  } catch {
    return null;
  }
  const dir = createContainerDir(files, opts.root, opts.id);
  const release = lockContainerDir(sys, dir);
  let locked = true;
  const unlock = () => {
    if (locked) release();
    locked = false;
  };
  let child: Spawned | null = null;
  try {
    sys.mkfifo(join(dir, EXEC_FIFO), 0o600);
    child = await spawnInit(host, { id: opts.id, namespaces, terminal: false }, opts);
    const startTime = String(host.procs.startTime(child.pid) ?? 0n);
    appendLedger(files, dir, { kind: "process", pid: child.pid, startTime });
    return { raw, dir, child, pid: child.pid, startTime, namespaces, unlock };
  } catch (err) {
    // Nothing else exists yet: the child (if any) and the dir are all there is.
    if (child !== null) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
    files.remove(dir, true);
    unlock();
    throw err;
  }
}
