// The parser of the model's SSE body (src/agent/sse.ts): whatever the reads look like (a stream cut
// at any byte, a UTF-8 character split between two reads, one byte per read), the events are the
// same as from the whole body at once, and as the SSE rules say: LF, CRLF or CR ends a line (a CRLF
// split between reads too), a blank line ends an event, `:` lines are comments, an event's `data:`
// lines are joined with LF, `event:` names it, other fields are skipped; at the end of the body a
// last line without its end and an event without its blank line still count.
import { describe, expect, it } from 'vitest';
import { type SseEvent, SseParser } from '../src/agent/sse.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Parses `body` cut into the given reads, the end of the body included. */
function parse(reads: Uint8Array[]): SseEvent[] {
  const parser = new SseParser();
  return [...reads.flatMap((read) => parser.push(read)), ...parser.end()];
}

/** Every way to cut `body` in two, and in three around each byte, and one byte per read. */
function cuts(body: Uint8Array): Uint8Array[][] {
  const all: Uint8Array[][] = [[body], Array.from(body, (b) => Uint8Array.of(b))];
  for (let at = 0; at <= body.length; at++) {
    all.push([body.subarray(0, at), body.subarray(at)]);
    if (at > 0 && at < body.length) all.push([body.subarray(0, at - 1), body.subarray(at - 1, at + 1), body.subarray(at + 1)]);
  }
  return all;
}

const chunk = (content: string) => JSON.stringify({ choices: [{ index: 0, delta: { content } }] });

// a comment, a character of two bytes, one of four (a surrogate pair), one of three, an error event
const FIXTURE = [
  ': keep-alive\n\n',
  `data: ${chunk('Grüße ')}\n\n`,
  `data: ${chunk('🙂 and €')}\r\n\r\n`,
  `event: error\ndata: {"error":{"message":"overloaded"}}\n\n`,
  'data: [DONE]\n\n',
].join('');
const FIXTURE_EVENTS: SseEvent[] = [
  { event: null, data: chunk('Grüße ') },
  { event: null, data: chunk('🙂 and €') },
  { event: 'error', data: '{"error":{"message":"overloaded"}}' },
  { event: null, data: '[DONE]' },
];

describe('SseParser', () => {
  it('reads the same events however the body is cut into reads (mid-line, mid-character, byte by byte)', () => {
    const body = bytes(FIXTURE);
    expect(body.length).toBeGreaterThan(FIXTURE.length); // the fixture does hold multibyte characters
    for (const reads of cuts(body)) expect(parse(reads)).toEqual(FIXTURE_EVENTS);
  });

  it('ends lines at LF, CRLF or a lone CR, a CRLF split between two reads counting once', () => {
    const body = bytes('data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\n');
    const expected = ['a', 'b', 'c', 'd'].map((data) => ({ event: null, data }));
    for (const reads of cuts(body)) expect(parse(reads)).toEqual(expected);
  });

  it('joins the data lines of one event with LF and keeps the text after the colon, less one space', () => {
    const body = bytes('data: {"a":\ndata:1}\ndata\ndata:  two spaces\n\n');
    expect(parse([body])).toEqual([{ event: null, data: '{"a":\n1}\n\n two spaces' }]);
  });

  it('skips comments and the fields it has no use for, and a blank line with no event before it', () => {
    const body = bytes(':comment\n\n\nid: 7\nretry: 100\n: another\ndata: x\nfoo: bar\n\n\n');
    for (const reads of cuts(body)) expect(parse(reads)).toEqual([{ event: null, data: 'x' }]);
  });

  it('names an event with its event: line, also one without data', () => {
    const body = bytes('event: ping\n\nevent: error\r\ndata: {}\r\n\r\n');
    expect(parse([body])).toEqual([
      { event: 'ping', data: '' },
      { event: 'error', data: '{}' },
    ]);
  });

  it('at the end of the body, counts a last line without its end and an event without its blank line', () => {
    for (const reads of cuts(bytes('data: one\n\ndata: two'))) {
      expect(parse(reads)).toEqual([
        { event: null, data: 'one' },
        { event: null, data: 'two' },
      ]);
    }
    expect(parse([bytes('data: three\n')])).toEqual([{ event: null, data: 'three' }]);
    expect(parse([bytes(': only a comment')])).toEqual([]);
  });

  it('gives each read the events it completes, and keeps nothing of a read once its lines are whole', () => {
    const parser = new SseParser();
    expect(parser.push(bytes('data: a\n\ndata: b\n\ndata: '))).toEqual([
      { event: null, data: 'a' },
      { event: null, data: 'b' },
    ]);
    expect(parser.push(bytes('c'))).toEqual([]);
    expect(parser.push(bytes('\n\n'))).toEqual([{ event: null, data: 'c' }]);
    expect(parser.end()).toEqual([]);
  });
});
