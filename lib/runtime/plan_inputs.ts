// Gather the plan's inputs (host config, host facts, spec) so the pure plan can
// be built. create gathers them once and stores them with the state; the init
// child only adds the network, so it never loads the TOML parser, zod or the probe.

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
import { StaticNetworkUnsupportedError } from "../host/network/errors.ts";
import { networkRequest } from "../plan/network.ts";
import { lazyImport } from "../lazy.ts";

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
  const { loadHostConfig } = await lazyImport<typeof import("../config/host_config.ts")>(
    import.meta.url,
    "../config/host_config.ts",
  );
  const host = await loadHostConfig(configPath, configPath !== null);
  const facts = given ??
    (await lazyImport<typeof import("../host/probe.ts")>(import.meta.url, "../host/probe.ts"))
      .probeHostFacts(host, { rootfs, mounts: spec.mounts ?? [] });
  return { containerId: id, spec: toPlanSpec(spec), config, host, facts };
}

export function planWithNetwork(inputs: PlanInput, network: NetworkInfo | null): LaunchPlan {
  return buildPlan({ ...inputs, facts: { ...inputs.facts, network } });
}

/** What a plan allows but this runtime cannot do yet: refused by create, not only at start. */
export function refuseUnimplemented(inputs: PlanInput): void {
  if (networkRequest(inputs.spec).mode === "static") throw new StaticNetworkUnsupportedError();
}

/**
 * The plan's inputs and the plan without network: create fails early on anything
 * the plan can tell, sizes the cgroup and hands storage over from this plan, and
 * stores the inputs for the init child.
 */
export async function preflightPlan(
  spec: OciSpec,
  config: UnikernelConfig,
  id: string,
  rootfs: string,
  configPath: string | null,
): Promise<{ inputs: PlanInput; plan: LaunchPlan }> {
  const inputs = await gatherPlanInputs(spec, config, id, rootfs, configPath);
  refuseUnimplemented(inputs);
  return { inputs, plan: planWithNetwork(inputs, null) };
}
