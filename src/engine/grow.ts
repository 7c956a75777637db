// Typed-array growth by doubling: the only allocation per-slot state does, amortised.

type TypedArray = Float64Array | Float32Array | Int32Array | Uint8Array;

export function grownTo<T extends TypedArray>(a: T, length: number, fill = 0): T {
  if (a.length >= length) return a;
  const next = new (a.constructor as new (n: number) => T)(Math.max(length, a.length * 2, 16));
  next.set(a as never);
  if (fill !== 0) next.fill(fill as never, a.length);
  return next;
}
