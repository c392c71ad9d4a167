// Remove what the ledger says setup created, in the current netns. Tolerates
// objects that are already gone, refuses to touch objects that are not ours,
// and reports problems instead of stopping at the first.

import { TC_H_INGRESS, TC_H_INGRESS_HANDLE } from "../../../ffi/netlink/constants.ts";
import { type Link, openRtnl, type Rtnl } from "../../../ffi/netlink/rtnl.ts";
import { describeResource, type NetResource } from "./resources.ts";

const ENOENT = 2;
const ENODEV = 19;
const EINVAL = 22;

/** An object that vanished between our lookup and our delete. */
function isGone(e: unknown, extra: number[] = []): boolean {
  const n = (e as { errno?: unknown }).errno;
  return n === ENOENT || n === ENODEV || extra.includes(n as number);
}

/** Prefix of the outcome "this object is someone else's": permanent, so not a failure to retry. */
export const LEFT_IN_PLACE = "left in place";

export function isLeftInPlace(problem: string): boolean {
  return problem.includes(`: ${LEFT_IN_PLACE}: `);
}

// Filters before qdiscs before taps: deleting the tap while the container
// interface still redirects into it would drop that interface's traffic.
const RANK: Record<Exclude<NetResource["kind"], "not-created">, number> = {
  filter: 0,
  "qdisc-ingress": 1,
  tap: 2,
};

/** The device a ledger entry names, or null when it no longer exists (or the index now names another device). */
function device(rtnl: Rtnl, ifindex: number, name: string): Link | null {
  const l = rtnl.link(ifindex);
  return l !== null && l.name === name ? l : null;
}

function removeFilter(rtnl: Rtnl, r: Extract<NetResource, { kind: "filter" }>): string | null {
  const dev = device(rtnl, r.ifindex, r.dev);
  if (dev === null) return null;
  if (!hasIngress(rtnl, dev)) return null;
  const mine = rtnl.filters(dev, r.parent).filter((f) =>
    f.prio === r.prio && f.protocol === r.protocol
  );
  if (mine.length === 0) return null;
  const foreign = mine.some((f) =>
    f.kind !== "u32" ||
    f.actions.some((a) => !("ifindex" in a) || (a.ifindex !== r.toIfindex && a.ifindex !== 0))
  );
  if (foreign) {
    return `${LEFT_IN_PLACE}: the filter at prio ${r.prio} on ${r.dev} is not the one urunc created`;
  }
  rtnl.deleteFilter({ dev, parent: r.parent, prio: r.prio, protocol: r.protocol, kind: "u32" });
  return null;
}

function hasIngress(rtnl: Rtnl, dev: Link): boolean {
  return rtnl.qdiscs().some((q) => q.ifindex === dev.index && q.parent === TC_H_INGRESS);
}

function removeIngress(
  rtnl: Rtnl,
  r: Extract<NetResource, { kind: "qdisc-ingress" }>,
): string | null {
  const dev = device(rtnl, r.ifindex, r.dev);
  if (dev === null || !hasIngress(rtnl, dev)) return null;
  const others = rtnl.filters(dev, TC_H_INGRESS_HANDLE);
  if (others.length > 0) {
    return `${LEFT_IN_PLACE}: it has filters urunc did not create (prio ${[
      ...new Set(others.map((f) => f.prio)),
    ]})`;
  }
  rtnl.ingressQdisc("delete", dev);
  return null;
}

function removeTap(rtnl: Rtnl, r: Extract<NetResource, { kind: "tap" }>): string | null {
  const link = rtnl.link(r.name);
  if (link === null) return null;
  if (link.alias !== r.alias) {
    return `${LEFT_IN_PLACE}: its alias is ${JSON.stringify(link.alias)}, not ${
      JSON.stringify(r.alias)
    }`;
  }
  rtnl.deleteLink(link);
  return null;
}

export interface CleanupDeps {
  /** rtnetlink in the netns to clean; opened (and closed) here when absent. */
  rtnl?: Rtnl;
  /** How to open it (Host.netlink); default: a real socket. */
  openRtnl?: () => Rtnl;
}

/** Remove `resources` from the current netns; returns one line per problem (empty = all clean). */
export function cleanupNetwork(
  resources: readonly NetResource[],
  deps: CleanupDeps = {},
): string[] {
  if (resources.length === 0) return [];
  let rtnl: Rtnl;
  try {
    rtnl = deps.rtnl ?? (deps.openRtnl ?? openRtnl)();
  } catch (e) {
    return [`network cleanup: cannot open rtnetlink: ${(e as Error).message}`];
  }
  const problems: string[] = [];
  try {
    const notCreated = new Set(
      resources.flatMap((r) => (r.kind === "not-created" ? [JSON.stringify(r.of)] : [])),
    );
    const order = resources
      .flatMap((r, i) =>
        r.kind === "not-created" || notCreated.has(JSON.stringify(r)) ? [] : [{ r, i }]
      )
      .sort((a, b) => RANK[a.r.kind] - RANK[b.r.kind] || b.i - a.i);
    for (const { r } of order) {
      try {
        const p = r.kind === "tap"
          ? removeTap(rtnl, r)
          : r.kind === "qdisc-ingress"
          ? removeIngress(rtnl, r)
          : removeFilter(rtnl, r);
        if (p !== null) problems.push(`${describeResource(r)}: ${p}`);
      } catch (e) {
        // EINVAL: tc's "cannot find specified qdisc" when it went away under us.
        if (isGone(e, r.kind === "tap" ? [] : [EINVAL])) continue;
        problems.push(`${describeResource(r)}: ${(e as Error).message}`);
      }
    }
  } finally {
    if (deps.rtnl === undefined) rtnl.close();
  }
  return problems;
}
