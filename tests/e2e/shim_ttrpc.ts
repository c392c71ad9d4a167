// The containerd runc shim's ttrpc API, just enough to call Task.Update the way
// containerd does (ctr 1.6 has no `task update`): one request frame carrying an
// UpdateTaskRequest whose resources are an Any holding runtime-spec JSON.

/** protobuf: a varint. */
function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

/** protobuf: field `num` as length-delimited bytes. */
function bytesField(num: number, data: Uint8Array): number[] {
  return [...varint((num << 3) | 2), ...varint(data.length), ...data];
}

const enc = new TextEncoder();
const str = (num: number, s: string) => bytesField(num, enc.encode(s));

/** protobuf: read fields of a message as (number, wire type, value). */
function* fields(buf: Uint8Array): Generator<[number, number, Uint8Array | bigint]> {
  let i = 0;
  const readVarint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(readVarint());
    const wire = key & 7;
    if (wire === 0) yield [key >> 3, wire, readVarint()];
    else if (wire === 2) {
      const len = Number(readVarint());
      yield [key >> 3, wire, buf.subarray(i, i + len)];
      i += len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
}

const LINUX_RESOURCES_URL = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";

/**
 * containerd.task.v2.Task/Update on the shim at `address` ("unix:///run/containerd/s/..."),
 * as containerd sends it for a task update. Throws with the shim's status message.
 */
export async function shimUpdate(address: string, id: string, resources: unknown): Promise<void> {
  const any = [
    ...str(1, LINUX_RESOURCES_URL),
    ...bytesField(2, enc.encode(JSON.stringify(resources))),
  ];
  const payload = [...str(1, id), ...bytesField(2, new Uint8Array(any))];
  const request = new Uint8Array([
    ...str(1, "containerd.task.v2.Task"),
    ...str(2, "Update"),
    ...bytesField(3, new Uint8Array(payload)),
  ]);
  const frame = new Uint8Array(10 + request.length);
  const v = new DataView(frame.buffer);
  v.setUint32(0, request.length); // ttrpc header: length, stream id (odd: client), type 1, flags
  v.setUint32(4, 1);
  v.setUint8(8, 1);
  frame.set(request, 10);

  const conn = await Deno.connect({ transport: "unix", path: address.replace(/^unix:\/\//, "") });
  try {
    await conn.write(frame);
    const header = await readExactly(conn, 10);
    const h = new DataView(header.buffer);
    if (h.getUint8(8) !== 2) {
      throw new Error(`ttrpc: expected a response, got type ${h.getUint8(8)}`);
    }
    const body = await readExactly(conn, h.getUint32(0));
    for (const [num, , value] of fields(body)) {
      if (num !== 1 || !(value instanceof Uint8Array)) continue; // Response.status
      let code = 0n, message = "";
      for (const [n, , x] of fields(value)) {
        if (n === 1 && typeof x === "bigint") code = x;
        if (n === 2 && x instanceof Uint8Array) message = new TextDecoder().decode(x);
      }
      if (code !== 0n) throw new Error(`shim Update failed (code ${code}): ${message}`);
    }
  } finally {
    conn.close();
  }
}

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === null) throw new Error(`ttrpc: connection closed after ${got} of ${n} bytes`);
    got += r;
  }
  return out;
}
