// Gather the plan's inputs (host config, host facts, spec) so the pure plan can
// be built: by create's preflight, and by the init child, which gathers them
// before `start` and only adds the network afterwards.

import { loadHostConfig } from "../config/host_config.ts";
import { probeHostFacts } from "../host/probe.ts";
import { buildPlan } from "../plan/build.ts";
import { toPlanSpec } from "../plan/spec_input.ts";
import type {
  HostFacts,
  LaunchPlan,
  NetworkInfo,
  PlanInput,
  UnikernelConfig,
} from "../plan/types.ts";
import type { OciSpec } from "../oci/spec.ts";
import { UruncError } from "../errors.ts";
import { StaticNetworkUnsupportedError } from "../host/network/errors.ts";
import { networkRequest } from "../plan/network.ts";

/** Everything but the network, which only exists once the init child set it up. */
export async function gatherPlanInputs(
  spec: OciSpec,
  config: UnikernelConfig,
  id: string,
  rootfs: string,
  configPath: string | null,
  /** Facts of another host (`urunc plan --facts`); probed here when absent. */
  given?: HostFacts,
): Promise<PlanInput> {
  const host = await loadHostConfig(configPath, configPath !== null);
  const facts = given ?? probeHostFacts(host, { rootfs });
  return { containerId: id, spec: toPlanSpec(spec), config, host, facts };
}

export function planWithNetwork(inputs: PlanInput, network: NetworkInfo | null): LaunchPlan {
  return buildPlan({ ...inputs, facts: { ...inputs.facts, network } });
}

/** What a plan allows but this runtime cannot do yet: refused by create, not only at start. */
export function refuseUnimplemented(inputs: PlanInput, plan: LaunchPlan): void {
  if (networkRequest(inputs.spec).mode === "static") throw new StaticNetworkUnsupportedError();
  if (plan.storage.devmapper) {
    // Handing the snapshot device to the guest needs it unmounted on the host
    // first, or host and guest write one filesystem at once.
    throw new UruncError(
      `container ${inputs.containerId}: devmapper rootfs pass-through (useDMBlock) is not supported yet; use an initrd or the block annotation`,
    );
  }
}

/** Build the plan without network, only to fail early on what the plan can tell. */
export async function preflightPlan(
  spec: OciSpec,
  config: UnikernelConfig,
  id: string,
  rootfs: string,
  configPath: string | null,
): Promise<LaunchPlan> {
  const inputs = await gatherPlanInputs(spec, config, id, rootfs, configPath);
  const plan = planWithNetwork(inputs, null);
  refuseUnimplemented(inputs, plan);
  return plan;
}
