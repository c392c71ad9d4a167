// Tap devices through /dev/net/tun. rtnetlink cannot create tun/tap devices
// (the driver rejects RTM_NEWLINK), so creation is TUNSETIFF on an fd; the
// device lives only as long as that fd unless TUNSETPERSIST is set. That makes
// "configure everything, then persist, then close" crash-safe: if we die first,
// the kernel removes the half-made tap with our fd.

import { check, cstr, libc } from "./libc.ts";
import { O } from "./constants.ts";

// _IOW('T', nr, int) = (1 << 30) | (4 << 16) | ('T' << 8) | nr
export const TUNSETIFF = 0x400454ca;
export const TUNSETPERSIST = 0x400454cb;
export const TUNSETOWNER = 0x400454cc;
export const TUNSETGROUP = 0x400454ce;

export const IFF_TUN = 0x0001;
export const IFF_TAP = 0x0002;
export const IFF_NO_PI = 0x1000;
export const IFF_ONE_QUEUE = 0x2000;
export const IFF_VNET_HDR = 0x4000;
/** Fail with EBUSY instead of attaching when a device of that name already exists. */
export const IFF_TUN_EXCL = 0x8000;

export const IFNAMSIZ = 16;
const IFREQ_SIZE = 40;

export interface TapOptions {
  name: string;
  /** The monitor negotiates offloads through a virtio-net header (qemu, firecracker). */
  vnetHdr: boolean;
}

/** An open /dev/net/tun fd attached to one tap; closing it removes a non-persistent tap. */
export interface TapHandle {
  readonly name: string;
  setOwner(uid: number): void;
  setGroup(gid: number): void;
  setPersist(on: boolean): void;
  close(): void;
}

export interface TunDriver {
  /** Create a new tap (never attach to an existing device). */
  createTap(opts: TapOptions): TapHandle;
}

/** struct ifreq with ifr_name and ifr_flags (the union's first short). */
export function encodeIfreq(name: string, flags: number): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(name);
  if (bytes.length === 0 || bytes.length >= IFNAMSIZ) {
    throw new RangeError(
      `invalid interface name ${JSON.stringify(name)}: 1 to ${IFNAMSIZ - 1} bytes`,
    );
  }
  const b = new Uint8Array(IFREQ_SIZE);
  b.set(bytes, 0);
  new DataView(b.buffer).setUint16(IFNAMSIZ, flags, true);
  return b;
}

export function realTun(devicePath = "/dev/net/tun"): TunDriver {
  return {
    createTap(opts) {
      const c = libc();
      const fd = check(c.open(cstr(devicePath), O.RDWR | O.CLOEXEC, 0), "open", devicePath);
      const call = (what: string, req: number, arg: bigint) =>
        check(c.ioctl_int(fd, BigInt(req), arg), "ioctl", `${what}, ${opts.name}`);
      try {
        const flags = IFF_TAP | IFF_NO_PI | IFF_ONE_QUEUE | IFF_TUN_EXCL |
          (opts.vnetHdr ? IFF_VNET_HDR : 0);
        check(
          c.ioctl(fd, BigInt(TUNSETIFF), encodeIfreq(opts.name, flags)),
          "ioctl",
          `TUNSETIFF, ${opts.name}`,
        );
      } catch (e) {
        c.close(fd);
        throw e;
      }
      let open = true;
      return {
        name: opts.name,
        setOwner: (uid) => void call("TUNSETOWNER", TUNSETOWNER, BigInt(uid)),
        setGroup: (gid) => void call("TUNSETGROUP", TUNSETGROUP, BigInt(gid)),
        setPersist: (on) => void call("TUNSETPERSIST", TUNSETPERSIST, on ? 1n : 0n),
        close() {
          if (open) c.close(fd);
          open = false;
        },
      };
    },
  };
}
