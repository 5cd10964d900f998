/**
 * The fixture runner shared by the message test files (STYLE.md house rule 5): each case decodes a
 * captured frame or body, matches the expected fields, re-encodes byte-exact where an encoder exists,
 * and tries every truncation of the body (an error value, never a throw).
 */
import t from 'tap';
import { describeError, type DecodeResult } from '../../protocols/jt808/errors.js';
import { unescapeFrame } from '../../protocols/jt808/framing.js';
import type { Header } from '../../protocols/jt808/header.js';
import { decodePacket } from '../../protocols/jt808/packet.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from '../../protocols/jt808/messages/options.js';
import { hexToBuffer } from './vectors.js';


export interface Case<V> {
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

export function packetOf(hex: string): { header: Header; body: Buffer } {
  const u = unescapeFrame(hexToBuffer(hex));
  if (!u.ok) throw new Error(`bad test frame ${hex}`);
  const p = decodePacket(u.frame);
  if (!p.ok) throw new Error(`bad test packet ${hex}: ${describeError(p)}`);
  return { header: p.value.header, body: Buffer.from(p.value.body) };
}

export function bodyOf(hex: string, extra: Partial<BodyOptions> = {}): { body: Buffer; opts: BodyOptions } {
  if (!/^7e/i.test(hex)) return { body: hexToBuffer(hex), opts: { ...DEFAULT_BODY_OPTIONS, ...extra } };
  const { header, body } = packetOf(hex);
  return { body, opts: { ...DEFAULT_BODY_OPTIONS, layout: header.layout, ...extra } };
}

export function runCases<V>(title: string, decode: (b: Buffer, o: BodyOptions) => DecodeResult<V>, cases: Case<V>[]): void {
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
