// Docker 20.10 (Debian's docker.io) drives urunc as a registered runtime (daemon.json, the
// README's snippet): a private dockerd in a network namespace of its own boots the test guest
// under qemu (TCG) through containerd's runc shim, as `docker run --runtime urunc` does for a user.
import assert from "node:assert/strict";
import { BRIDGE_GATEWAY, Dockerd, HOST_NIC } from "./dockerd.ts";
import { netnsHolders, netnsInode } from "./host_view.ts";
import { artifacts, e2eTest, guestLines, must, run, waitFor } from "./helpers.ts";
import { HANDLER } from "./orchestrator_config.ts";

const MARKER = "URUNC-TEST-GUEST: booted";
const IMAGE = "urunc-test:latest";
const BUSYBOX = "busybox-test:latest";
/** The registered runtime that adds a slow prestart hook before urunc sees the bundle. */
const SLOW_HOOK_RUNTIME = "urunc-slowhook";
const HOOK_SECONDS = 5;

/**
 * qemu on TCG, plus the isa-debug-exit device: the guest's `exit N` (odd N) then ends qemu, and
 * so the container, with status N (scripts/image/guest_init.sh).
 */
const HOST_CONFIG = `[monitors.qemu]
accel = "tcg"
extra_args = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
`;

/**
 * Docker has no setting for OCI hooks, so this runtime wrapper adds one to the bundle before
 * exec'ing urunc, as hook-injecting runtimes (e.g. nvidia-container-runtime) do: a prestart
 * hook that sleeps, then leaves a mark. Docker's own libnetwork-setkey prestart hook stays.
 */
function slowHookWrapper(urunc: string, mark: string): string {
  const hook = JSON.stringify({
    path: "/bin/sh",
    args: ["sh", "-c", `sleep ${HOOK_SECONDS}; echo ran >>${mark}`],
  });
  return `#!/bin/sh
bundle=""
prev=""
command=""
for a; do
  case $prev in --bundle | -b) bundle=$a ;; esac
  case $a in create) command=create ;; esac
  prev=$a
done
if [ "$command" = create ] && [ -n "$bundle" ]; then
  sed -i 's|"prestart":\\[|"prestart":[${hook.replaceAll("|", "\\|")},|' "$bundle/config.json"
fi
exec ${urunc} "$@"
`;
}

/** The lines of Docker's stderr that are not empty. */
function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "");
}

