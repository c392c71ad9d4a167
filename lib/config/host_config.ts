// The optional host configuration file (TOML): guest defaults and, per monitor,
// its path, acceleration and extra arguments. Every key is validated; errors name
// the file and the key. Async only because the TOML parser is imported lazily:
// the hot path (create/start/...) pays for it only when a config file exists.

import { quote, UruncError } from "../errors.ts";
import { readRegularFile } from "../../ffi/checked_open.ts";
import { SYSCALLS } from "../plan/seccomp/syscalls.ts";
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
const MAX_HOST_CONFIG = 1024 * 1024;

/**
 * The monitor's own memory on top of the guest RAM, for the cgroup limit. qemu
 * under TCG measured 144 MiB resident outside guest RAM (libraries and the
 * translation cache, which KVM does not need); firecracker and solo5 (not
 * installed here) are estimates.
 */
export const DEFAULT_MEMORY_OVERHEAD_MIB: Record<MonitorKind, number> = {
  qemu: 192,
  firecracker: 64,
  hvt: 32,
  spt: 32,
};

/** Which accel values each monitor accepts: only qemu can run without KVM; spt never uses it. */
const ACCEL_CHOICES: Record<MonitorKind, readonly AccelMode[]> = {
  qemu: ["auto", "kvm", "tcg"],
  firecracker: ["auto", "kvm"],
  hvt: ["auto", "kvm"],
  spt: ["auto"],
};

export function defaultHostConfig(): HostConfig {
  const monitors = {} as Record<MonitorKind, MonitorHostConfig>;
  for (const k of MONITOR_KINDS) {
    monitors[k] = {
      accel: "auto",
      extraArgs: [],
      memoryOverheadMiB: DEFAULT_MEMORY_OVERHEAD_MIB[k],
    };
  }
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

function nonNegativeInt(file: string, key: string, v: unknown, max: number): number {
  const n = typeof v === "bigint" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > max) {
    fail(file, key, `expected an integer from 0 to ${max}, got ${show(v)}`);
  }
  return n;
}

function syscallNames(file: string, key: string, v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((a) => typeof a === "string")) {
    fail(file, key, `expected an array of syscall names, got ${show(v)}`);
  }
  for (const name of v) {
    if (!Object.values(SYSCALLS).some((t) => Object.hasOwn(t, name))) {
      fail(file, key, `unknown syscall ${quote(name)}`);
    }
  }
  return [...v];
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
      checkKeys(file, `${p}.`, m, [
        "path",
        "accel",
        "extra_args",
        "memory_overhead_mib",
        "seccomp_allow",
      ]);
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
      if (m.memory_overhead_mib !== undefined) {
        out.memoryOverheadMiB = nonNegativeInt(
          file,
          `${p}.memory_overhead_mib`,
          m.memory_overhead_mib,
          1 << 20,
        );
      }
      if (m.seccomp_allow !== undefined) {
        out.seccompAllow = syscallNames(file, `${p}.seccomp_allow`, m.seccomp_allow);
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
  let bytes: Uint8Array | null;
  try {
    bytes = readRegularFile(file, { maxBytes: MAX_HOST_CONFIG, follow: true });
  } catch (err) {
    throw new UruncError(`cannot read host config ${file}: ${(err as Error).message}`);
  }
  if (bytes === null) {
    if (!explicit) return defaultHostConfig();
    throw new UruncError(`cannot read host config ${file}: no such file`);
  }
  const text = new TextDecoder().decode(bytes);
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
