// Give the monitor exactly the privileges the spec grants, in runc's order, on
// the init child's main thread (capabilities, no_new_privs and seccomp are
// per-thread; execve from this thread carries them into the monitor).

import { O } from "../../ffi/constants.ts";
import type { BpfFilter, Syscalls } from "../../ffi/syscalls.ts";
import { UruncError } from "../errors.ts";
import type { PrivilegePlan } from "../plan/privileges.ts";

const CAP_LAST_CAP = "/proc/sys/kernel/cap_last_cap";
const EPERM = 1;

/** The highest capability this kernel knows. Read before pivot_root takes /proc away. */
export function readCapLastCap(read: (p: string) => string = Deno.readTextFileSync): number {
  let text: string;
  try {
    text = read(CAP_LAST_CAP);
  } catch (err) {
    throw new UruncError(`cannot read ${CAP_LAST_CAP}: ${(err as Error).message}`);
  }
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 0 || n > 63) {
    throw new UruncError(`unexpected content in ${CAP_LAST_CAP}: ${JSON.stringify(text.trim())}`);
  }
  return n;
}

/** oom_score_adj goes through /proc, so it is set before the jail (which has none). */
export function applyOomScoreAdj(sys: Syscalls, value: number | null): void {
  if (value === null) return;
  const fd = sys.open("/proc/self/oom_score_adj", O.WRONLY);
  try {
    sys.write(fd, new TextEncoder().encode(String(value)));
  } finally {
    sys.close(fd);
  }
}

export interface MonitorUser {
  uid: number;
  gid: number;
  additionalGids: readonly number[];
}

/**
 * After the jail, right before execve: rlimits (raising one needs
 * CAP_SYS_RESOURCE, so first), the spec's seccomp filter when it cannot wait for
 * no_new_privs (installing it needs CAP_SYS_ADMIN then), the bounding set
 * (needs CAP_SETPCAP), the user (keeping the permitted set across the uid
 * change), then the remaining sets, the ambient set and no_new_privs.
 *
 * Returns the filters for execve to install last: the spec's when
 * no_new_privs is set (as late as possible, as runc does), then `monitorFilter`
 * (urunc's own, e.g. hvt's, which sets no_new_privs itself).
 */
export function dropPrivileges(
  sys: Syscalls,
  plan: PrivilegePlan,
  user: MonitorUser,
  monitorFilter: BpfFilter | null,
): BpfFilter[] {
  for (const r of plan.rlimits) sys.setRlimit(r.resource, r.soft, r.hard, r.name);
  const late: BpfFilter[] = [];
  if (plan.seccomp !== null) {
    if (plan.noNewPrivileges) late.push(plan.seccomp);
    else sys.installSeccomp(plan.seccomp, "linux.seccomp");
  }
  const caps = plan.capabilities;
  for (let cap = 0; cap <= caps.last; cap++) {
    if (!((caps.bounding >> BigInt(cap)) & 1n)) sys.dropBoundingCap(cap);
  }
  const leavingRoot = user.uid !== 0;
  if (leavingRoot) sys.setKeepCaps(true);
  sys.setCredentials(user.uid, user.gid, user.additionalGids);
  if (leavingRoot) sys.setKeepCaps(false);
  try {
    sys.setCapabilities({
      effective: caps.effective,
      permitted: caps.permitted,
      inheritable: caps.inheritable,
    });
  } catch (err) {
    // capset cannot grant what this process does not hold (a host that withholds some).
    if ((err as { errno?: number }).errno !== EPERM) throw err;
    throw new UruncError(
      `cannot give the monitor the capabilities process.capabilities asks for: urunc itself does not hold all of them (${
        (err as Error).message
      })`,
    );
  }
  sys.setAmbientCaps(caps.ambient);
  if (plan.noNewPrivileges) sys.setNoNewPrivs();
  if (monitorFilter !== null) late.push(monitorFilter);
  return late;
}
