// Remove the network objects the ledger lists, inside the namespace they live in.
import { withNetns } from "../../ffi/netns.ts";
import { describe } from "../errors.ts";
import { cleanupNetwork, type NetResource } from "../host/network/mod.ts";
import type { Resource } from "./store.ts";

/**
 * `ownNetnsPath` reaches a namespace urunc created (held open by the caller);
 * null when it is already gone, and with it every tap and tc rule inside.
 */
export function cleanupNetResources(
  entries: Extract<Resource, { kind: "net" }>[],
  ownNetnsPath: string | null,
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
      problems.push(...withNetns(path, () => cleanupNetwork(resources)));
    } catch (err) {
      problems.push(`cannot clean network namespace ${path}: ${describe(err)}`);
    }
  }
  return problems;
}
