// A minimal protobuf writer: just what encoding an ONNX ModelProto needs (varints, length-delimited
// fields, packed floats). Messages are built bottom-up as byte arrays.

export type Bytes = Uint8Array;

function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

export class Message {
  private readonly parts: number[][] = [];
  private readonly blobs: Array<{ at: number; bytes: Bytes }> = [];

  int(field: number, v: number | bigint): this {
    this.parts.push([...varint((field << 3) | 0), ...varint(v)]);
    return this;
  }

  bytes(field: number, b: Bytes): this {
    this.parts.push([...varint((field << 3) | 2), ...varint(b.length)]);
    this.blobs.push({ at: this.parts.length, bytes: b });
    this.parts.push([]);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: Message): this {
    return this.bytes(field, m.encode());
  }

  encode(): Bytes {
    const blobAt = new Map(this.blobs.map((b) => [b.at, b.bytes]));
    let length = 0;
    this.parts.forEach((p, i) => {
      length += p.length + (blobAt.get(i)?.length ?? 0);
    });
    const out = new Uint8Array(length);
    let o = 0;
    this.parts.forEach((p, i) => {
      out.set(p, o);
      o += p.length;
      const blob = blobAt.get(i);
      if (blob) {
        out.set(blob, o);
        o += blob.length;
      }
    });
    return out;
  }
}

/** Little-endian float32 bytes (TensorProto.raw_data). */
export function floatBytes(data: Float32Array): Bytes {
  const out = new Uint8Array(data.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i], true);
  return out;
}
