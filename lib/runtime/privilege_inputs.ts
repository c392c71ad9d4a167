// The monitor's privileges for a container, decided once by create: the spec's
// process section plus the host facts and host config they depend on. The init
// child gets them from the state and only applies them.

import type { OciSpec } from "../oci/spec.ts";
import { readCapLastCap } from "../host/privileges.ts";
import { type PrivilegePlan, privilegePlan } from "../plan/privileges.ts";
import type { PlanInput } from "../plan/types.ts";

export function monitorPrivileges(spec: OciSpec, inputs: PlanInput): PrivilegePlan {
  const kind = inputs.config.hypervisor;
  const allow = inputs.host.monitors[kind].seccompAllow;
  return privilegePlan(spec, {
    arch: inputs.facts.arch,
    capLast: readCapLastCap(),
    seccompOverride: allow === undefined ? null : {
      allow,
      where: `[monitors.${kind}] seccomp_allow in ${inputs.host.file ?? "the host config"}`,
    },
  });
}
