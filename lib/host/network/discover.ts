// Which interface of the container netns the unikernel takes over, and what
// the guest must be told about it. Everything comes from rtnetlink.

import { ARPHRD_ETHER, IFF_LOOPBACK, RT_SCOPE_UNIVERSE } from "../../../ffi/netlink/constants.ts";
import { isDefaultRoute, isSecondary } from "../../../ffi/netlink/messages.ts";
import type { Address, Link, Rtnl } from "../../../ffi/netlink/rtnl.ts";
import { NetworkUnusableError } from "./errors.ts";

export interface ContainerInterface {
  link: Link;
  ipv4: { address: string; prefixlen: number };
  gateway: string;
  mac: string;
  mtu: number;
}

/**
 * Devices the kernel creates in every new netns when a tunnel module is loaded;
 * they are not a container network.
 */
const FALLBACK_DEVICES = new Set([
  "tunl0",
  "sit0",
  "ip6tnl0",
  "gre0",
  "gretap0",
  "erspan0",
  "ip_vti0",
  "ip6_vti0",
  "ip6gre0",
]);

const isLoopback = (l: Link) => (l.flags & IFF_LOOPBACK) !== 0;

/** Interfaces that say "this netns has a network" (not loopback, not a fallback tunnel, not our tap). */
export function networkInterfaces(links: readonly Link[], tapName: string): Link[] {
  return links.filter((l) => !isLoopback(l) && !FALLBACK_DEVICES.has(l.name) && l.name !== tapName);
}

function pickAddress(addrs: readonly Address[], index: number): Address | undefined {
  const mine = addrs.filter((a) =>
    a.family === 4 && a.index === index && a.scope === RT_SCOPE_UNIVERSE
  );
  return mine.find((a) => !isSecondary(a)) ?? mine[0];
}

/**
 * The interface carrying the IPv4 default route, else `eth0`; null when the
 * netns has nothing but loopback (the guest then runs without network).
 */
export function discoverContainerInterface(rtnl: Rtnl, tapName: string): ContainerInterface | null {
  const links = rtnl.links();
  const candidates = networkInterfaces(links, tapName);
  if (candidates.length === 0) return null;
  const names = candidates.map((l) => l.name).join(", ");

  const defaults = rtnl.routes(4).filter(isDefaultRoute).sort((a, b) => a.priority - b.priority);
  const viaDefault = defaults.find((r) =>
    r.oif !== null && candidates.some((l) => l.index === r.oif)
  );
  const link = viaDefault !== undefined
    ? candidates.find((l) => l.index === viaDefault.oif)!
    : candidates.find((l) => l.name === "eth0");
  if (link === undefined) {
    throw new NetworkUnusableError(
      `no usable network interface: no IPv4 default route and no eth0 (interfaces: ${names})`,
    );
  }
  if (link.type !== ARPHRD_ETHER || link.mac === null) {
    throw new NetworkUnusableError(
      `interface ${link.name} is not an Ethernet device (link type ${link.type}); a tap can only mirror Ethernet`,
    );
  }
  const addr = pickAddress(rtnl.addresses(4), link.index);
  if (addr === undefined) {
    throw new NetworkUnusableError(`interface ${link.name} has no IPv4 address for the guest`);
  }
  const gateway = viaDefault?.gateway ?? null;
  if (gateway === null) {
    throw new NetworkUnusableError(
      `no IPv4 default gateway for interface ${link.name} (${addr.address}/${addr.prefixlen}): ` +
        "the guest needs one",
    );
  }
  return {
    link,
    ipv4: { address: addr.address, prefixlen: addr.prefixlen },
    gateway,
    mac: link.mac,
    mtu: link.mtu,
  };
}
