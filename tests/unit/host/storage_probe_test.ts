import assert from "node:assert/strict";
import { probeStorage, resolvConfNameservers } from "../../../lib/host/storage_probe.ts";

Deno.test("resolv.conf: IPv4 nameservers in order; comments, IPv6 and options ignored", () => {
  assert.deepEqual(
    resolvConfNameservers(
      "# generated\nnameserver 10.96.0.10\nnameserver fd00::1\nsearch svc.cluster.local\n  nameserver 8.8.8.8 \noptions ndots:5\n",
    ),
    ["10.96.0.10", "8.8.8.8"],
  );
});

Deno.test("mount sources: directory, file, missing, and DNS from the resolv.conf mount", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/resolv.conf`, "nameserver 1.2.3.4\n");
    const r = probeStorage([
      { destination: "/etc/resolv.conf", type: "bind", source: `${dir}/resolv.conf` },
      { destination: "/data", type: "bind", source: dir },
      { destination: "/gone", type: "bind", source: `${dir}/gone` },
      { destination: "/proc", type: "proc", source: "proc" },
    ], "");
    assert.deepEqual(r, {
      mountSources: {
        [`${dir}/resolv.conf`]: { kind: "file" },
        [dir]: { kind: "dir" },
        [`${dir}/gone`]: { kind: "missing" },
      },
      dns: ["1.2.3.4"],
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
