// 0x8300 text message (SPEC §7.13): 2013 `flag, text`, 2019 `flag, type, text`, GBK.
import t from 'tap';
import { DEFAULT_BODY_OPTIONS } from '../../../protocols/jt808/messages/options.js';
import { decode8300, encode8300, TextFlag } from '../../../protocols/jt808/messages/text.js';
import { hexToBuffer } from '../../helpers/vectors.js';
import { runCases } from '../../helpers/fixture-cases.js';

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
