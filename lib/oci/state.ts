// The OCI state document (what `urunc state` prints and what hooks read on
// stdin) and the /proc facts that tell whether the container's process is still
// the one we started.

export const CONTAINER_STATUSES = ["creating", "created", "running", "stopped", "paused"] as const;
export type ContainerStatus = typeof CONTAINER_STATUSES[number];

/** Field order is runc's `state` output order; serializeState keeps it. */
export interface OciState {
  ociVersion: string;
  id: string;
  /** Host pid of the container process; 0 when stopped. */
  pid: number;
  status: ContainerStatus;
  bundle: string;
  rootfs: string;
  /** RFC 3339 UTC timestamp with trailing fractional zeros trimmed (Go's RFC3339Nano). */
  created: string;
  /** Always "": runc fills it only for rootless containers, which urunc does not run. */
  owner: string;
  annotations: Record<string, string>;
}

export interface OciStateInput {
  ociVersion: string;
  id: string;
  pid: number;
  status: ContainerStatus;
  bundle: string;
  rootfs: string;
  /** A Date, or an already formatted timestamp (kept as given). */
  created: Date | string;
  annotations?: Record<string, string>;
}

export function ociState(input: OciStateInput): OciState {
  return {
    ociVersion: input.ociVersion,
    id: input.id,
    // A stopped container has no process; a stale pid could name someone else's.
    pid: input.status === "stopped" ? 0 : input.pid,
    status: input.status,
    bundle: input.bundle,
    rootfs: input.rootfs,
    created: typeof input.created === "string" ? input.created : rfc3339Nano(input.created),
    owner: "",
    annotations: { ...input.annotations },
  };
}

/** Compact JSON with the fixed key order, whatever order `s` was built in. */
export function serializeState(s: OciState): string {
  return JSON.stringify({
    ociVersion: s.ociVersion,
    id: s.id,
    pid: s.pid,
    status: s.status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner: s.owner,
    annotations: s.annotations,
  });
}

/** Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros, none if zero. */
export function rfc3339Nano(d: Date): string {
  const iso = d.toISOString(); // 2024-05-01T10:20:30.120Z
  const [whole, frac] = iso.slice(0, -1).split(".");
  const digits = (frac ?? "").replace(/0+$/, "");
  return digits === "" ? `${whole}Z` : `${whole}.${digits}Z`;
}

export interface ProcStat {
  /** One-letter state: R, S, D, Z, X, T, t, I, … */
  state: string;
  /** Field 22: clock ticks after boot at which the process started. */
  startTime: bigint;
}

/**
 * Parse /proc/<pid>/stat. The comm field (2) is in parentheses and may itself
 * contain spaces and parentheses, so the fixed fields start after the LAST ")".
 */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  // After ") ": field 3 (state) is index 0, so field 22 (starttime) is index 19.
  const rest = text.slice(close + 2).split(" ");
  const state = rest[0];
  const start = rest[19];
  if (!state || start === undefined || !/^\d+$/.test(start)) return null;
  return { state, startTime: BigInt(start) };
}

/** Synchronous on purpose: callers may have just switched namespaces (see DESIGN.md §2). */
function readProcStat(pid: number): ProcStat | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  return parseProcStat(text);
}

/** The start time of `pid`, or null when there is no such process. */
export function procStartTime(pid: number): bigint | null {
  return readProcStat(pid)?.startTime ?? null;
}

export type ProcessState = "alive" | "zombie" | "gone";

/**
 * Whether `pid` is still the process that started at `startTime`. A different
 * start time means the pid was reused by someone else: ours is gone. A zombie
 * has exited and only waits for its reaper (the shim), so it is not alive.
 */
export function processState(pid: number, startTime: bigint): ProcessState {
  const stat = readProcStat(pid);
  if (stat === null || stat.startTime !== startTime) return "gone";
  return stat.state === "Z" || stat.state === "X" ? "zombie" : "alive";
}

/** The SigCgt mask of a process, or null when it is gone. */
export function caughtSignals(pid: number): bigint | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return null;
  }
  const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(text);
  return m === null ? null : BigInt(`0x${m[1]}`);
}

/** The executable a process runs now (its /proc exe link), or null when it is gone. */
export function executableOf(pid: number): string | null {
  try {
    return Deno.readLinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}
