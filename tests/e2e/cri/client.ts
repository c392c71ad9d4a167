// A small CRI v1 client for the e2e tests: the calls a kubelet makes to run one pod, over
// containerd's gRPC socket. crictl is not installable from the registries reachable here, so
// the tests speak the API themselves (runtime_v1.proto beside this file, the subset used).
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const PROTO = new URL("./runtime_v1.proto", import.meta.url).pathname;

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  hostname?: string;
  logDirectory?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: { cgroupParent?: string };
}

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  envs?: { key: string; value: string }[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  logPath?: string;
}

export interface PodSandboxStatus {
  id: string;
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  network: { ip: string } | null;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface ContainerStatus {
  id: string;
  state: "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  logPath: string;
}

type Unary = (
  req: unknown,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => void;

export class CriClient {
  #client: grpc.Client;

  constructor(socket: string) {
    const definition = protoLoader.loadSync(PROTO, {
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    // deno-lint-ignore no-explicit-any
    const api = grpc.loadPackageDefinition(definition) as any;
    this.#client = new api.runtime.v1.RuntimeService(
      `unix://${socket}`,
      grpc.credentials.createInsecure(),
    );
  }

  /** One unary call; a gRPC error becomes an Error naming the method and status. */
  #call<T>(method: string, req: unknown, timeoutMs = 180_000): Promise<T> {
    const fn = (this.#client as unknown as Record<string, Unary>)[method].bind(this.#client);
    return new Promise((resolve, reject) => {
      fn(req, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) {
          reject(new Error(`CRI ${method}: ${err.details || err.message} (code ${err.code})`));
        } else resolve(res as T);
      });
    });
  }

  version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    return this.#call("Version", { version: "v1" }, 10_000);
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler: string): Promise<string> {
    const r = await this.#call<{ podSandboxId: string }>("RunPodSandbox", {
      config,
      runtimeHandler,
    });
    return r.podSandboxId;
  }

  async podSandboxStatus(
    id: string,
  ): Promise<{ status: PodSandboxStatus; info: Record<string, string> }> {
    return await this.#call("PodSandboxStatus", { podSandboxId: id, verbose: true });
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.#call("StopPodSandbox", { podSandboxId: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.#call("RemovePodSandbox", { podSandboxId: id });
  }

  async listPodSandbox(): Promise<{ id: string; state: string }[]> {
    return (await this.#call<{ items: { id: string; state: string }[] }>("ListPodSandbox", {}))
      .items;
  }

  async createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
  ): Promise<string> {
    const r = await this.#call<{ containerId: string }>("CreateContainer", {
      podSandboxId,
      config,
      sandboxConfig,
    });
    return r.containerId;
  }

  async startContainer(id: string): Promise<void> {
    await this.#call("StartContainer", { containerId: id });
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.#call("StopContainer", { containerId: id, timeout: timeoutSeconds });
  }

  async removeContainer(id: string): Promise<void> {
    await this.#call("RemoveContainer", { containerId: id });
  }

  async listContainers(): Promise<{ id: string; podSandboxId: string; state: string }[]> {
    return (await this.#call<{ containers: { id: string; podSandboxId: string; state: string }[] }>(
      "ListContainers",
      {},
    )).containers;
  }

  async containerStatus(
    id: string,
  ): Promise<{ status: ContainerStatus; info: Record<string, string> }> {
    return await this.#call("ContainerStatus", { containerId: id, verbose: true });
  }

  close(): void {
    this.#client.close();
  }
}
