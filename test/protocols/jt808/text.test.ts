// 0x8300 text message (SPEC §7.13): 2013 `flag, text`, 2019 `flag, type, text`, GBK.
import t from 'tap';
import { describeError, type DecodeResult } from '../../../protocols/jt808/errors.js';
import { unescapeFrame } from '../../../protocols/jt808/framing.js';
import type { Header } from '../../../protocols/jt808/header.js';
import { decodePacket } from '../../../protocols/jt808/packet.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from '../../../protocols/jt808/messages/options.js';
import { decode8300, encode8300, TextFlag } from '../../../protocols/jt808/messages/text.js';
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

runCases('0x8300 text message', decode8300, [
  { name: 'go-jt808#18 GBK text, flag 0xFF', hex: '7e830000150012562569271108ffb2e2cad431323340343536236162632bbde1caf8507e', expect: { flag: 0xff, type: undefined, text: '测试123@456#abc+结束' }, encode: (v, o) => encode8300(v, o.layout), okWhen: (n) => n >= 1 },
  { name: 'smallchi#28 2013 urgent + display', hex: '7E8300000D012345678900000105736D616C6C63686920353138027E', expect: { flag: 5, text: 'smallchi 518' }, encode: (v, o) => encode8300(v, o.layout), okWhen: (n) => n >= 1 },
  { name: 'smallchi#29 2019 with text type', hex: '7E8300400E010000000001234567890000010501736D616C6C63686920353138417E', expect: { flag: 5, type: 1, text: 'smallchi 518' }, encode: (v, o) => encode8300(v, o.layout), okWhen: (n) => n >= 2 },
]);

t.test('0x8300 encoder', async (t) => {
  t.equal(encode8300({ flag: TextFlag.display | TextFlag.tts, text: '京' }, '2019').toString('hex'), '0c01bea9', '2019 type defaults to 1 (notice)');
  t.equal(encode8300({ flag: TextFlag.urgent2013, type: 2, text: 'a' }, '2013').toString('hex'), '0161', '2013 has no type byte');
  t.throws(() => encode8300({ flag: 0, text: '测'.repeat(513) }, '2013'), RangeError, 'over 1024 GBK bytes');
  t.equal(encode8300({ flag: 0, text: '测'.repeat(512) }, '2013').length, 1025, '1024 GBK bytes fit (the caller subpackages)');
  t.match(decode8300(Buffer.alloc(0), DEFAULT_BODY_OPTIONS), { ok: false, code: 'BODY_SHORT' });
  t.match(decode8300(hexToBuffer('05'), { ...DEFAULT_BODY_OPTIONS, layout: '2019' }), { ok: false, code: 'BODY_SHORT', offset: 1 });
});
