// Directories the monitor shares with the guest (9p/virtiofs): bound on the
// jail's private /tmp, so their mount points vanish with it (nothing to ledger)
// and the guest never sees the jail's own /dev, /tmp or host libraries: the
// rootfs share is a non-recursive bind of the rootfs, without the jail's mounts.

import { MS } from "../../ffi/constants.ts";
import type { Syscalls } from "../../ffi/syscalls.ts";
import { UruncError } from "../errors.ts";
import type { JailShare } from "../plan/types.ts";
import { secureJoin } from "./secure_join.ts";

export function bindShares(
  sys: Syscalls,
  root: string,
  tmp: string,
  shares: readonly JailShare[],
  mkdirAll: (path: string) => void,
): void {
  for (const s of shares) {
    const target = secureJoin(root, s.target);
    if (!target.startsWith(tmp + "/")) {
      throw new UruncError(`shared directory ${s.target} must live under the jail's /tmp`);
    }
    mkdirAll(target);
    const source = s.source ?? root;
    // A volume's own sub-mounts come along (rbind, as a container would see them).
    sys.mount(source, target, null, s.source === null ? MS.BIND : MS.BIND | MS.REC, null);
    if (s.readonly) {
      sys.mount(null, target, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV, null);
    } else {
      sys.mount(null, target, null, MS.BIND | MS.REMOUNT | MS.NOSUID | MS.NODEV, null);
    }
  }
}
