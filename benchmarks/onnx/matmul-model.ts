import { Message } from './protobuf.js';

// An ONNX graph with one MatMul of two n×n float inputs: the native single-thread SGEMM reference.

function valueInfo(name: string, n: number): Message {
  const shape = new Message().message(1, new Message().int(1, n)).message(1, new Message().int(1, n));
  const tensorType = new Message().int(1, 1).message(2, shape);
  return new Message().string(1, name).message(2, new Message().message(1, tensorType));
}

export function matmulModel(n: number): Uint8Array {
  const node = new Message().string(1, 'a').string(1, 'b').string(2, 'c').string(4, 'MatMul');
  const graph = new Message()
    .message(1, node)
    .string(2, 'matmul')
    .message(11, valueInfo('a', n))
    .message(11, valueInfo('b', n))
    .message(12, valueInfo('c', n));
  return new Message().int(1, 8).message(7, graph).message(8, new Message().string(1, '').int(2, 14)).encode();
}
