import { createReadStream } from 'node:fs';

// The lines of a text file, exactly as node:readline with crlfDelay: Infinity splits them (\n, \r\n
// and a lone \r end a line; a \r\n split across two reads is one end), handed over one array per
// read instead of one promise per line: a replay reads millions of lines, and readline's per-line
// async iteration and regex were a visible share of its time.

export async function* lineChunks(path: string, highWaterMark = 1 << 16): AsyncGenerator<string[]> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark });
  let rest = '';
  // The previous read ended with \r: a \n opening this one belongs to that line end.
  let skipLf = false;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const fresh = skipLf && chunk.charCodeAt(0) === 10 ? chunk.slice(1) : chunk;
      skipLf = false;
      const text = rest + fresh;
      const lines: string[] = [];
      let from = 0;
      if (fresh.indexOf('\r') < 0) {
        // The common case: \n only, found natively.
        for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', from)) {
          lines.push(text.slice(from, i));
          from = i + 1;
        }
      } else {
        for (let i = 0; i < text.length; i++) {
          const c = text.charCodeAt(i);
          if (c !== 10 && c !== 13) continue;
          lines.push(text.slice(from, i));
          if (c === 13) {
            if (i + 1 === text.length) skipLf = true;
            else if (text.charCodeAt(i + 1) === 10) i++;
          }
          from = i + 1;
        }
      }
      rest = text.slice(from);
      if (lines.length > 0) yield lines;
    }
    if (rest !== '') yield [rest];
  } finally {
    stream.destroy();
  }
}
