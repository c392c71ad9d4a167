// Validation of what urunc reads back from its own state dir: state.json and
// ledger lines are trusted only once their shape is right, so a damaged file is
// reported as such (and `delete --force` still works) instead of failing deep
// inside a command. Hand-written: zod would cost every short CLI call its load.

import { HOOK_KINDS } from "../oci/hook_kinds.ts";
import { MONITOR_KINDS, UNIKERNEL_TYPES } from "../plan/types.ts";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const isInt = (v: unknown, min: number, max: number) =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
const DIGITS = /^\d{1,20}$/;
/** pid_max can be at most 2^22. */
const MAX_PID = 4194304;
const NAMESPACES = ["mount", "uts", "ipc", "network", "cgroup", "pid"];

function fields(o: Obj, checks: Record<string, (v: unknown) => boolean>): string | null {
  for (const [k, ok] of Object.entries(checks)) {
    if (!ok(o[k])) return `field "${k}" is missing or invalid`;
  }
  return null;
}

const hookOk = (h: unknown) =>
  isObj(h) && isStr(h.path) && h.path.startsWith("/") &&
  (h.args === undefined || (Array.isArray(h.args) && h.args.every(isStr))) &&
  (h.env === undefined || (Array.isArray(h.env) && h.env.every(isStr))) &&
  (h.timeout === undefined || isInt(h.timeout, 1, 2 ** 31));

/** Why `raw` is not a urunc state.json, or null when it is one. */
export function stateProblem(raw: unknown): string | null {
  if (!isObj(raw)) return "not a JSON object";
  const top = fields(raw, {
    urunc: (v) => v === 1,
    ociVersion: isStr,
    id: isStr,
    bundle: isStr,
    rootfs: isStr,
    created: isStr,
    pid: (v) => isInt(v, 0, MAX_PID),
    pidStartTime: (v) => isStr(v) && DIGITS.test(v),
    phase: (v) => v === "creating" || v === "created",
    annotations: (v) => isObj(v) && Object.values(v).every(isStr),
    config: isObj,
    namespaces: (v) =>
      Array.isArray(v) &&
      v.every((n) =>
        isObj(n) && NAMESPACES.includes(n.type as string) && (n.path === undefined || isStr(n.path))
      ),
    terminal: (v) => typeof v === "boolean",
    hooks: (v) =>
      isObj(v) &&
      Object.entries(v).every(([k, list]) =>
        (HOOK_KINDS as readonly string[]).includes(k) && Array.isArray(list) && list.every(hookOk)
      ),
  });
  if (top !== null) return top;
  // What only the init child needs; absent in state an older urunc wrote.
  for (const k of ["spec", "planInputs", "privileges"]) {
    if (raw[k] !== undefined && !isObj(raw[k])) return `field "${k}" is invalid`;
  }
  const config = fields(raw.config as Obj, {
    unikernelType: (v) => (UNIKERNEL_TYPES as readonly unknown[]).includes(v),
    hypervisor: (v) => (MONITOR_KINDS as readonly unknown[]).includes(v),
    binary: isStr,
    cmdline: isStr,
    unikernelVersion: isStr,
    initrd: isStr,
    block: isStr,
    blkMntPoint: isStr,
    mountRootfs: (v) => typeof v === "boolean",
    source: (v) => v === "annotations" || v === "urunc.json",
  });
  return config === null ? null : `config: ${config}`;
}

/** Why `raw` is not a ledger resource, or null when it is one. */
export function resourceProblem(raw: unknown): string | null {
  if (!isObj(raw)) return "not a JSON object";
  switch (raw.kind) {
    case "process":
      return fields(raw, {
        pid: (v) => isInt(v, 1, MAX_PID),
        startTime: (v) => isStr(v) && DIGITS.test(v),
      });
    case "path":
      return fields(raw, {
        path: (v) => isStr(v) && v.startsWith("/") && !v.split("/").includes(".."),
        type: (v) => v === "dir" || v === "file",
      });
    case "net":
      return fields(raw, {
        netnsPath: (v) => v === null || isStr(v),
        resource: (v) => isObj(v) && isStr(v.kind),
      });
    case "cgroup":
      return fields(raw, {
        dir: (v) => isStr(v) && v.startsWith("/") && !v.split("/").includes(".."),
        existed: (v) => v === undefined || typeof v === "boolean",
      });
    case "unmount":
      return fields(raw, {
        target: (v) => isStr(v) && v.startsWith("/"),
        device: (v) => isStr(v) && v.startsWith("/dev/"),
        devno: (v) => isStr(v) && /^\d+:\d+$/.test(v),
        fstype: isStr,
        flags: (v) => isInt(v, 0, 2 ** 32 - 1),
        data: isStr,
      });
    case "loop-autoclear":
      return fields(raw, { device: (v) => isStr(v) && v.startsWith("/dev/loop") });
    default:
      return `unknown kind ${JSON.stringify(raw.kind)?.slice(0, 40)}`;
  }
}
