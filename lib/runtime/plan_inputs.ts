// Gather the plan's inputs (host config, host facts, spec) and build it. The
// same path serves create's preflight, the init child and `urunc plan`.

import { loadHostConfig } from "../config/host_config.ts";
import { probeHostFacts } from "../host/probe.ts";
import { buildPlan } from "../plan/build.ts";
import { toPlanSpec } from "../plan/spec_input.ts";
import type { HostConfig, LaunchPlan, NetworkInfo, UnikernelConfig } from "../plan/types.ts";
import type { OciSpec } from "../oci/spec.ts";

export const DEFAULT_HOST_CONFIG = "/etc/urunc/config.toml";

export function hostConfig(configPath: string | null): Promise<HostConfig> | HostConfig {
  return loadHostConfig(configPath ?? DEFAULT_HOST_CONFIG, configPath !== null);
}

export async function launchPlan(
  spec: OciSpec,
  config: UnikernelConfig,
  id: string,
  rootfs: string,
  configPath: string | null,
  network: NetworkInfo | null,
): Promise<LaunchPlan> {
  const host = await hostConfig(configPath);
  const facts = probeHostFacts(host, { rootfs });
  facts.network = network;
  return buildPlan({ containerId: id, spec: toPlanSpec(spec), config, host, facts });
}

/** Build the plan without network, only to fail early on what the plan can tell. */
export async function preflightPlan(
  spec: OciSpec,
  config: UnikernelConfig,
  id: string,
  rootfs: string,
  configPath: string | null,
): Promise<LaunchPlan> {
  return await launchPlan(spec, config, id, rootfs, configPath, null);
}
