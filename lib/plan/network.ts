// Which network the container gets and what address the guest configures.
// The tap name and the Knative static addresses are a contract with upstream
// urunc deployments (queue-proxy reaches the guest at 172.16.1.2).

import { UruncError } from "../errors.ts";
import type { GuestNetwork, NetworkInfo, NetworkPlan, PlanSpec } from "./types.ts";

export const TAP_NAME = "tap0_urunc";
export const CONTAINER_NAME_ANNOTATION = "io.kubernetes.cri.container-name";

/** Knative's user container gets a NATed fixed address behind the tap. */
export const STATIC_GUEST = { ip: "172.16.1.2", gateway: "172.16.1.1", mask: "255.255.255.0" };
/** The address the tap holds in static mode (the guest's gateway). */
export const STATIC_TAP_CIDR = "172.16.1.1/24";

/** What the runtime must set up before the plan can be built. */
export function networkRequest(spec: PlanSpec): NetworkPlan {
  const static_ = spec.annotations[CONTAINER_NAME_ANNOTATION] === "user-container";
  return { mode: static_ ? "static" : "dynamic", tap: TAP_NAME };
}

/** Prefix length of a dotted-decimal netmask; throws on anything else. */
export function maskPrefix(mask: string): number {
  const parts = mask.split(".");
  const octets = parts.map((p) => (/^[0-9]{1,3}$/.test(p) ? Number(p) : NaN));
  if (parts.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) {
    throw new UruncError(
      `invalid network mask ${JSON.stringify(mask)}: expected dotted decimal like 255.255.255.0`,
    );
  }
  let bits = 0;
  for (const o of octets) for (let b = o; b > 0; b >>= 1) bits += b & 1;
  return bits;
}

/** The guest's address: the container interface's (dynamic) or the fixed Knative one (static). */
export function guestNetwork(plan: NetworkPlan, info: NetworkInfo): GuestNetwork {
  const src = plan.mode === "static" ? STATIC_GUEST : info;
  return {
    ip: src.ip,
    mask: src.mask,
    prefix: maskPrefix(src.mask),
    gateway: src.gateway,
    mac: info.mac,
  };
}
