// What network setup creates, as recorded in the container's state ledger.
// Plain JSON; every entry carries enough to find the object again *and* to
// prove it is ours before deleting it (cleanup runs long after setup, maybe
// after a crash, and must never remove what someone else made).

/** IFLA_IFALIAS value that marks a tap as created by urunc for one container. */
export const aliasFor = (containerId: string): string => `urunc:${containerId}`;

/** The container id in an urunc alias, or null when the alias is not ours. */
export function ownerOf(alias: string | null): string | null {
  return alias !== null && alias.startsWith("urunc:") ? alias.slice("urunc:".length) : null;
}

export type NetResource =
  /** A persistent tap; deleted only when its alias still equals `alias`. */
  | { kind: "tap"; name: string; alias: string }
  /**
   * The ingress qdisc (handle ffff:) on a device; deleted only when no
   * filters other than ours remain under it.
   */
  | { kind: "qdisc-ingress"; dev: string; ifindex: number }
  /**
   * A u32 match-all filter at `prio` under `parent` on `dev` whose mirred
   * action redirects to `toIfindex` (0 once that device is gone).
   */
  | {
    kind: "filter";
    dev: string;
    ifindex: number;
    parent: number;
    prio: number;
    protocol: number;
    to: string;
    toIfindex: number;
  }
  /**
   * Setup recorded `of` and then failed to create it because it already
   * existed (someone else made it meanwhile): cleanup must leave it alone.
   */
  | { kind: "not-created"; of: NetResource };

/** Priority of our filters: what `tc` picks for the first filter on a chain, so listings look familiar. */
export const FILTER_PRIO = 49152;

export function describeResource(r: NetResource): string {
  switch (r.kind) {
    case "tap":
      return `tap ${r.name}`;
    case "qdisc-ingress":
      return `ingress qdisc on ${r.dev}`;
    case "filter":
      return `filter prio ${r.prio} on ${r.dev} (redirect to ${r.to})`;
    case "not-created":
      return `${describeResource(r.of)} (not created)`;
  }
}
