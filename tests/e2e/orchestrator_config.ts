// The configuration snippets the README shows for Docker, containerd's CRI plugin and
// Kubernetes, generated here so the e2e tests run exactly what the README documents
// (tests/unit/readme_snippets_test.ts checks the README against these).

/** The runtime handler name: Docker's `--runtime`, the CRI runtime and the RuntimeClass handler. */
export const HANDLER = "urunc";

/** Where the README assumes the urunc binary is installed. */
export const DOCUMENTED_BINARY = "/usr/local/bin/urunc";

/** Annotations containerd's CRI plugin passes from pods and containers to urunc. */
export const URUNC_ANNOTATIONS = "com.urunc.unikernel.*";

/** Docker's daemon.json registering runtimes by name (`docker run --runtime NAME`). */
export function dockerDaemonJson(runtimes: Record<string, string>): string {
  const entries = Object.fromEntries(
    Object.entries(runtimes).map(([name, path]) => [name, { path }]),
  );
  return JSON.stringify({ runtimes: entries }, null, 2) + "\n";
}

/**
 * containerd 1.6 (config version 2) CRI runtime for urunc: containerd's runc shim with urunc as
 * its binary, and urunc's annotations let through from pods and containers. `options` adds shim
 * options (the tests set Root to keep runtime state in their temp dir).
 */
export function criRuntimeToml(binary: string, options: Record<string, string> = {}): string {
  const table = `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${HANDLER}`;
  const extra = Object.entries(options).map(([k, v]) => `    ${k} = ${JSON.stringify(v)}\n`);
  return `[${table}]
  runtime_type = "io.containerd.runc.v2"
  pod_annotations = ["${URUNC_ANNOTATIONS}"]
  container_annotations = ["${URUNC_ANNOTATIONS}"]
  [${table}.options]
    BinaryName = ${JSON.stringify(binary)}
${extra.join("")}`;
}

/** The Kubernetes RuntimeClass that sends a pod (`runtimeClassName: urunc`) to the handler. */
export function runtimeClassYaml(): string {
  return `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: ${HANDLER}
handler: ${HANDLER}
`;
}
