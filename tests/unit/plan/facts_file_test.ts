import assert from "node:assert/strict";
import { parseFacts } from "../../../lib/plan/facts_file.ts";

Deno.test("parseFacts reads the fixture shape; network and rootfsMount optional", () => {
  const f = parseFacts(
    JSON.stringify({
      arch: "amd64",
      kvm: true,
      monitorPaths: { qemu: "/usr/bin/qemu-system-x86_64" },
    }),
    "f.json",
  );
  assert.deepEqual(f, {
    arch: "amd64",
    kvm: true,
    monitorPaths: { qemu: "/usr/bin/qemu-system-x86_64" },
    network: null,
    rootfsMount: null,
  });
  const g = parseFacts(
    JSON.stringify({
      arch: "arm64",
      kvm: false,
      monitorPaths: {},
      network: {
        ip: "10.4.0.2",
        mask: "255.255.255.0",
        gateway: "10.4.0.1",
        tap: "tap0_urunc",
        mac: "aa:bb:cc:dd:ee:01",
      },
      rootfsMount: { mountpoint: "/r", device: "/dev/mapper/x", fstype: "ext4" },
    }),
    "g.json",
  );
  assert.equal(g.network?.tap, "tap0_urunc");
  assert.equal(g.rootfsMount?.isBlockDevice, undefined);
});

Deno.test("parseFacts errors name the file and field", () => {
  const cases: [string, RegExp][] = [
    ["{", /^invalid facts file f\.json: not JSON/],
    ['{"arch":"x86_64","kvm":true,"monitorPaths":{}}', /^invalid facts file f\.json: field "arch"/],
    ['{"arch":"amd64","kvm":"yes","monitorPaths":{}}', /field "kvm"/],
    [
      '{"arch":"amd64","kvm":true,"monitorPaths":{"qemu":"qemu"}}',
      /field "monitorPaths\.qemu": must be an absolute path/,
    ],
    ['{"arch":"amd64","kvm":true,"monitorPaths":{"hedge":"/x"}}', /field "monitorPaths"/],
    ['{"arch":"amd64","kvm":true,"monitorPaths":{},"extra":1}', /field "\(top level\)"/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseFacts(text, "f.json"),
      (e: Error) => e.name === "UruncError" && re.test(e.message),
      text,
    );
  }
});
