import assert from "node:assert/strict";
import { SyscallError } from "../../../ffi/libc.ts";
import { POLLHUP } from "../../../ffi/syscalls.ts";
import { ExecveCalled, failing, RecordingSyscalls } from "../../fakes/recording_syscalls.ts";

Deno.test("RecordingSyscalls records every call with its arguments, in order", () => {
  const sys = new RecordingSyscalls();
  const fd = sys.open("/proc/1/ns/net", 0);
  sys.setns(fd, 0x40000000, "/proc/1/ns/net");
  const buf = new Uint8Array([1, 2, 3]);
  assert.equal(sys.write(fd, buf), 3);
  buf[0] = 9;
  sys.setCredentials(1000, 1000, [4, 5]);
  sys.close(fd);
  assert.deepEqual(sys.names(), ["open", "setns", "write", "setCredentials", "close"]);
  assert.deepEqual(sys.calls, [
    { call: "open", args: ["/proc/1/ns/net", 0, undefined] },
    { call: "setns", args: [100, 0x40000000, "/proc/1/ns/net"] },
    { call: "write", args: [100, new Uint8Array([1, 2, 3])] },
    { call: "setCredentials", args: [1000, 1000, [4, 5]] },
    { call: "close", args: [100] },
  ]);
});

Deno.test("RecordingSyscalls hands out distinct fds and sensible defaults", () => {
  const sys = new RecordingSyscalls();
  assert.deepEqual([sys.open("/a", 0), sys.open("/b", 0)], [100, 101]);
  assert.equal(sys.read(100, 64).length, 0);
  assert.equal(sys.poll(100, 1, 10), 1);
  assert.equal(sys.setsid(), 4242);
  assert.equal(sys.pidfdOpen(4242), 4542);
  assert.equal(sys.pidfdSignal(4542, 15), true);
});

Deno.test("RecordingSyscalls returns configured values", () => {
  const sys = new RecordingSyscalls({
    open: (path) => (path === "/fifo" ? 7 : 8),
    read: (_fd, max) => new Uint8Array(Math.min(max, 2)).fill(65),
    poll: () => POLLHUP,
    setsid: () => 99,
    kill: (pid) => pid !== 1234,
  });
  assert.equal(sys.open("/fifo", 0), 7);
  assert.equal(sys.open("/other", 0), 8);
  assert.deepEqual(sys.read(7, 10), new Uint8Array([65, 65]));
  assert.equal(sys.poll(7, 1, -1), POLLHUP);
  assert.equal(sys.setsid(), 99);
  assert.equal(sys.pidfdOpen(1234), null, "no such process");
  assert.equal(sys.pidfdSignal(301, 15), true);
});

Deno.test("RecordingSyscalls fails chosen calls after recording them", () => {
  const sys = new RecordingSyscalls({
    failOn: failing("mount", 1, (args) => args[1] === "/rootfs/proc"),
  });
  sys.mount("proc", "/rootfs/dev", "devtmpfs", 0, null);
  assert.throws(
    () => sys.mount("proc", "/rootfs/proc", "proc", 0, null),
    (err: unknown) => err instanceof SyscallError && err.call === "mount" && err.errno === 1,
  );
  assert.deepEqual(sys.names(), ["mount", "mount"]);
});

Deno.test("RecordingSyscalls execve records the call and throws ExecveCalled", () => {
  const sys = new RecordingSyscalls();
  sys.closeFromOnExec(3);
  try {
    sys.execve("/usr/bin/qemu-system-x86_64", ["qemu", "-m", "256"], ["PATH=/usr/bin"]);
    assert.fail("execve returned");
  } catch (err) {
    assert.ok(err instanceof ExecveCalled);
    assert.equal(err.path, "/usr/bin/qemu-system-x86_64");
    assert.deepEqual(err.argv, ["qemu", "-m", "256"]);
    assert.deepEqual(err.env, ["PATH=/usr/bin"]);
  }
  assert.deepEqual(sys.calls.at(-1), {
    call: "execve",
    args: ["/usr/bin/qemu-system-x86_64", ["qemu", "-m", "256"], ["PATH=/usr/bin"]],
  });
});
