// `urunc check`: can this host give unikernels a network? Probed for real in a
// throwaway network namespace (a tap, an ingress qdisc, a u32 filter, a mirred
// redirect), because kernel config files are often absent and modules may be built in.

import { TC_H_INGRESS_HANDLE } from "../../../ffi/netlink/constants.ts";
import { addU32MatchAll } from "../../../ffi/netlink/messages.ts";
import { NetlinkSocket } from "../../../ffi/netlink/socket.ts";
import { SocketRtnl } from "../../../ffi/netlink/rtnl.ts";
import { withScratchNetns } from "../../../ffi/netns.ts";
import { realTun } from "../../../ffi/tun.ts";
import { ERRNO } from "../../../ffi/errno.ts";

export interface SupportItem {
  name: string;
  ok: boolean;
  detail: string;
}

const TUN_PATH = "/dev/net/tun";
const PROBE_TAP = "urunc_probe0";

function tunDevice(): SupportItem {
  const name = TUN_PATH;
  try {
    const st = Deno.statSync(TUN_PATH);
    if (!st.isCharDevice) {
      return { name, ok: false, detail: "exists but is not a character device" };
    }
    return {
      name,
      ok: true,
      detail: `character device ${st.rdev === null ? "" : `${st.rdev >> 8}:${st.rdev & 0xff}`}`
        .trim(),
    };
  } catch (e) {
    return {
      name,
      ok: false,
      detail: e instanceof Deno.errors.NotFound ? "missing (load the tun module)" : String(e),
    };
  }
}

const FEATURES = ["tun", "sch_ingress", "cls_u32", "act_mirred"] as const;

function probeFeatures(): SupportItem[] {
  const results = new Map<string, SupportItem>();
  const set = (name: string, ok: boolean, detail: string) =>
    results.set(name, { name, ok, detail });
  try {
    withScratchNetns(() => {
      const sock = NetlinkSocket.open();
      const rtnl = new SocketRtnl(sock);
      const tap = (() => {
        try {
          return realTun(TUN_PATH).createTap({ name: PROBE_TAP, vnetHdr: true });
        } catch (e) {
          set("tun", false, (e as Error).message);
          return null;
        }
      })();
      try {
        if (tap === null) return;
        set("tun", true, "created a tap with vnet_hdr");
        const dev = rtnl.link(PROBE_TAP)!;
        const lo = rtnl.link("lo")!;
        const attempt = (name: string, fn: () => void, okDetail: string): boolean => {
          try {
            fn();
            set(name, true, okDetail);
            return true;
          } catch (e) {
            set(name, false, (e as Error).message);
            return false;
          }
        };
        if (
          !attempt("sch_ingress", () => rtnl.ingressQdisc("add", dev), "added an ingress qdisc")
        ) return;
        const filter = (prio: number, to?: typeof lo) =>
          sock.request(addU32MatchAll({ dev, parent: TC_H_INGRESS_HANDLE, prio, redirectTo: to }));
        if (!attempt("cls_u32", () => filter(1), "added a u32 match-all filter")) return;
        attempt("act_mirred", () => filter(2, lo), "added a mirred egress redirect");
      } finally {
        tap?.close();
        sock.close();
      }
    });
  } catch (e) {
    const why = (e as { errno?: number }).errno === ERRNO.EPERM
      ? "cannot probe: creating a network namespace needs root (CAP_SYS_ADMIN)"
      : `cannot probe: ${(e as Error).message}`;
    for (const f of FEATURES) if (!results.has(f)) set(f, false, why);
  }
  return FEATURES.map((f) =>
    results.get(f) ?? { name: f, ok: false, detail: "not probed: an earlier step failed" }
  );
}

/** One line per requirement for networking: /dev/net/tun and the kernel features setup uses. */
export function checkNetworkSupport(): SupportItem[] {
  return [tunDevice(), ...probeFeatures()];
}
