// Pass-through (SPEC §7.14): BYTE type + opaque content, both directions.
import t from 'tap';
import { DEFAULT_BODY_OPTIONS } from '../../../protocols/jt808/messages/options.js';
import { decode0900, decode8900, encode0900, encode8900 } from '../../../protocols/jt808/messages/passthrough.js';
import { hexToBuffer } from '../../helpers/vectors.js';
import { runCases } from '../../helpers/fixture-cases.js';

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
