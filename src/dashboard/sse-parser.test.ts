import { describe, expect, it } from 'vitest';

// The dashboard's hand-written event-stream parser (sse-parser.js, plain browser JS, no types):
// it must give the same events however the bytes are split into chunks.

interface Parser {
  push(text: string): void;
}
type ParserClass = new (onEvent: (type: string, data: string) => void, onRetry?: (ms: number) => void) => Parser;
// A plain .js module without types: imported by a computed path so tsc leaves it alone.
const parserPath = './sse-parser.js';
const { SseParser } = (await import(parserPath)) as { SseParser: ParserClass };

function parse(chunks: readonly string[]): { events: [string, string][]; retries: number[] } {
  const events: [string, string][] = [];
  const retries: number[] = [];
  const p = new SseParser(
    (type, data) => events.push([type, data]),
    (ms) => retries.push(ms),
  );
  for (const c of chunks) p.push(c);
  return { events, retries };
}

const STREAM =
  'retry: 2000\nevent: hello\ndata: {"subscribed":"a/b"}\n\n: ping\n\n' +
  'event: actual\r\ndata: {"t":1,\r\ndata:"v":2}\r\n\r\n' +
  'data: no type\rid: 7\r\r' +
  'event: empty\n\n' +
  'event:forecast\ndata:  two spaces\nunknown: x\n\n' +
  'event: cut\ndata: never ended';

const EXPECTED: [string, string][] = [
  ['hello', '{"subscribed":"a/b"}'],
  ['actual', '{"t":1,\n"v":2}'],
  ['message', 'no type'],
  ['forecast', ' two spaces'],
];

describe('dashboard SSE parser', () => {
  it('reads event, data (joined by newlines), retry and comments, with \\n, \\r\\n and \\r line ends', () => {
    expect(parse([STREAM])).toEqual({ events: EXPECTED, retries: [2000] });
  });

  it('gives the same events for every split into two chunks and for one character at a time', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parse([STREAM.slice(0, i), STREAM.slice(i)]).events, `split at ${i}`).toEqual(EXPECTED);
    }
    expect(parse([...STREAM]).events).toEqual(EXPECTED);
  });

  it('refuses a line that never ends instead of growing without bound', () => {
    const p = new SseParser(() => undefined);
    const mb = 'x'.repeat(1024 * 1024);
    expect(() => {
      for (let i = 0; i < 20; i++) p.push(mb);
    }).toThrow(/over/);
  });
});
