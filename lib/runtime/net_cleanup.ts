// Remove the network objects the ledger lists, inside the namespace they live in.
import { describe } from "../errors.ts";
import type { Logger } from "../log.ts";
import { cleanupNetwork, isLeftInPlace, type NetResource } from "../host/network/mod.ts";
import type { Resource } from "../ledger.ts";
import { ERRNO } from "../../ffi/errno.ts";
import type { NetlinkPart } from "../host/host.ts";

const { ENOENT } = ERRNO;

/**
 * Returns only what a later `delete` could still fix. A namespace that is gone
 * took its taps and rules with it, and an object someone else owns stays
 * theirs: both are warnings, or the container could never be deleted.
 * `ownNetnsPath` reaches a namespace urunc created (held open by the caller);
 * null when it is already gone.
 */
export function cleanupNetResources(
  entries: Extract<Resource, { kind: "net" }>[],
  ownNetnsPath: string | null,
  log: Logger,
  /** Host.netlink: where the namespace is entered and rtnetlink opened. */
  net: NetlinkPart,
): string[] {
  const byNetns = new Map<string, NetResource[]>();
  for (const e of entries) {
    const path = e.netnsPath ?? ownNetnsPath;
    if (path === null) continue;
    byNetns.set(path, [...(byNetns.get(path) ?? []), e.resource as unknown as NetResource]);
  }
  const problems: string[] = [];
  for (const [path, resources] of byNetns) {
    try {
      for (
        const p of net.withNetns(path, () => cleanupNetwork(resources, { openRtnl: net.openRtnl }))
      ) {
        if (isLeftInPlace(p)) log.warn(p);
        else problems.push(p);
      }
    } catch (err) {
      if ((err as { errno?: number }).errno === ENOENT) {
        log.warn(`network namespace ${path} is gone, and what urunc made in it with it`);
      } else problems.push(`cannot clean network namespace ${path}: ${describe(err)}`);
    }
  }
  return problems;
}