e2eTest(
  "docker: run, detached HTTP, stop, logs, bad urunc.json, slow prestart hook, host network, runc hand-off; nothing left",
  ["testImageDockerTar", "busyboxImageDockerTar", "uruncJson", "urunc", "dockerd", "dockerClient"],
  async (t) => {
    const scratch = Deno.makeTempDirSync({ prefix: "urunc-dk-test-" });
    const hookMark = `${scratch}/hook-ran`;
    const wrapper = `${scratch}/urunc-slowhook`;
    Deno.writeTextFileSync(wrapper, slowHookWrapper(artifacts.urunc, hookMark), { mode: 0o755 });
    const dockerd = await Dockerd.start({
      runtimes: { [HANDLER]: artifacts.urunc, [SLOW_HOOK_RUNTIME]: wrapper },
      uruncConfig: HOST_CONFIG,
    }).catch((err) => {
      Deno.removeSync(scratch, { recursive: true });
      throw err;
    });
    const clean = async () =>
      assert.deepEqual(await dockerd.leftovers(), [], `dockerd log:\n${dockerd.logTail()}`);
    try {
      await dockerd.load(artifacts.testImageDockerTar);
      await dockerd.load(artifacts.busyboxImageDockerTar);

      await t.step(
        "docker run --rm --runtime urunc: the guest boots and powers off, 3 of 3",
        async () => {
          for (let i = 1; i <= 3; i++) {
            const r = await dockerd.docker(["run", "--rm", "--runtime", HANDLER, IMAGE]);
            console.log(`docker run ${i}: ${r.ms.toFixed(0)} ms`);
            assert.equal(r.code, 0, `run ${i}: ${r.stderr}\n${dockerd.logTail()}`);
            assert.ok(r.stdout.includes(MARKER), `run ${i}: ${r.stdout.slice(-1500)}`);
            assert.equal(guestLines(r.stdout).at(-1), "URUNC-TEST-GUEST: bye");
            // Docker's bridge network reached the guest as its kernel command line.
            assert.match(r.stdout, new RegExp(`ip=10\\.213\\.7\\.\\d+::${BRIDGE_GATEWAY}:`));
          }
          await clean();
        },
      );

      await t.step("with a terminal (-t): the console goes through urunc's pty", async () => {
        // docker -t wants a terminal of its own: script(1) gives it one.
        const cmd = `${artifacts.dockerClient} run --rm -t --runtime ${HANDLER} ${IMAGE}`;
        const r = await run("script", ["-qefc", cmd, "/dev/null"], {
          stdin: "",
          timeoutMs: 180_000,
          env: { DOCKER_HOST: `unix://${dockerd.socket}`, DOCKER_CONFIG: `${dockerd.dir}/client` },
        });
        assert.equal(r.code, 0, `${r.stdout.slice(-1500)}\n${dockerd.logTail()}`);
        assert.ok(r.stdout.includes(MARKER), r.stdout.slice(-1500));
        await clean();
      });

      await t.step("the container exits with the guest's status", async () => {
        const r = await dockerd.docker([
          "run",
          "--rm",
          "--runtime",
          HANDLER,
          IMAGE,
          "/init",
          "exit",
          "3",
        ]);
        assert.ok(guestLines(r.stdout).includes("URUNC-TEST-GUEST: exit 3"), r.stdout.slice(-1500));
        assert.equal(r.code, 3, r.stderr);
        await clean();
      });

      await t.step(
        "detached: HTTP on the container IP, docker logs, docker stop within its timeout",
        async () => {
          const started = await dockerd.docker([
            "run",
            "-d",
            "--name",
            "web",
            "--runtime",
            HANDLER,
            IMAGE,
            "/init",
            "serve",
          ]);
          assert.equal(started.code, 0, `${started.stderr}\n${dockerd.logTail()}`);
          const inspect = await dockerd.docker([
            "inspect",
            "-f",
            "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.SandboxKey}}",
            "web",
          ]);
          const [ip, sandboxKey] = inspect.stdout.trim().split(" ");
          assert.match(ip, /^10\.213\.7\.\d+$/, inspect.stdout + inspect.stderr);
          // urunc's tap and tc mirroring live in the container's netns (urunc made it: the spec
          // names none; Docker's setkey prestart hook plugs the veth in): they are gone when
          // that namespace is, and nothing may keep it alive after docker rm.
          const inode = netnsInode(sandboxKey);
          const body = await waitFor(
            "the guest's HTTP server",
            async () => {
              const out = await dockerd.netns.httpGet(ip, 8080);
              return out?.includes("URUNC-TEST-GUEST-HTTP") ? out : undefined;
            },
            90_000,
            500,
          );
          assert.match(body, /200 OK/);
          const links = await run("nsenter", [`--net=${sandboxKey}`, "ip", "-o", "link", "show"]);
          assert.match(links.stdout, /tap0_urunc/, "urunc's tap in the container's netns");

          const logs = await dockerd.docker(["logs", "web"]);
          assert.ok(logs.stdout.includes(MARKER), logs.stdout.slice(-1500));
          assert.ok(logs.stdout.includes("URUNC-TEST-GUEST: serving http on :8080"));

          const stop = await dockerd.docker(["stop", "--time", "10", "web"]);
          assert.equal(stop.code, 0, stop.stderr);
          // qemu exits 0 on SIGTERM; Docker's SIGKILL after the timeout would read 137.
          const format = "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}";
          const state = await dockerd.docker(["inspect", "-f", format, "web"]);
          assert.equal(state.stdout.trim(), "exited 0 false");
          assert.equal((await dockerd.docker(["rm", "web"])).code, 0);
          assert.deepEqual(netnsHolders(inode), [], "the container's netns is gone");
          await clean();
        },
      );

      /** `FROM base` + /urunc.json, with the classic builder (no BuildKit image, no RUN). */
      const imageWithUruncJson = async (tag: string, base: string, uruncJson: string) => {
        const ctx = Deno.makeTempDirSync({ dir: scratch });
        Deno.writeTextFileSync(`${ctx}/urunc.json`, uruncJson);
        Deno.writeTextFileSync(`${ctx}/Dockerfile`, `FROM ${base}\nCOPY urunc.json /urunc.json\n`);
        const build = await dockerd.docker(["build", "-q", "-t", tag, ctx], {
          env: { DOCKER_BUILDKIT: "0" },
        });
        assert.equal(build.code, 0, build.stderr);
      };

      /** docker run fails before any VM runs, with exactly one error line; returns it. */
      const failsWithOneLine = async (image: string): Promise<string> => {
        const r = await dockerd.docker(["run", "--rm", "--runtime", HANDLER, image]);
        assert.notEqual(r.code, 0);
        assert.equal(r.stdout, "", "no VM ran");
        const lines = errorLines(r.stderr);
        assert.equal(lines.length, 1, r.stderr);
        await clean();
        return lines[0];
      };

      await t.step(
        "a bad /urunc.json in the image fails docker run with one clear line",
        async () => {
          await imageWithUruncJson(
            "urunc-bad:latest",
            IMAGE,
            '{"com.urunc.unikernel.hypervisor": ',
          );
          const line = await failsWithOneLine("urunc-bad:latest");
          assert.match(line, /OCI runtime create failed: .*\/urunc\.json: not JSON/);
        },
      );

      await t.step(
        "an image without the kernel its urunc.json names fails create, naming key and path",
        async () => {
          const uruncJson = Deno.readTextFileSync(artifacts.uruncJson);
          await imageWithUruncJson("urunc-nokernel:latest", BUSYBOX, uruncJson);
          const line = await failsWithOneLine("urunc-nokernel:latest");
          assert.match(
            line,
            /OCI runtime create failed: invalid key "com\.urunc\.unikernel\.binary" in \S+\/urunc\.json: \/kernel /,
          );
        },
      );

      await t.step(
        `a ${HOOK_SECONDS} s prestart hook before start: the monitor still runs`,
        async () => {
          const r = await dockerd.docker(["run", "--rm", "--runtime", SLOW_HOOK_RUNTIME, IMAGE]);
          assert.equal(r.code, 0, `${r.stderr}\n${dockerd.logTail()}`);
          assert.ok(r.stdout.includes(MARKER), r.stdout.slice(-1500));
          assert.equal(Deno.readTextFileSync(hookMark), "ran\n", "the slow hook ran once");
          await clean();
        },
      );

      await t.step(
        "--network host: the VM runs without network and the host netns is untouched",
        async () => {
          const before = await dockerd.netns.linkNames();
          const r = await dockerd.docker(
            ["run", "-d", "--name", "hostnet", "--network", "host", "--runtime", HANDLER, IMAGE],
          );
          assert.equal(r.code, 0, `${r.stderr}\n${dockerd.logTail()}`);
          // Look while the VM runs: a tap made and removed again would not show afterwards.
          const logs = await waitFor(
            "the guest to boot",
            async () => {
              const l = await dockerd.docker(["logs", "hostnet"]);
              return l.stdout.includes("URUNC-TEST-GUEST: argv:") ? l.stdout : undefined;
            },
            90_000,
            500,
          );
          assert.doesNotMatch(logs, /ip=/, "no guest network configured");
          // Names, not flags: the bridge's carrier comes and goes with the other containers.
          assert.deepEqual(await dockerd.netns.linkNames(), before, "no tap on the host");
          const qdiscs = await run("tc", ["-n", dockerd.netns.name, "qdisc", "show"]);
          assert.doesNotMatch(qdiscs.stdout, /ingress/, "no tc mirroring on the host's NICs");
          const nic = await run("ip", [
            "-n",
            dockerd.netns.name,
            "-o",
            "addr",
            "show",
            HOST_NIC.name,
          ]);
          assert.ok(nic.stdout.includes(HOST_NIC.cidr), "the host's NIC keeps its address");
          const wait = await dockerd.docker(["wait", "hostnet"]);
          assert.equal(wait.stdout.trim(), "0", "the guest powered off by itself");
          assert.equal((await dockerd.docker(["rm", "hostnet"])).code, 0);
          await clean();
        },
      );

      await t.step(
        "an image without urunc metadata runs under the urunc runtime via runc",
        async () => {
          const r = await dockerd.docker(["run", "--rm", "--runtime", HANDLER, BUSYBOX]);
          assert.equal(r.code, 0, `${r.stderr}\n${dockerd.logTail()}`);
          assert.equal(r.stdout.trim(), "hello-from-runc");
          await clean();
        },
      );
    } finally {
      await dockerd.stop();
      Deno.removeSync(scratch, { recursive: true });
    }
    const netns = await must("ip", ["netns", "list"]);
    assert.doesNotMatch(netns.stdout, new RegExp(dockerd.netns.name));
  },
);
