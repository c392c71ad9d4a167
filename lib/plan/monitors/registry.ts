// One line per monitor.
import type { MonitorKind } from "../types.ts";
import type { MonitorModule } from "./monitor.ts";
import { qemu } from "./qemu.ts";
import { firecracker } from "./firecracker.ts";
import { hvt } from "./hvt.ts";
import { spt } from "./spt.ts";

export const MONITORS: Record<MonitorKind, MonitorModule> = { qemu, firecracker, hvt, spt };
