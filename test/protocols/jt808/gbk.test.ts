// GBK text (SPEC §2): the ASCII fast path must give exactly what iconv gives, and hand everything else to iconv.
import t from 'tap';
import iconv from 'iconv-lite';
import { decodeFixedText, decodeGbk, encodeGbk } from '../../../protocols/jt808/text.js';

t.test('decodeGbk equals iconv on ASCII, GBK and the bytes around the ASCII edge', async (t) => {
  const cases: number[][] = [
    [],
    [0x41],
    [...Buffer.from('ZTE-M100 v1.2')],
    [0x00, 0x7f, 0x20, 0x30],
    [0x80],
    [0x7f, 0x80],
    [0xbe, 0xa9, 0x41, 0x31, 0x32, 0x33, 0x34, 0x35], // 京A12345
    [0x41, 0xbe], // a lead byte cut off at the end
    [0xff, 0xfe],
  ];
  for (const bytes of cases) {
    // Inside a larger buffer, at an offset: the fast path must respect start and end.
    const buf = Buffer.from([0xbe, 0xa9, ...bytes, 0xbe]);
    t.equal(decodeGbk(buf, 2, 2 + bytes.length), iconv.decode(Buffer.from(bytes), 'gbk'), Buffer.from(bytes).toString('hex') || '(empty)');
  }
  const whole = Buffer.from('xxmodel-7  ');
  const sub = new Uint8Array(whole.buffer, whole.byteOffset + 2, whole.length - 2);
  t.equal(decodeFixedText(sub, 0, sub.length), 'model-7', 'a subarray with a byteOffset, padding stripped');
});

t.test('encodeGbk equals iconv on ASCII and non-ASCII text', async (t) => {
  for (const text of ['', 'A', 'auth-0123456789', '\x7f', '\x80', '京A12345', 'abc测试', '€']) {
    t.same(encodeGbk(text), iconv.encode(text, 'gbk'), JSON.stringify(text));
  }
});
