// The resource ledger: one JSON line per thing urunc created for a container, appended
// before (or as) it is created, so `delete` can undo exactly that, also after a crash.
// A leaf module: the host code that creates resources records them without importing
// the runtime.

import { join } from "./path.ts";
import { DIGITS, fields, isInt, isObj, isStr, MAX_PID } from "./shape.ts";
import type { Files } from "./host/host.ts";

export const LEDGER_FILE = "ledger.jsonl";

/** What urunc created for a container; `delete` undoes these in reverse order. */
export type Resource =
  | { kind: "process"; pid: number; startTime: string }
  /** A directory or empty file created in the rootfs as a mount point. */
  | { kind: "path"; path: string; type: "dir" | "file" }
  /** A network object inside the container's network namespace. */
  | { kind: "net"; netnsPath: string | null; resource: Record<string, unknown> }
  /** A cgroup directory; `existed`: mkdir found it there (someone else's, kept). */
  | { kind: "cgroup"; dir: string; existed?: boolean }
  /** A host filesystem urunc unmounted to hand its block device to the guest; delete remounts it. */
  | {
    kind: "unmount";
    target: string;
    device: string;
    /** major:minor of the device, to recognise the mount when it is back. */
    devno: string;
    fstype: string;
    flags: number;
    data: string;
  }
  /** A loop device whose autoclear flag urunc cleared; delete sets it again. */
  | { kind: "loop-autoclear"; device: string };

/**
 * Append one resource to the ledger before (or as) it is created. One O_APPEND
 * write per line keeps concurrent writers (create and the init child) whole;
 * a torn last line after a crash is ignored by readLedger. Not fsynced, like the
 * state (lib/runtime/store.ts writeFileAtomic says why).
 */
export function appendLedger(files: Files, dir: string, res: Resource): void {
  files.writeFile(join(dir, LEDGER_FILE), JSON.stringify(res) + "\n", {
    mode: 0o600,
    append: true,
  });
}

export interface Ledger {
  resources: Resource[];
  /** One sentence per line that is not a valid resource (a torn last line is not one). */
  damaged: string[];
}

/**
 * The ledger, validated line by line. A last line without its newline was
 * torn by a crash mid-write: the resource it named was not created yet.
 */
export function readLedger(files: Files, dir: string): Ledger {
  let text: string;
  try {
    text = files.readText(join(dir, LEDGER_FILE));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { resources: [], damaged: [] };
    throw err;
  }
  const lines = text.split("\n");
  lines.pop(); // after the last newline: nothing, or a line torn by a crash
  const resources: Resource[] = [];
  const damaged: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      damaged.push(`${LEDGER_FILE} line ${i + 1} is not JSON`);
      return;
    }
    const problem = resourceProblem(raw);
    if (problem === null) resources.push(raw as Resource);
    else damaged.push(`${LEDGER_FILE} line ${i + 1}: ${problem}`);
  });
  return { resources, damaged };
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
