// The model's answer arrives as server-sent events (text/event-stream): one `data:` line of JSON
// per chunk, a blank line after each event, `data: [DONE]` at the end. This parser reads the body's
// bytes as they come, in one pass: a line is cut at its end byte (LF, CR or CRLF, which may fall
// on either side of a read) and decoded once, so a UTF-8 character split between two reads is
// only decoded once its line is whole. Only what an event carries is kept (its `event:` name and
// its `data:` lines); comments (`:` lines) and other fields (`id:`, `retry:`) are skipped, as the
// openai client's own decoder does.

/** One event: its `event:` name (null without one) and its `data:` lines joined with LF. */
export type SseEvent = { event: string | null; data: string };

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const DATA = Buffer.from('data:');

export class SseParser {
  /** The start of a line whose end has not arrived yet (a copy: the read's buffer is not kept). */
  private rest: Buffer | null = null;
  /** The last read ended with CR: an LF opening the next one ends that same line. */
  private skipLf = false;
  private data: string | null = null;
  private event: string | null = null;

  /** The events completed by one read of the body. */
  push(chunk: Uint8Array): SseEvent[] {
    const events: SseEvent[] = [];
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.rest) {
      bytes = Buffer.concat([this.rest, bytes]);
      this.rest = null;
    }
    let start = 0;
    if (this.skipLf && bytes.length > 0) {
      this.skipLf = false;
      if (bytes[0] === LF) start = 1;
    }
    // A CR is rare (most servers end lines with LF alone): looked for again only past the last one found.
    let cr = bytes.indexOf(CR, start);
    for (;;) {
      if (cr !== -1 && cr < start) cr = bytes.indexOf(CR, start);
      const lf = bytes.indexOf(LF, start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      this.line(bytes, start, end, events);
      start = end + 1;
      if (end === cr) {
        if (start === bytes.length) this.skipLf = true;
        else if (bytes[start] === LF) start++;
      }
    }
    if (start < bytes.length) this.rest = Buffer.from(bytes.subarray(start));
    return events;
  }

  /** The body ended: a last line without its end, and an event without its blank line, still count. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    const rest = this.rest;
    this.rest = null;
    if (rest) this.line(rest, 0, rest.length, events);
    this.dispatch(events);
    return events;
  }

  private line(bytes: Buffer, start: number, end: number, events: SseEvent[]): void {
    if (start === end) {
      this.dispatch(events);
      return;
    }
    if (bytes[start] === COLON) return; // a comment (a keep-alive)
    if (end - start >= DATA.length && bytes.compare(DATA, 0, DATA.length, start, start + DATA.length) === 0) {
      this.addData(fieldValue(bytes, start + DATA.length, end));
      return;
    }
    const colon = bytes.indexOf(COLON, start);
    const nameEnd = colon === -1 || colon > end ? end : colon;
    const name = bytes.toString('latin1', start, nameEnd);
    const value = nameEnd === end ? '' : fieldValue(bytes, nameEnd + 1, end);
    if (name === 'data') this.addData(value);
    else if (name === 'event') this.event = value;
  }

  private addData(value: string): void {
    this.data = this.data === null ? value : `${this.data}\n${value}`;
  }

  /** A blank line: the event so far is complete (none when it had no data and no name). */
  private dispatch(events: SseEvent[]): void {
    if (this.data === null && !this.event) return;
    events.push({ event: this.event, data: this.data ?? '' });
    this.data = null;
    this.event = null;
  }
}

/** A field's value: the text after its colon, less one leading space. */
const fieldValue = (bytes: Buffer, start: number, end: number) => bytes.toString('utf8', bytes[start] === SPACE ? start + 1 : start, end);
