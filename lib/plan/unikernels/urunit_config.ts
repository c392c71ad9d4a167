// The configuration urunit (the Linux guests' init) reads from $URUNIT_CONFIG since
// upstream urunc 0.7: sections of lines between markers, in this order:
//   UES / UEE  the environment, one KEY=VALUE per line
//   UCS / UCE  UID:<n>, GID:<n>, WD:<dir>
//   UBS / UBE  block volumes: ID:<virtio serial> then MP:<mount point> (firecracker
//              disks have no serial: "FC"+id, and urunit takes them in order)
// urunit stops at the end of the block section, so what follows is ours:
//   UFS / UFE  shared directories: ID:<tag>, MP:<mount point>, FS:9p|virtiofs, RO:0|1
// written only when there are shared volumes, so the other bytes stay upstream's.

import type { MonitorKind, VolumePlan } from "../types.ts";

export interface UrunitInput {
  env: string[];
  uid: number;
  gid: number;
  cwd: string;
  volumes: VolumePlan[];
  monitor: MonitorKind;
}

/** Where urunit finds its config in the initrd it was booted with. */
export const URUNIT_CONF_IN_INITRD = "/urunit.conf";
/** Where the kernel exposes an initrd kept with retain_initrd. */
export const URUNIT_CONF_RETAINED = "/sys/firmware/initrd";

export function urunitConfig(i: UrunitInput): string {
  const lines = ["UES", ...i.env, "UEE", "UCS", `UID:${i.uid}`, `GID:${i.gid}`, `WD:${i.cwd}`];
  lines.push("UCE", "UBS");
  for (const v of i.volumes) {
    if (v.kind !== "disk") continue;
    lines.push(`ID:${i.monitor === "firecracker" ? "FC" : ""}${v.id}`, `MP:${v.destination}`);
  }
  lines.push("UBE");
  const shares = i.volumes.filter((v) => v.kind === "share");
  if (shares.length > 0) {
    lines.push("UFS");
    for (const v of shares) {
      lines.push(`ID:${v.id}`, `MP:${v.destination}`, `FS:${v.fs}`, `RO:${v.readonly ? 1 : 0}`);
    }
    lines.push("UFE");
  }
  return lines.join("\n") + "\n";
}

/** Upstream's test: an init whose path mentions urunit reads the config file. */
export function usesUrunit(app: string): boolean {
  return app.includes("urunit");
}
