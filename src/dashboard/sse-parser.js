// Server-sent events parsed by hand (the HTML standard's event-stream rules: `event:`, `data:` and
// `retry:` fields, `:` comments, a blank line ends an event; \n, \r\n or \r end a line), for the feed
// read with fetch(): EventSource cannot send an Authorization header, and a token in the URL would
// land in proxy and server logs. Text arrives in arbitrary chunks: a line may be split anywhere.

/** A line this long without an end is not an event stream: the feed reconnects instead of growing. */
const MAX_LINE = 16 * 1024 * 1024;

export class SseParser {
  /**
   * @param {(type: string, data: string) => void} onEvent  type is 'message' when the event names none
   * @param {(ms: number) => void} [onRetry]  the server's reconnection delay
   */
  constructor(onEvent, onRetry = () => undefined) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.pending = ''; // the start of a line whose end has not arrived yet
    this.skipLF = false; // the last chunk ended with \r: a \n starting the next belongs to it
    this.type = '';
    this.data = [];
  }

  /** Feeds decoded text; complete lines are handled, a partial last line waits for the next chunk. */
  push(text) {
    if (text === '') return;
    let i = 0;
    if (this.skipLF && text.charCodeAt(0) === 10) i = 1;
    this.skipLF = false;
    let start = i;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.pending === '' ? text.slice(start, i) : this.pending + text.slice(start, i);
      this.pending = '';
      if (c === 13) {
        if (i + 1 === text.length) this.skipLF = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      this.line(line);
    }
    if (start < text.length) this.pending += text.slice(start);
    if (this.pending.length > MAX_LINE) throw new Error(`Event stream line over ${MAX_LINE} characters.`);
  }

  /** @private */
  line(line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' comment (the server's keep-alive ping)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) this.onRetry(Number(value));
    // 'id' and unknown fields: ignored (the feed does not resume from an id).
  }

  /** @private */
  dispatch() {
    const type = this.type || 'message';
    const data = this.data;
    this.type = '';
    this.data = [];
    if (data.length > 0) this.onEvent(type, data.join('\n'));
  }
}
