// General responses, empty bodies, server time, resend requests (SPEC §7.1–7.4), and the body
// dispatcher of messages/index.ts (decodeBody, MESSAGE_NAMES, replyFor per SPEC §9).
import t from 'tap';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from '../../../protocols/jt808/messages/options.js';
import {
  decode0001,
  decode0002,
  decode0003,
  decode0004,
  decode0005,
  decode8001,
  decode8003,
  decode8004,
  encode0001,
  encode0002,
  encode0005,
  encode8001,
  encode8003,
  encode8004,
  encodeEmpty,
  type GeneralResponse,
  type ResendRequest,
} from '../../../protocols/jt808/messages/general.js';
import { decodeBody, MESSAGE_NAMES, messageName, replyFor } from '../../../protocols/jt808/messages/index.js';
import { hexToBuffer } from '../../helpers/vectors.js';
import { runCases, packetOf } from '../../helpers/fixture-cases.js';

// ---- fixtures ----------------------------------------------------------------------------------

const reEncode0001 = (v: GeneralResponse) => encode0001(v);
const reEncode8001 = (v: GeneralResponse) => encode8001(v);

runCases('0x0001 terminal general response', decode0001, [
  { name: 'go-jt808#0 result 3', hex: '7e000100050123456789017fff007b01c803bd7e', expect: { replySerial: 123, replyMsgId: 0x01c8, result: 3 }, encode: reEncode0001 },
  { name: 'smallchi#0 ack of a heartbeat', hex: '7E0001000501234567890004B303E8000200D37E', expect: { replySerial: 1000, replyMsgId: 0x0002, result: 0 }, encode: reEncode0001 },
  { name: 'vendor trailing byte kept as extra', hex: '03e8000200ff', expect: { replySerial: 1000, replyMsgId: 2, result: 0, extra: Buffer.from([0xff]) }, okWhen: (n) => n === 5 },
]);

runCases('0x8001 platform general response', decode8001, [
  { name: 'go-jt808#1 heartbeat ack', hex: '7e8001000501234567890100007fff0002008e7e', expect: { replySerial: 32767, replyMsgId: 0x0002, result: 0 }, encode: reEncode8001 },
  { name: 'smallchi#22 location ack', hex: '7E80010005012345678900000A0064020000617E', expect: { replySerial: 100, replyMsgId: 0x0200, result: 0 }, encode: reEncode8001 },
  { name: 'result 4 = alarm handling confirmed', hex: '0064020004', expect: { result: 4 }, encode: reEncode8001 },
]);

const emptyEncode = (v: { extra?: Buffer }) => encode0002(v.extra);
runCases('0x0002 heartbeat / 0x0003 logout / 0x0004 time query', decode0002, [
  { name: 'go-jt808#3 2013', hex: '7e0002000001234567890100008a7e', expect: {}, encode: emptyEncode },
  { name: 'go-jt808#4 2019 header', hex: '7e0002400001000000000172998417380000027e', expect: {}, encode: emptyEncode },
  { name: 'smallchi#2 checksum 0x7e escaped', hex: '7E00020000040021679287002B7D027E', expect: {}, encode: emptyEncode },
  { name: 'go-jt808#26 unescaped 0x7d checksum', hex: '7e0002000000000000067900007d7e', expect: {}, encode: emptyEncode },
  { name: 'vendor heartbeat with 3 bytes (battery, RSSI, status)', hex: '641f01', expect: { extra: Buffer.from('641f01', 'hex') }, encode: emptyEncode, okWhen: () => true },
]);

t.test('empty-bodied decoders', async (t) => {
  t.same(decode0003(hexToBuffer(''), DEFAULT_BODY_OPTIONS), { ok: true, value: {} }, '0x0003 logout (smallchi#3)');
  t.same(decode0004(Buffer.alloc(0), { ...DEFAULT_BODY_OPTIONS, layout: '2019' }), { ok: true, value: {} }, '0x0004 time query');
  t.equal(encodeEmpty().length, 0);
  const { body } = packetOf('7E0003000001234567890000018B7E');
  t.same(decode0003(body, DEFAULT_BODY_OPTIONS), { ok: true, value: {} }, 'smallchi#3 frame');
});

runCases('0x8004 server time (UTC)', decode8004, [
  {
    name: 'smallchi#35 2019-11-26 15:58:50 UTC, terminal offset ignored',
    hex: '191126155850',
    opts: { layout: '2019', utcOffsetMinutes: 480 },
    expect: { time: Date.UTC(2019, 10, 26, 15, 58, 50) },
    encode: (v) => encode8004(v.time),
  },
]);

