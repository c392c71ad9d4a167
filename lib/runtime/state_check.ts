// Validation of what urunc reads back from its own state dir: state.json and
// ledger lines are trusted only once their shape is right, so a damaged file is
// reported as such (and `delete --force` still works) instead of failing deep
// inside a command. Hand-written: zod would cost every short CLI call its load.

import { HOOK_KINDS } from "../oci/hook_kinds.ts";
import { MONITOR_KINDS, UNIKERNEL_TYPES } from "../plan/types.ts";
import { DIGITS, fields, isInt, isObj, isStr, MAX_PID, type Obj } from "../shape.ts";

const NAMESPACES = ["mount", "uts", "ipc", "network", "cgroup", "pid"];

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
