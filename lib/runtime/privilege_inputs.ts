// The monitor's privileges for a container: the spec's process section plus
// the host facts and host config they depend on. create calls it to refuse a
// bad spec early; the init child calls it again to apply the result.

import type { OciSpec } from "../oci/spec.ts";
import { hostArch } from "../host/probe.ts";
import { readCapLastCap } from "../host/privileges.ts";
import { type PrivilegePlan, privilegePlan } from "../plan/privileges.ts";
import type { HostConfig, MonitorKind } from "../plan/types.ts";

export function monitorPrivileges(
  spec: OciSpec,
  kind: MonitorKind,
  host: HostConfig | null,
): PrivilegePlan {
  const allow = host?.monitors[kind].seccompAllow;
  return privilegePlan(spec, {
    arch: hostArch(),
    capLast: readCapLastCap(),
    seccompOverride: allow === undefined ? null : {
      allow,
      where: `[monitors.${kind}] seccomp_allow in ${host?.file ?? "the host config"}`,
    },
  });
}
