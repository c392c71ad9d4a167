// linux.resources (runtime-spec config-linux.md), validated: from config.json at
// create and from `update --resources` JSON. Unknown fields are kept (looseObject)
// and refused later by the cgroup plan when they would need a limit urunc cannot set.

import { z } from "zod";
import { UruncError } from "../errors.ts";

const int64 = z.number().int();
const uint64 = z.number().int().min(0);

const device = z.looseObject({
  allow: z.boolean(),
  type: z.enum(["a", "b", "c"]).optional(),
  major: int64.nullable().optional(),
  minor: int64.nullable().optional(),
  access: z.string().regex(/^[rwm]*$/, "expected letters of rwm").optional(),
});
export type DeviceRule = z.infer<typeof device>;

export const resourcesSchema = z.looseObject({
  devices: z.array(device).nullable().optional(),
  memory: z.looseObject({
    limit: int64.nullable().optional(),
    reservation: int64.nullable().optional(),
    swap: int64.nullable().optional(),
    kernel: int64.nullable().optional(),
    kernelTCP: int64.nullable().optional(),
    swappiness: uint64.nullable().optional(),
    disableOOMKiller: z.boolean().nullable().optional(),
    useHierarchy: z.boolean().nullable().optional(),
  }).nullable().optional(),
  cpu: z.looseObject({
    shares: uint64.nullable().optional(),
    quota: int64.nullable().optional(),
    burst: uint64.nullable().optional(),
    period: uint64.nullable().optional(),
    realtimeRuntime: int64.nullable().optional(),
    realtimePeriod: uint64.nullable().optional(),
    cpus: z.string().nullable().optional(),
    mems: z.string().nullable().optional(),
    idle: int64.nullable().optional(),
  }).nullable().optional(),
  pids: z.looseObject({ limit: int64 }).nullable().optional(),
  hugepageLimits: z.array(z.looseObject({
    pageSize: z.string().regex(/^[0-9]+[KMG]B$/, "expected a size like 2MB"),
    limit: uint64,
  })).nullable().optional(),
  unified: z.record(z.string(), z.string()).nullable().optional(),
  blockIO: z.unknown().optional(),
  network: z.unknown().optional(),
  rdma: z.unknown().optional(),
});
export type LinuxResources = z.infer<typeof resourcesSchema>;

/** Validate resources from `what` (a file or "stdin"); errors name the field. */
export function parseResources(raw: unknown, what: string, prefix = ""): LinuxResources {
  const r = resourcesSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = prefix + (issue.path.length ? issue.path.join(".") : "(top level)");
  throw new UruncError(`invalid ${what}: field "${field}": ${issue.message}`);
}
