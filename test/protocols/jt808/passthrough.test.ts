// Pass-through (SPEC §7.14): BYTE type + opaque content, both directions.
import t from 'tap';
import { describeError, type DecodeResult } from '../../../protocols/jt808/errors.js';
import { unescapeFrame } from '../../../protocols/jt808/framing.js';
import type { Header } from '../../../protocols/jt808/header.js';
import { decodePacket } from '../../../protocols/jt808/packet.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from '../../../protocols/jt808/messages/options.js';
import { decode0900, decode8900, encode0900, encode8900 } from '../../../protocols/jt808/messages/passthrough.js';
import { hexToBuffer } from '../../helpers/vectors.js';

// ---- fixture runner (same in each message test file) ----------------------------------------------

interface Case<V> {
  name: string;
  /** A wire frame `7e…7e` (body and layout taken from it) or a bare body. */
  hex: string;
  opts?: Partial<BodyOptions>;
  /** t.match pattern; top-level arrays must also have exactly the expected length. */
  expect: Record<string, unknown>;
  /** Re-encode the decoded value; must give the body back byte for byte. */
  encode?: (v: V, opts: BodyOptions) => Buffer;
  /** Truncated lengths that legitimately decode (default: none). */
  okWhen?: (length: number) => boolean;
}

function packetOf(hex: string): { header: Header; body: Buffer } {
  const u = unescapeFrame(hexToBuffer(hex));
  if (!u.ok) throw new Error(`bad test frame ${hex}`);
  const p = decodePacket(u.frame);
  if (!p.ok) throw new Error(`bad test packet ${hex}: ${describeError(p)}`);
  return { header: p.value.header, body: Buffer.from(p.value.body) };
}

function bodyOf(hex: string, extra: Partial<BodyOptions> = {}): { body: Buffer; opts: BodyOptions } {
  if (!/^7e/i.test(hex)) return { body: hexToBuffer(hex), opts: { ...DEFAULT_BODY_OPTIONS, ...extra } };
  const { header, body } = packetOf(hex);
  return { body, opts: { ...DEFAULT_BODY_OPTIONS, layout: header.layout, ...extra } };
}

function runCases<V>(title: string, decode: (b: Buffer, o: BodyOptions) => DecodeResult<V>, cases: Case<V>[]): void {
  t.test(title, async (t) => {
    for (const c of cases) {
      t.test(c.name, async (t) => {
        const { body, opts } = bodyOf(c.hex, c.opts);
        const r = decode(body, opts);
        if (!r.ok) {
          t.fail(describeError(r));
          return;
        }
        t.match(r.value, c.expect);
        for (const [k, v] of Object.entries(c.expect)) {
          if (Array.isArray(v)) t.equal(((r.value as Record<string, unknown>)[k] as unknown[]).length, v.length, `${k}: ${v.length} entries`);
        }
        if (c.encode) t.equal(c.encode(r.value, opts).toString('hex'), body.toString('hex'), 're-encodes byte-exact');
        const bad: string[] = [];
        for (let n = 0; n < body.length; n++) {
          try {
            const tr = decode(body.subarray(0, n), opts);
            if (tr.ok && !c.okWhen?.(n)) bad.push(`${n}: decoded`);
          } catch (e) {
            bad.push(`${n}: threw ${(e as Error).message}`);
          }
        }
        t.same(bad, [], 'every truncation is an error value, never a throw');
      });
    }
  });
}

// ---- fixtures ----------------------------------------------------------------------------------

runCases('0x0900 uplink pass-through', decode0900, [
  { name: 'smallchi#32 custom type 0x83', hex: '7E09000009000123456789000A83736D616C6C6368691D7E', expect: { type: 0x83, content: Buffer.from('smallchi') }, encode: (v) => encode0900(v), okWhen: (n) => n >= 1 },
  { name: 'type only, empty content', hex: '41', expect: { type: 0x41, content: Buffer.alloc(0) }, encode: (v) => encode0900(v) },
]);

runCases('0x8900 downlink pass-through', decode8900, [
  { name: 'type 0xF0 text command (SmallChi/JT808#58)', hex: 'f0' + Buffer.from('where#').toString('hex'), expect: { type: 0xf0, content: Buffer.from('where#') }, encode: (v) => encode8900(v), okWhen: (n) => n >= 1 },
]);

t.test('pass-through content is a copy; encoder range', async (t) => {
  const body = hexToBuffer('0b0102');
  const r = decode0900(body, DEFAULT_BODY_OPTIONS);
  body.fill(0);
  t.ok(r.ok && r.value.content.toString('hex') === '0102');
  t.throws(() => encode8900({ type: 256, content: Buffer.alloc(0) }), RangeError);
});