t.test('0x8004 errors and encoder', async (t) => {
  t.match(decode8004(hexToBuffer('1911261558a0'), DEFAULT_BODY_OPTIONS), { ok: false, code: 'BAD_BCD' });
  t.match(decode8004(hexToBuffer('000000000000'), DEFAULT_BODY_OPTIONS), { ok: false, code: 'BODY_INVALID' });
  t.equal(encode8004(Date.UTC(2017, 2, 15, 17, 9, 23)).toString('hex'), '170315170923', 'the 2019 text example');
  t.throws(() => encode8004(Date.UTC(1999, 0, 1)), RangeError);
});

const reEncode8003 = (v: ResendRequest, o: BodyOptions) => encode8003(v, o.layout);
runCases('0x8003 platform resend request', decode8003, [
  { name: 'go-jt808#14 2013 BYTE count', hex: '7e800300150123456789017fff1099090001000200030004000500060007000800091f7e', expect: { firstSerial: 4249, indexes: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, encode: reEncode8003 },
  { name: 'yezhihao#0 2013', hex: '7e8003001512345678901200011099090001000200030004000500060007000800099c7e', expect: { firstSerial: 4249, indexes: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, encode: reEncode8003 },
  { name: 'yezhihao#1 2019 WORD count', hex: '7e800340160112345678901234567890ffff10990009000100020003000400050006000700080009557e', expect: { firstSerial: 4249, indexes: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, encode: reEncode8003 },
  { name: 'smallchi#34 body only, 2013', hex: '04D20201020203', expect: { firstSerial: 1234, indexes: [0x0102, 0x0203] }, encode: reEncode8003 },
  {
    name: 'go-jt808 style: BYTE count under a 2019 header (SPEC §11) is read by the length',
    hex: '04D20201020203',
    opts: { layout: '2019' },
    expect: { firstSerial: 1234, indexes: [0x0102, 0x0203] },
  },
  { name: 'trailing byte kept', hex: '04D2010001ee', expect: { firstSerial: 1234, indexes: [1], extra: Buffer.from([0xee]) }, okWhen: (n) => n === 5 },
]);

runCases('0x0005 terminal resend request (2019)', decode0005, [
  { name: '2019 WORD count', hex: '00070003000300050007', opts: { layout: '2019' }, expect: { firstSerial: 7, indexes: [3, 5, 7] }, encode: (v, o) => encode0005(v, o.layout) },
]);

t.test('resend request edge cases', async (t) => {
  t.match(decode8003(hexToBuffer('04d200'), DEFAULT_BODY_OPTIONS), { ok: false, code: 'BODY_INVALID' }, 'empty list');
  t.match(decode8003(hexToBuffer('04d20000'), { ...DEFAULT_BODY_OPTIONS, layout: '2019' }), { ok: false, code: 'BODY_INVALID' }, 'empty list, 2019');
  t.throws(() => encode8003({ firstSerial: 1, indexes: [] }, '2013'), RangeError);
  t.throws(() => encode8003({ firstSerial: 1, indexes: new Array(256).fill(1) }, '2013'), RangeError, '2013 count is a BYTE');
  t.equal(encode8003({ firstSerial: 1, indexes: new Array(256).fill(1) }, '2019').length, 4 + 512, '2019 count is a WORD');
});

t.test('encoders reject out-of-range values', async (t) => {
  t.throws(() => encode8001({ replySerial: 1, replyMsgId: 2, result: 5 }), RangeError);
  t.throws(() => encode0001({ replySerial: 1, replyMsgId: 2, result: 4 }), RangeError, '4 is 0x8001 only');
  t.throws(() => encode8001({ replySerial: 0x10000, replyMsgId: 2, result: 0 }), RangeError);
});

// ---- dispatcher -----------------------------------------------------------------------------------

t.test('decodeBody dispatches on the message id', async (t) => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['7e0002000001234567890100008a7e', 'heartbeat', {}],
    ['7E0001000501234567890004B303E8000200D37E', 'terminalResponse', { replySerial: 1000 }],
    ['7e800340160112345678901234567890ffff10990009000100020003000400050006000700080009557e', 'platformResendRequest', { indexes: [1, 2, 3, 4, 5, 6, 7, 8, 9] }],
    ['7e0102000b01234567890100003137323939383431373338b57e', 'authenticate', { authCode: '17299841738' }],
    ['7E0100002D000123456789000A002800323132333400736D616C6C6368693132330000000000000000004348493132330001D4C14131323334358A7E', 'register', { plate: '粤A12345', version: '2013' }],
    ['7E8300400E010000000001234567890000010501736D616C6C63686920353138417E', 'textMessage', { type: 1, text: 'smallchi 518' }],
    ['7E09000009000123456789000A83736D616C6C6368691D7E', 'uplinkPassThrough', { type: 0x83 }],
    ['7e820200060123456789017fff000500000258d17e', 'temporaryTracking', {}],
    ['7e82010000001256256927000fa37e', 'positionQuery', {}],
    ['7e8104400001000000000144199999990003027e', 'queryAllParams', {}],
    ['7e080100290123456789017fff0000007b01020102000004000000080006eeb6ad02633df70138000300632007071923590d7b0d7b7b667e', 'mediaData', { mediaId: 123 }],
  ];
  for (const [hex, kind, fields] of cases) {
    const { header, body } = packetOf(hex);
    const r = decodeBody(header, body);
    t.ok(r.ok, `${kind} decodes`);
    if (r.ok) t.match(r.value, { kind, ...fields }, kind);
  }
});

t.test('decodeBody: UNSUPPORTED for unknown ids and encrypted bodies; options override', async (t) => {
  const enc = packetOf('7E0801040500123456789002DE001A000221757E');
  t.match(decodeBody(enc.header, enc.body), { ok: false, code: 'UNSUPPORTED' }, 'RSA body (go-jt808#25)');
  const hb = packetOf('7e0002000001234567890100008a7e');
  t.match(decodeBody({ ...hb.header, msgId: 0x8105 }, hb.body), { ok: false, code: 'UNSUPPORTED' }, 'terminal control has no decoder');
  t.match(decodeBody({ ...hb.header, msgId: 0xe001 }, hb.body), { ok: false, code: 'UNSUPPORTED', detail: /vendor uplink/ });
  const reg = packetOf('7E01000021000123456789000A002800323132333400746B3132333435004348493132330001D4C1413132333435857E');
  t.match(decodeBody(reg.header, reg.body), { ok: true, value: { version: '2011', model: 'tk12345' } }, '2011 guessed');
  t.match(decodeBody(reg.header, reg.body, { registerVersion: '2013' }), { ok: false, code: 'BODY_SHORT' }, 'configured 2013 wins');
});

t.test('MESSAGE_NAMES and replyFor (SPEC §6, §9)', async (t) => {
  t.equal(MESSAGE_NAMES[0x0200], 'location report');
  t.equal(messageName(0x0704), '0x0704 batch location upload');
  t.equal(messageName(0xf123), '0xf123 vendor downlink');
  t.equal(messageName(0x0abc), '0x0abc unknown');
  const table: Array<[number, string]> = [
    [0x0100, 'register'],
    [0x0102, 'general'],
    [0x0002, 'general'],
    [0x0003, 'general'],
    [0x0200, 'general'],
    [0x0704, 'general'],
    [0x0900, 'general'],
    [0x0800, 'general'],
    [0x0901, 'general'],
    [0x0108, 'general'],
    [0x0702, 'general'],
    [0x0705, 'general'],
    [0x0301, 'general'],
    [0x0303, 'general'],
    [0x0004, 'time'],
    [0x0801, 'multimedia'],
    [0x0005, 'resend'],
    [0x0001, 'none'],
    [0x0104, 'none'],
    [0x0107, 'none'],
    [0x0201, 'none'],
    [0x0302, 'none'],
    [0x0500, 'none'],
    [0x0805, 'none'],
    [0x8001, 'none'],
    [0xe042, 'general'],
    [0xf042, 'none'],
  ];
  for (const [id, kind] of table) t.equal(replyFor(id), kind, `0x${id.toString(16).padStart(4, '0')}`);
});

t.test('no decoder throws on random bodies', async (t) => {
  let seed = 0x12345678;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
  const ids = [0x0001, 0x8001, 0x0002, 0x0004, 0x8004, 0x0005, 0x8003, 0x0100, 0x8100, 0x0102, 0x8103, 0x8104, 0x8106, 0x0104, 0x0107, 0x0200, 0x0201, 0x8202, 0x8300, 0x0704, 0x0800, 0x0801, 0x8800, 0x0900, 0x8900];
  const hb = packetOf('7e0002000001234567890100008a7e').header;
  const thrown: string[] = [];
  for (const layout of ['2013', '2019'] as const) {
    for (const registerVersion of [undefined, '2011', '2013', '2019'] as const) {
      for (const msgId of ids) {
        for (let k = 0; k < 150; k++) {
          const body = Buffer.alloc(rnd() % 120 + (k % 3 === 0 ? rnd() : 0));
          for (let i = 0; i < body.length; i++) body[i] = k % 5 === 0 ? rnd() % 4 : rnd();
          try {
            decodeBody({ ...hb, msgId, layout }, body, registerVersion ? { registerVersion } : {});
          } catch (e) {
            thrown.push(`0x${msgId.toString(16)} ${layout} ${body.toString('hex')}: ${(e as Error).message}`);
          }
        }
      }
    }
  }
  t.same(thrown, []);
});
