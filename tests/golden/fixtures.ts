// Golden fixtures (../shared/fixtures/golden beside the repo) and bundles built from them.

import { join } from "node:path";
import type { HostFacts } from "../../lib/plan/types.ts";

export const GOLDEN_DIR = new URL("../../../shared/fixtures/golden/", import.meta.url);

export interface Fixture {
  name: string;
  inputs: {
    annotations: Record<string, string>;
    memoryBytes: number | null;
    vcpus: number;
    network: HostFacts["network"];
    processArgs: string[];
    env: string[];
    seccomp: boolean;
    arch: "amd64" | "arm64";
    rootfsMount: NonNullable<HostFacts["rootfsMount"]>;
    uruncJsonFile: string;
    specAnnotations: Record<string, string>;
  };
  hostFacts: { arch: "amd64" | "arm64"; kvm: boolean; monitorPaths: Record<string, string> };
  expected: {
    monitorPath: string;
    argv: string[];
    kernelCmdline: string;
    firecrackerConfig?: unknown;
  };
}

export function loadFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const e of Deno.readDirSync(GOLDEN_DIR)) {
    if (e.isFile && e.name.endsWith(".json")) {
      out.push(JSON.parse(Deno.readTextFileSync(new URL(e.name, GOLDEN_DIR))));
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export type Form = "annotations-base64" | "annotations-plain" | "urunc.json";
export const FORMS: Form[] = ["annotations-base64", "annotations-plain", "urunc.json"];

function b64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}

/** A config.json for the fixture; urunc config as annotations (encoded or plain) or none. */
export function fixtureSpec(f: Fixture, form: Form): Record<string, unknown> {
  const annotations: Record<string, string> = { ...f.inputs.specAnnotations };
  if (form !== "urunc.json") {
    for (const [k, v] of Object.entries(f.inputs.annotations)) {
      annotations[k] = form === "annotations-base64" ? b64(v) : v;
    }
  }
  const linux: Record<string, unknown> = {
    seccomp: f.inputs.seccomp ? { defaultAction: "SCMP_ACT_ERRNO", syscalls: [] } : null,
  };
  // No CPU quota: the fixtures' vcpus field is not an OCI input (expected vcpu_count is 1).
  if (f.inputs.memoryBytes !== null) linux.resources = { memory: { limit: f.inputs.memoryBytes } };
  return {
    ociVersion: "1.2.0",
    root: { path: "rootfs" },
    process: { user: { uid: 0, gid: 0 }, args: f.inputs.processArgs, env: f.inputs.env, cwd: "/" },
    annotations,
    linux,
  };
}

/** The facts file `urunc plan --facts` reads for this fixture. */
export function fixtureFacts(f: Fixture): HostFacts {
  return {
    ...f.hostFacts,
    network: f.inputs.network,
    rootfsMount: f.inputs.rootfsMount,
  } as HostFacts;
}

/** Write <dir>/config.json, <dir>/rootfs[/urunc.json] and <dir>/facts.json. */
export function writeBundle(
  dir: string,
  f: Fixture,
  form: Form,
): { bundle: string; facts: string } {
  Deno.mkdirSync(join(dir, "rootfs"), { recursive: true });
  Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(fixtureSpec(f, form)));
  if (form === "urunc.json") {
    Deno.writeTextFileSync(join(dir, "rootfs", "urunc.json"), f.inputs.uruncJsonFile);
  }
  const facts = join(dir, "facts.json");
  Deno.writeTextFileSync(facts, JSON.stringify(fixtureFacts(f)));
  return { bundle: dir, facts };
}
