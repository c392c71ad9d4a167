// The optional host configuration file (TOML): guest defaults and, per monitor,
// its path, acceleration and extra arguments. Every key is validated; errors name
// the file and the key. Async only because the TOML parser is imported lazily:
// the hot path (create/start/...) pays for it only when a config file exists.

import { UruncError } from "../errors.ts";
import {
  type AccelMode,
  type HostConfig,
  MONITOR_KINDS,
  type MonitorHostConfig,
  type MonitorKind,
  type SharedFsKind,
} from "../plan/types.ts";

export const DEFAULT_HOST_CONFIG_PATH = "/etc/urunc/config.toml";
export const DEFAULT_MEMORY_MIB = 256;
export const DEFAULT_VCPUS = 1;

/** Which accel values each monitor accepts: only qemu can run without KVM; spt never uses it. */
const ACCEL_CHOICES: Record<MonitorKind, readonly AccelMode[]> = {
  qemu: ["auto", "kvm", "tcg"],
  firecracker: ["auto", "kvm"],
  hvt: ["auto", "kvm"],
  spt: ["auto"],
};

export function defaultHostConfig(): HostConfig {
  const monitors = {} as Record<MonitorKind, MonitorHostConfig>;
  for (const k of MONITOR_KINDS) monitors[k] = { accel: "auto", extraArgs: [] };
  return {
    defaults: { memoryMiB: DEFAULT_MEMORY_MIB, vcpus: DEFAULT_VCPUS },
    monitors,
    storage: { sharedFs: "9p" },
    file: null,
  };
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function fail(file: string, key: string, msg: string): never {
  throw new UruncError(`invalid ${file}: key "${key}": ${msg}`);
}

function show(v: unknown): string {
  return typeof v === "bigint" ? String(v) : JSON.stringify(v) ?? String(v);
}

function checkKeys(file: string, prefix: string, t: Table, allowed: readonly string[]): void {
  for (const k of Object.keys(t)) {
    if (!allowed.includes(k)) {
      fail(
        file,
        prefix + k,
        `unknown key; expected one of ${allowed.map((a) => prefix + a).join(", ")}`,
      );
    }
  }
}

function positiveInt(file: string, key: string, v: unknown, max: number): number {
  const n = typeof v === "bigint" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > max) {
    fail(file, key, `expected an integer from 1 to ${max}, got ${show(v)}`);
  }
  return n;
}

/** Validate a parsed TOML document (pure; `file` is for messages). */
export function parseHostConfig(doc: unknown, file: string): HostConfig {
  const cfg = defaultHostConfig();
  cfg.file = file;
  if (!isTable(doc)) fail(file, "(top level)", "expected a table");
  checkKeys(file, "", doc, ["defaults", "monitors", "storage"]);
  if (doc.storage !== undefined) parseStorage(file, doc.storage, cfg);
  if (doc.defaults !== undefined) {
    const d = doc.defaults;
    if (!isTable(d)) fail(file, "defaults", `expected a table, got ${show(d)}`);
    checkKeys(file, "defaults.", d, ["memory_mib", "vcpus"]);
    if (d.memory_mib !== undefined) {
      cfg.defaults.memoryMiB = positiveInt(file, "defaults.memory_mib", d.memory_mib, 1 << 24);
    }
    if (d.vcpus !== undefined) {
      cfg.defaults.vcpus = positiveInt(file, "defaults.vcpus", d.vcpus, 1024);
    }
  }
  if (doc.monitors !== undefined) {
    const ms = doc.monitors;
    if (!isTable(ms)) fail(file, "monitors", `expected a table, got ${show(ms)}`);
    checkKeys(file, "monitors.", ms, MONITOR_KINDS);
    for (const kind of MONITOR_KINDS) {
      const m = ms[kind];
      if (m === undefined) continue;
      const p = `monitors.${kind}`;
      if (!isTable(m)) fail(file, p, `expected a table, got ${show(m)}`);
      checkKeys(file, `${p}.`, m, ["path", "accel", "extra_args"]);
      const out = cfg.monitors[kind];
      if (m.path !== undefined) {
        if (typeof m.path !== "string" || !m.path.startsWith("/")) {
          fail(file, `${p}.path`, `expected an absolute path, got ${show(m.path)}`);
        }
        out.path = m.path;
      }
      if (m.accel !== undefined) {
        const choices = ACCEL_CHOICES[kind];
        if (typeof m.accel !== "string" || !(choices as readonly string[]).includes(m.accel)) {
          fail(file, `${p}.accel`, `expected one of ${choices.join(", ")}, got ${show(m.accel)}`);
        }
        out.accel = m.accel as AccelMode;
      }
      if (m.extra_args !== undefined) {
        if (!Array.isArray(m.extra_args) || !m.extra_args.every((a) => typeof a === "string")) {
          fail(file, `${p}.extra_args`, `expected an array of strings, got ${show(m.extra_args)}`);
        }
        out.extraArgs = [...m.extra_args];
      }
    }
  }
  return cfg;
}

const SHARED_FS = ["9p", "virtiofs"] as const;

function parseStorage(file: string, st: unknown, cfg: HostConfig): void {
  if (!isTable(st)) fail(file, "storage", `expected a table, got ${show(st)}`);
  checkKeys(file, "storage.", st, ["shared_fs", "virtiofsd"]);
  if (st.shared_fs !== undefined) {
    if (!(SHARED_FS as readonly unknown[]).includes(st.shared_fs)) {
      fail(file, "storage.shared_fs", `expected one of 9p, virtiofs, got ${show(st.shared_fs)}`);
    }
    cfg.storage.sharedFs = st.shared_fs as SharedFsKind;
  }
  if (st.virtiofsd !== undefined) {
    if (typeof st.virtiofsd !== "string" || !st.virtiofsd.startsWith("/")) {
      fail(file, "storage.virtiofsd", `expected an absolute path, got ${show(st.virtiofsd)}`);
    }
    cfg.storage.virtiofsd = st.virtiofsd;
  }
  if (cfg.storage.sharedFs === "virtiofs" && cfg.storage.virtiofsd === undefined) {
    fail(file, "storage.virtiofsd", 'required when shared_fs = "virtiofs"');
  }
}

/**
 * Load the host config. `path` null means the default location. A missing
 * default file gives the defaults; a missing explicit file (--config,
 * $URUNC_CONFIG) is an error.
 */
export async function loadHostConfig(path: string | null, explicit: boolean): Promise<HostConfig> {
  const file = path ?? DEFAULT_HOST_CONFIG_PATH;
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound && !explicit) return defaultHostConfig();
    throw new UruncError(`cannot read host config ${file}: ${(err as Error).message}`);
  }
  const { parse, TomlError } = await import("smol-toml");
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      throw new UruncError(
        `invalid ${file}: not TOML: ${err.message.split("\n")[0]} (line ${err.line})`,
      );
    }
    throw err;
  }
  return parseHostConfig(doc, file);
}
