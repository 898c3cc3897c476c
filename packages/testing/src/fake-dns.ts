// A name server on 127.0.0.1 (UDP) for the webhook SSRF tests, which must not depend on the
// machine's DNS: it answers A and AAAA queries from a table, never answers names listed as
// silent (a name server that hangs), and answers NXDOMAIN for anything else.
import dgram from 'node:dgram';
import { isIP } from 'node:net';

export type FakeDnsOptions = {
  /** name → addresses (IPv4 and IPv6 mixed); a name with no address of the asked family gets an empty answer. */
  records: Record<string, string[]>;
  /** Names whose queries are never answered. */
  silent?: string[];
};

export type FakeDns = {
  /** `127.0.0.1:<port>`, as WEBHOOK_DNS_SERVERS takes it. */
  server: string;
  /** Every query name received, in order. */
  queries: string[];
  close(): Promise<void>;
};

const TYPE_A = 1;
const TYPE_AAAA = 28;

/** The question's name and type, and where the question ends. */
function readQuestion(message: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let offset = 12;
  while (message[offset]! > 0) {
    const length = message[offset]!;
    labels.push(message.toString('latin1', offset + 1, offset + 1 + length));
    offset += length + 1;
  }
  return { name: labels.join('.').toLowerCase(), type: message.readUInt16BE(offset + 1), end: offset + 5 };
}

const rdata = (address: string) => (isIP(address) === 4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address));

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  const bytes = Buffer.alloc(16);
  for (const [i, group] of all.entries()) bytes.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  return bytes;
}

function answer(query: Buffer, records: Record<string, string[]>): Buffer {
  const { name, type, end } = readQuestion(query);
  const known = records[name];
  const family = type === TYPE_A ? 4 : type === TYPE_AAAA ? 6 : 0;
  const addresses = (known ?? []).filter((address) => isIP(address) === family);
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // the query's id
  header.writeUInt16BE(0x8180 | (known ? 0 : 3), 2); // a response, recursion available; NXDOMAIN for unknown names
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((address) => {
    const data = rdata(address);
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(type, 2);
    record.writeUInt16BE(1, 4); // class IN
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(data.length, 10);
    return Buffer.concat([record, data]);
  });
  return Buffer.concat([header, query.subarray(12, end), ...answers]);
}

export async function startFakeDns({ records, silent = [] }: FakeDnsOptions): Promise<FakeDns> {
  const socket = dgram.createSocket('udp4');
  const queries: string[] = [];
  const table = Object.fromEntries(Object.entries(records).map(([name, addresses]) => [name.toLowerCase(), addresses]));
  socket.on('message', (message, from) => {
    const { name } = readQuestion(message);
    queries.push(name);
    if (silent.includes(name)) return;
    socket.send(answer(message, table), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
