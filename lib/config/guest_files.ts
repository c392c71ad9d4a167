// The files the monitor reads from the image (kernel, initrd, block image) must
// be there when create says yes: otherwise Docker shows qemu's "could not open
// kernel file" and CRI an exit status with no message. They must be regular
// files: a device node in an image would hand a host disk to the guest.

import { UruncError } from "../errors.ts";
import { secureJoin } from "../host/secure_join.ts";
import type { UnikernelConfig } from "../plan/types.ts";
import { ANNOTATION_PREFIX } from "./unikernel_config.ts";

const GUEST_FILE_KEYS = ["binary", "initrd", "block"] as const;

export interface Reader {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

/** Whether `reader` may read a file of this mode and owner (root reads anything, as with CAP_DAC_OVERRIDE). */
export function mayRead(
  info: Pick<Deno.FileInfo, "mode" | "uid" | "gid">,
  reader: Reader,
): boolean {
  const mode = info.mode ?? 0;
  if (reader.uid === 0) return true;
  if (info.uid === reader.uid) return (mode & 0o400) !== 0;
  if (info.gid === reader.gid || (reader.additionalGids ?? []).includes(info.gid ?? -1)) {
    return (mode & 0o040) !== 0;
  }
  return (mode & 0o004) !== 0;
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isBlockDevice) return "a block device";
  if (info.isCharDevice) return "a character device";
  if (info.isFifo) return "a FIFO";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/**
 * Every guest file the config names is a regular file inside the rootfs that the
 * monitor's user can read. The error names the annotation (or urunc.json key)
 * the path came from.
 */
export function checkGuestFiles(
  config: UnikernelConfig,
  rootfs: string,
  annotations: Record<string, string>,
  reader: Reader,
): void {
  for (const key of GUEST_FILE_KEYS) {
    const path = config[key];
    if (path === "") continue;
    const name = ANNOTATION_PREFIX + key;
    const where = (annotations[name] ?? "") !== ""
      ? `annotation "${name}"`
      : `key "${name}" in ${rootfs}/urunc.json`;
    const fail = (what: string) => {
      throw new UruncError(`invalid ${where}: ${path} ${what} in the rootfs ${rootfs}`);
    };
    let info: Deno.FileInfo;
    try {
      // Symlinks resolve inside the rootfs, as the monitor will see them in its jail.
      info = Deno.statSync(secureJoin(rootfs, path));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        return fail("does not exist");
      }
      return fail(`cannot be read (${(err as Error).message})`);
    }
    if (!info.isFile) return fail(`is ${kindOf(info)}, expected a regular file`);
    if (!mayRead(info, reader)) {
      return fail(
        `is not readable by uid ${reader.uid} (mode ${
          ((info.mode ?? 0) & 0o7777).toString(8).padStart(4, "0")
        }, owner ${info.uid}:${info.gid})`,
      );
    }
  }
}
