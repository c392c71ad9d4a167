// Kubernetes' path, without a kubelet: the CRI v1 calls a kubelet makes for one pod with
// `runtimeClassName: urunc`, against containerd's CRI plugin configured with the README's
// runtime snippet, CNI bridge networking (Debian's plugins) and a locally built sandbox image.
// containerd runs in a network namespace of its own that plays the node, so CNI's bridge and
// the pod's veth never touch the machine's real one.
import assert from "node:assert/strict";
import { Containerd } from "./containerd.ts";
import { CriClient, type PodSandboxConfig } from "./cri/client.ts";
import { artifacts, e2eTest, NetNs, PAUSE_IMAGE_REF, TEST_IMAGE_REF, waitFor } from "./helpers.ts";
import { listDir, netnsHolders, netnsInode } from "./host_view.ts";
import { criRuntimeToml, HANDLER } from "./orchestrator_config.ts";

const MARKER = "URUNC-TEST-GUEST: booted";
const CNI_BIN_DIR = "/usr/lib/cni";
const POD_SUBNET = "10.214.0.0/24";
const POD_GATEWAY = "10.214.0.1";

/** The CRI plugin's configuration: the README's urunc runtime, runc as default, CNI. */
function criConfig(dir: string): string {
  const cri = `plugins."io.containerd.grpc.v1.cri"`;
  return `
[${cri}]
  sandbox_image = "${PAUSE_IMAGE_REF}"
  # The sandbox gets oom_score_adj -998; where the host refuses lowering it (a container
  # host, like this one), containerd must clamp it to its own.
  restrict_oom_score_adj = true
[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[${cri}.containerd.runtimes.runc.options]
  Root = "${dir}/runtime-root"
${criRuntimeToml(artifacts.urunc, { Root: `${dir}/runtime-root` })}
[${cri}.cni]
  bin_dir = "${CNI_BIN_DIR}"
  conf_dir = "${dir}/cni"
  max_conf_num = 1
`.replace(/^\n/, "");
}

/** The CNI network: a bridge on the node with host-local IPAM keeping its state in dir. */
function writeCniConfig(dir: string, bridge: string): void {
  Deno.mkdirSync(`${dir}/cni`);
  Deno.writeTextFileSync(
    `${dir}/cni/10-urunc-e2e.conflist`,
    JSON.stringify({
      cniVersion: "0.4.0",
      name: "urunc-e2e",
      plugins: [{
        type: "bridge",
        bridge,
        isGateway: true,
        ipMasq: false,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: POD_SUBNET, gateway: POD_GATEWAY }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: `${dir}/cni-ipam`,
        },
      }],
    }),
  );
}

/** Addresses host-local still holds (one file per address) in its data dir. */
function allocatedIps(dir: string): string[] {
  return listDir(`${dir}/cni-ipam/urunc-e2e`).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
}

/** Cgroup directories under the pod's parent, in every v1 hierarchy (and the v2 root). */
function cgroupsUnder(parent: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of listDir(dir)) {
      try {
        if (Deno.statSync(`${dir}/${e}`).isDirectory) {
          found.push(`${dir}/${e}`);
          walk(`${dir}/${e}`);
        }
      } catch { /* gone meanwhile */ }
    }
  };
  for (const h of listDir("/sys/fs/cgroup")) walk(`/sys/fs/cgroup/${h}${parent}`);
  return found;
}

function removeCgroups(parent: string): void {
  for (const dir of cgroupsUnder(parent).sort((a, b) => b.length - a.length)) {
    try {
      Deno.removeSync(dir);
    } catch { /* busy: the assertion reports it */ }
  }
  for (const h of listDir("/sys/fs/cgroup")) {
    try {
      Deno.removeSync(`/sys/fs/cgroup/${h}${parent}`);
    } catch { /* absent or busy */ }
  }
}

