// Child process for the crash test: run setup in a netns and SIGKILL ourselves
// at mutating call N, the way an init child dies mid-setup. The ledger is
// appended synchronously, one JSON object per line, as the runtime does.
//   deno run -A crash_child.ts <netns path> <ledger file> <N>

import { withNetns } from "../../../ffi/netns.ts";
import { openRtnl } from "../../../ffi/netlink/rtnl.ts";
import { realTun } from "../../../ffi/tun.ts";
import { setupNetwork } from "../../../lib/host/network/mod.ts";
import { faulty } from "./helpers.ts";

const [nsPath, ledgerFile, nText] = Deno.args;
withNetns(nsPath, () => {
  const deps = faulty(openRtnl(), realTun(), Number(nText), () => {
    Deno.kill(Deno.pid, "SIGKILL");
    throw new Error("unreachable: SIGKILL did not kill us");
  });
  setupNetwork({
    plan: { mode: "dynamic", tap: "tap0_urunc" },
    containerId: "crashy",
    uid: 1000,
    gid: 1000,
    record: (r) => Deno.writeTextFileSync(ledgerFile, JSON.stringify(r) + "\n", { append: true }),
  }, deps);
});
