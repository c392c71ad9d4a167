// Where urunit's config travels (as upstream): appended to the initrd as
// /urunit.conf when there is one, else as the initrd itself, which the kernel
// keeps at /sys/firmware/initrd (retain_initrd). The extended initrd is built
// on the jail's private /tmp: the image's own file is never modified.

import { cpioSingleFile } from "./cpio.ts";
import type { PlanFile } from "./types.ts";
import type { GuestCmdline } from "./unikernels/unikernel.ts";
import { URUNIT_CONF_IN_INITRD } from "./unikernels/urunit_config.ts";

export const URUNIT_INITRD_JAIL_PATH = "/tmp/urunc/initrd";
export const URUNIT_CONF_JAIL_PATH = "/tmp/urunc/urunit.conf";

export function urunitFiles(
  config: GuestCmdline["urunitConfig"],
  initrd: string | null,
): { initrd: string | null; files: PlanFile[] } {
  if (config === undefined) return { initrd, files: [] };
  if (config.inInitrd && initrd !== null) {
    return {
      initrd: URUNIT_INITRD_JAIL_PATH,
      files: [{
        path: URUNIT_INITRD_JAIL_PATH,
        content: cpioSingleFile(URUNIT_CONF_IN_INITRD.slice(1), config.content),
        mode: 0o644,
        prefixFrom: initrd,
      }],
    };
  }
  return {
    initrd: URUNIT_CONF_JAIL_PATH,
    files: [{ path: URUNIT_CONF_JAIL_PATH, content: config.content, mode: 0o644 }],
  };
}