e2eTest(
  "CRI: a pod with handler urunc and urunc annotations: pause under runc, the unikernel on the pod IP, log, stop, removal leaves nothing",
  ["testImageTar", "pauseImageTar", "urunc", "cniBridge"],
  async (t) => {
    const node = await NetNs.create("urunc-cri");
    const bridge = `ukcni${Math.floor(Math.random() * 0xffffff).toString(16)}`;
    const suffix = `${Deno.pid}-${Math.floor(Math.random() * 1e6)}`;
    const cgroupParent = `/urunc-e2e-cri-${suffix}`;
    const logDir = Deno.makeTempDirSync({ prefix: "urunc-cri-logs-" });
    let cd: Containerd | undefined;
    let cri: CriClient | undefined;
    try {
      cd = await Containerd.start({
        namespace: "k8s.io",
        netns: node.path,
        cri: (dir) => {
          writeCniConfig(dir, bridge);
          return criConfig(dir);
        },
      });
      const containerd = cd;
      await cd.importImage(artifacts.pauseImageTar);
      await cd.importImage(artifacts.testImageTar);
      cri = new CriClient(cd.address);
      const client = cri;
      const version = await waitFor(
        "the CRI service",
        async () => {
          try {
            return await client.version();
          } catch {
            return undefined;
          }
        },
        30_000,
        250,
      );
      console.log(`CRI: ${version.runtimeName} ${version.runtimeVersion}`);

      const podConfig: PodSandboxConfig = {
        metadata: { name: "unikernel", uid: `uid-${suffix}`, namespace: "default", attempt: 0 },
        hostname: "unikernel",
        logDirectory: logDir,
        annotations: {
          // What a pod with urunc metadata in its annotations carries (pod_annotations lets
          // them through to the sandbox and to every container).
          "com.urunc.unikernel.unikernelType": "linux",
          "com.urunc.unikernel.hypervisor": "qemu",
        },
        linux: { cgroupParent },
      };

      let podId = "";
      let podNetns = "";
      await t.step(
        "RunPodSandbox (handler urunc): Ready, the pause process under runc",
        async () => {
          podId = await client.runPodSandbox(podConfig, HANDLER);
          const { status, info } = await client.podSandboxStatus(podId);
          assert.equal(status.state, "SANDBOX_READY", containerd.logTail());
          assert.equal(status.runtimeHandler, HANDLER);
          assert.equal(status.network?.ip.startsWith("10.214.0."), true, JSON.stringify(status));
          const verbose = JSON.parse(info.info);
          const pid: number = verbose.pid;
          podNetns = verbose.runtimeSpec.linux.namespaces.find((n: { type: string }) =>
            n.type === "network"
          ).path;
          // The sandbox's spec carries the urunc annotations (pod_annotations) and containerd's
          // sandbox marker: urunc must hand it to runc all the same.
          const annotations = verbose.runtimeSpec.annotations;
          assert.equal(annotations["com.urunc.unikernel.hypervisor"], "qemu");
          assert.equal(annotations["io.kubernetes.cri.container-type"], "sandbox");
          // runc start returns once it released `runc init`, which then execs /pause.
          await waitFor("runc init to exec /pause", () => {
            const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
            // Read mid-exec, the cmdline can also be empty.
            return cmdline === "runc\0init\0" || cmdline === "" ? undefined : cmdline;
          }).then((cmdline) => assert.equal(cmdline, "/pause\0"));
          // runc's own state file (urunc's has no init_process_pid): runc ran the sandbox.
          const state = JSON.parse(
            Deno.readTextFileSync(`${containerd.runtimeRoot}/k8s.io/${podId}/state.json`),
          );
          assert.equal(state.init_process_pid, pid);
        },
      );

      let ctrId = "";
      let podIp = "";
      const logPath = `${logDir}/guest/0.log`;
      await t.step(
        "CreateContainer + StartContainer: the guest runs and answers HTTP on the pod IP",
        async () => {
          ctrId = await client.createContainer(podId, {
            metadata: { name: "guest", attempt: 0 },
            image: { image: TEST_IMAGE_REF },
            command: ["/init"],
            args: ["serve"],
            logPath: "guest/0.log",
          }, podConfig);
          await client.startContainer(ctrId);
          const { status, info } = await client.containerStatus(ctrId);
          assert.equal(status.state, "CONTAINER_RUNNING", `${status.reason} ${status.message}`);
          const verbose = JSON.parse(info.info);
          assert.equal(
            verbose.runtimeSpec.annotations["com.urunc.unikernel.unikernelType"],
            "linux",
          );
          assert.equal(
            verbose.runtimeSpec.annotations["io.kubernetes.cri.container-type"],
            "container",
          );
          const monitor = Deno.readTextFileSync(`/proc/${verbose.pid}/cmdline`);
          assert.match(
            monitor,
            /^\/usr\/bin\/qemu-system-x86_64\0/,
            "the container's process is qemu",
          );
          podIp = (await client.podSandboxStatus(podId)).status.network!.ip;
          const body = await waitFor(
            "the guest's HTTP server on the pod IP",
            async () => {
              const out = await node.httpGet(podIp, 8080);
              return out?.includes("URUNC-TEST-GUEST-HTTP") ? out : undefined;
            },
            90_000,
            500,
          );
          assert.match(body, /200 OK/);
          // Seconds after RunPodSandbox: the sandbox must still be Ready (it went NotReady when
          // urunc booted the pause container under qemu).
          assert.equal((await client.podSandboxStatus(podId)).status.state, "SANDBOX_READY");
        },
      );

      await t.step(
        "a container whose kernel annotation names a missing file: StartContainer fails, naming it",
        async () => {
          const bad = await client.createContainer(podId, {
            metadata: { name: "no-kernel", attempt: 0 },
            image: { image: TEST_IMAGE_REF },
            annotations: { "com.urunc.unikernel.binary": "/no-such-kernel" },
            logPath: "no-kernel/0.log",
          }, podConfig);
          await assert.rejects(
            client.startContainer(bad),
            /invalid annotation "com\.urunc\.unikernel\.binary": \/no-such-kernel /,
          );
          await client.removeContainer(bad);
          assert.equal((await client.podSandboxStatus(podId)).status.state, "SANDBOX_READY");
        },
      );

      await t.step("the container log file holds the guest's console", () => {
        const log = Deno.readTextFileSync(logPath);
        assert.ok(log.includes(MARKER), log.slice(-1500));
        assert.ok(log.includes(`URUNC-TEST-GUEST: net eth0 ${podIp}/24 gw ${POD_GATEWAY}`));
      });

      await t.step("StopContainer (timeout 10 s): exited, exit code recorded", async () => {
        await client.stopContainer(ctrId, 10);
        const { status } = await client.containerStatus(ctrId);
        assert.equal(status.state, "CONTAINER_EXITED");
        // qemu exits 0 on SIGTERM; the SIGKILL after the timeout would record 137.
        assert.equal(status.exitCode, 0, `${status.reason} ${status.message}`);
        assert.ok(status.finishedAt > 0);
      });

      await t.step("RemoveContainer, StopPodSandbox, RemovePodSandbox: nothing left", async () => {
        const inode = netnsInode(podNetns);
        await client.removeContainer(ctrId);
        await client.stopPodSandbox(podId);
        await client.removePodSandbox(podId);
        assert.deepEqual(await client.listContainers(), []);
        assert.deepEqual(await client.listPodSandbox(), []);
        assert.deepEqual(containerd.leftovers({ running: true }), []);
        assert.deepEqual(
          netnsHolders(inode),
          [],
          "the pod's netns (and urunc's tap in it) is gone",
        );
        assert.deepEqual(allocatedIps(containerd.dir), [], "the pod IP went back to the pool");
        assert.deepEqual(cgroupsUnder(cgroupParent), []);
        assert.deepEqual(await node.linkNames(), [bridge, "lo"].sort(), "no veth left on the node");
      });
    } finally {
      cri?.close();
      await cd?.stop();
      removeCgroups(cgroupParent);
      await node.destroy();
      Deno.removeSync(logDir, { recursive: true });
    }
  },
);
