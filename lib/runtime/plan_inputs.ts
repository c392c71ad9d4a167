// Gather the plan's inputs (host config, host facts, spec) so the pure plan can
// be built: by create's preflight, and by the init child, which gathers them
// before `start` and only adds the network afterwards.

import { loadHostConfig } from "../config/host_config.ts";
import { probeHostFacts } from "../host/probe.ts";
import { buildPlan } from "../plan/build.ts";
import { toPlanSpec } from "../plan/spec_input.ts";
import type { LaunchPlan, NetworkInfo, PlanInput, UnikernelConfig } from "../plan/types.ts";
import type { OciSpec } from "../oci/spec.ts";

export const DEFAULT_HOST_CONFIG = "/etc/urunc/config.toml";

/** Everything but the network, which only exists once the init child set it up. */
export async function gatherPlanInputs(
  spec: OciSpec,
  config: UnikernelConfig,
  id: string,
  rootfs: string,
  configPath: string | null,
): Promise<PlanInput> {
  const host = await loadHostConfig(configPath ?? DEFAULT_HOST_CONFIG, configPath !== null);
  const facts = probeHostFacts(host, { rootfs });
  return { containerId: id, spec: toPlanSpec(spec), config, host, facts };
}

export function planWithNetwork(inputs: PlanInput, network: NetworkInfo | null): LaunchPlan {
  return buildPlan({ ...inputs, facts: { ...inputs.facts, network } });
}

/** Build the plan without network, only to fail early on what the plan can tell. */
export async function preflightPlan(
  spec: OciSpec,
  config: UnikernelConfig,
  id: string,
  rootfs: string,
  configPath: string | null,
): Promise<LaunchPlan> {
  return planWithNetwork(await gatherPlanInputs(spec, config, id, rootfs, configPath), null);
}
