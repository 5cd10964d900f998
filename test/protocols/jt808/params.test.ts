// Terminal parameters (SPEC §7.8): items parsed by their length byte, typed per the table only when
// the length fits, repeated ids kept as a list, unknown ids raw.
import t from 'tap';
import { describeError } from '../../../protocols/jt808/errors.js';
import { unescapeFrame } from '../../../protocols/jt808/framing.js';
import { decodePacket } from '../../../protocols/jt808/packet.js';
import { DEFAULT_BODY_OPTIONS } from '../../../protocols/jt808/messages/options.js';
import {
  decode0104,
  decode8103,
  decode8106,
  encode0104,
  encode8103,
  encode8104,
  encode8106,
  paramType,
  type ParamItem,
  type ParamSetting,
} from '../../../protocols/jt808/messages/params.js';
import { hexToBuffer } from '../../helpers/vectors.js';
import { runCases } from '../../helpers/fixture-cases.js';

// ---- fixtures ----------------------------------------------------------------------------------

/** Re-encodes decoded items through their typed value when there is one (exercises the type table). */
const settings = (params: ParamItem[]): ParamSetting[] => params.map((p) => ({ id: p.id, value: p.value ?? p.raw }));

/** First item per id, for comparing with a vector's `body.param.0xNNNN.*` keys. */
function byId(params: ParamItem[]): Record<string, ParamItem> {
  const out: Record<string, ParamItem> = {};
  for (const p of params) out[`0x${p.id.toString(16).padStart(4, '0').toUpperCase()}`] ??= p;
  return out;
}

const GO_0104_2019 =
  '7E010443A20100000000014419999999000500045B00000001040000000A00000002040000003C00000003040000000200000004040000003C00000005040000000200000006040000003C000000070400000002000000100B31333031323334353637300000001105313233343500000012053132333435000000130E3132372E302E302E313A37303030000000140531323334350000001505313233343500000016053132333435000000170531323334350000001A093132372E302E302E310000001B04000004570000001C04000004580000001D093132372E302E302E310000002004000000000000002104000000000000002204000000000000002301300000002401300000002501300000002601300000002704000000000000002804000000000000002904000000000000002C04000003E80000002D04000003E80000002E04000003E80000002F04000003E800000030040000000A0000003102003C000000320416320A1E000000400B3133303132333435363731000000410B3133303132333435363732000000420B3133303132333435363733000000430B3133303132333435363734000000440B3133303132333435363735000000450400000001000000460400000000000000470400000000000000480B3133303132333435363738000000490B313330313233343536373900000050040000000000000051040000000000000052040000000000000053040000000000000054040000000000000055040000003C000000560400000014000000570400003840000000580400000708000000590400001C200000005A040000012C0000005B0200500000005C0200050000005D02000A0000005E02001E00000064040000000100000065040000000100000070040000000100000071040000006F000000720400000070000000730400000071000000740400000072000000751500030190320000002800030190320000002800050100000076130400000101000002020000030300000404000000000077160101000301F43200000028000301F43200000028000500000079032808010000007A04000000230000007B0232320000007C1405000000000000000000000000000000000000000000008004000000240000008102000B000000820200660000008308BEA9415830303031000000840101000000900102000000910101000000920101000000930400000001000000940100000000950400000001000001000400000064000001010213880000010204000000640000010302138800000110080000000000000101F07E';
const GO_8103 =
  '7e810302101234567890120000280000000104626a6a65000000020442434b6d00000003044b456863000000040445456357000000050434516a39000000060441464d5f00000007043173666c00000010104a4468326c32394e6a75416e726c58750000001110666b756d6349376c7a4d5f76776f7a43000000121034356e3077523932445570555a7a7258000000131071444b6e4636666c6974694377554d4b0000001410476a7071376f6d55553834686e646561000000151070676c785f375251677971467648725700000016105559317a4e574b706754656a715f79300000001710725a554238704c4476516363743857680000001a10656d48775f6d317263547550374756370000001b044c5832510000001c04754d457a0000001d10464d6f524f627a30594573534147686400000020044471634c000000220443335f310000002310556f5234774d494438506669456267560000002410484954455f76684273496742376f5057000000251039364753596448434d3733676e53536800000026107759765248434f6a346135573351465a0000002704366375620000002804573854610000002904566d4e6b0000002c04324c5f540000002d0441764a560000002e04537443410000002f045958376f00000030047078566800000031025a6900000032040930213000000092010c0000011008000102030405060700000018046f78335100000019047a4a6158000000210434303749ac7e';

runCases('0x0104 parameter query response', decode0104, [
  {
    name: 'smallchi#11 heartbeat interval',
    hex: '7E0104000C000123456789000A00140100000001040000000A907E',
    expect: { replySerial: 20, count: 1, params: [{ id: 1, len: 4, value: 10, raw: Buffer.from('0000000a', 'hex') }] },
    encode: (v) => encode0104({ replySerial: v.replySerial, params: settings(v.params) }),
  },
  {
    name: 'smallchi#12 DWORD + STRING',
    hex: '7E0104001E000123456789000A00140200000001040000000A000000130D7777772E62616964752E636F6DF27E',
    expect: { replySerial: 20, count: 2, params: [{ id: 1, value: 10 }, { id: 0x13, len: 13, value: 'www.baidu.com' }] },
    encode: (v) => encode0104({ replySerial: v.replySerial, params: settings(v.params) }),
  },
  {
    name: 'go-jt808#13 2019, 91 parameters',
    hex: GO_0104_2019,
    expect: { replySerial: 4, count: 91 },
    encode: (v) => encode0104({ replySerial: v.replySerial, params: settings(v.params) }),
  },
]);

t.test('go-jt808#13 values (vector expect keys)', async (t) => {
  const u = unescapeFrame(hexToBuffer(GO_0104_2019));
  if (!u.ok) throw new Error('frame');
  const p = decodePacket(u.frame);
  if (!p.ok) throw new Error('packet');
  const r = decode0104(Buffer.from(p.value.body), { ...DEFAULT_BODY_OPTIONS, layout: '2019' });
  if (!r.ok) throw new Error(describeError(r));
  t.equal(r.value.params.length, 91);
  const m = byId(r.value.params);
  t.match(m, {
    '0x0001': { value: 10 },
    '0x0002': { value: 60 },
    '0x0010': { value: '13012345670' },
    '0x0013': { value: '127.0.0.1:7000' },
    '0x0029': { value: 0 },
    '0x002C': { value: 1000 },
    '0x0031': { value: 60 },
    '0x0055': { value: 60 },
    '0x0057': { value: 14400 },
    '0x0080': { value: 36 },
    '0x0081': { value: 11 },
    '0x0082': { value: 102 },
    '0x0083': { value: '京AX0001' },
    '0x0084': { value: 1 },
  });
  t.equal(m['0x0032'].raw.toString('hex'), '16320a1e', '0x0032 BYTE[4] raw');
  t.equal(m['0x0032'].value, undefined);
  t.equal(m['0x0110'].raw.toString('hex'), '0000000000000101');
  t.equal(m['0x0075'].value, undefined, 'JT/T 1078 parameters stay raw');
});

runCases('0x8103 set parameters', decode8103, [
  {
    name: 'smallchi#25 heartbeat 10 s',
    hex: '7E8103000A000123456789000A0100000001040000000A057E',
    expect: { count: 1, params: [{ id: 1, len: 4, value: 10 }] },
    encode: (v) => encode8103(settings(v.params)),
  },
  {
    name: 'go-jt808#15 40 mixed parameters, unsorted',
    hex: GO_8103,
    expect: { count: 40 },
    encode: (v) => encode8103(settings(v.params)),
  },
]);

t.test('go-jt808#15 values (vector expect keys)', async (t) => {
  const u = unescapeFrame(hexToBuffer(GO_8103));
  if (!u.ok) throw new Error('frame');
  const p = decodePacket(u.frame);
  if (!p.ok) throw new Error('packet');
  const r = decode8103(Buffer.from(p.value.body), DEFAULT_BODY_OPTIONS);
  if (!r.ok) throw new Error(describeError(r));
  const m = byId(r.value.params);
  t.match(m, {
    '0x0001': { value: 1651141221 },
    '0x0002': { value: 1111706477 },
    '0x0010': { value: 'JDh2l29NjuAnrlXu' },
    '0x0013': { value: 'qDKnF6flitiCwUMK' },
    '0x0020': { value: 1148281676 },
    '0x0029': { value: 1450004075 },
    '0x0031': { value: 23145 },
    '0x0092': { value: 12 },
  });
  t.equal(m['0x0032'].raw.toString('hex'), '09302130');
  t.equal(m['0x0110'].raw.toString('hex'), '0001020304050607');
  t.same(r.value.params.slice(-3).map((x) => x.id), [0x18, 0x19, 0x21], 'wire order kept');
});

t.test('repeated ids, vendor lengths, unknown ids', async (t) => {
  const body = encode8103([
    { id: 0x0013, value: '10.0.0.1:7000' },
    { id: 0x0013, value: '10.0.0.2:7000' },
    { id: 0x0001, value: Buffer.from('003c', 'hex') }, // a vendor sending a WORD for a DWORD parameter
    { id: 0xf001, value: Buffer.from('abcdef', 'hex') },
    { id: 0x0084, value: 2 },
    { id: 0x0031, value: 500 },
  ]);
  const r = decode8103(body, DEFAULT_BODY_OPTIONS);
  t.ok(r.ok);
  if (!r.ok) return;
  t.same(
    r.value.params.map((p) => [p.id, p.len, p.value]),
    [
      [0x13, 13, '10.0.0.1:7000'],
      [0x13, 13, '10.0.0.2:7000'],
      [0x01, 2, undefined],
      [0xf001, 3, undefined],
      [0x84, 1, 2],
      [0x31, 2, 500],
    ],
    'a list in wire order; no value where the length does not fit the type',
  );
  t.equal(r.value.params[2].raw.toString('hex'), '003c', 'raw kept');
  t.equal(paramType(0xf001), undefined);
  t.equal(paramType(0x0031), 'word');
});

t.test('encoder errors', async (t) => {
  t.throws(() => encode8103([{ id: 0xf001, value: 5 }]), RangeError, 'unknown id needs raw bytes');
  t.throws(() => encode8103([{ id: 0x0001, value: 'x' }]), RangeError, 'string for a DWORD');
  t.throws(() => encode8103([{ id: 0x0013, value: 5 }]), RangeError, 'number for a STRING');
  t.throws(() => encode8103([{ id: 0x0084, value: 256 }]), RangeError, 'BYTE overflow');
  t.throws(() => encode8103([{ id: 0x0013, value: 'x'.repeat(256) }]), RangeError, 'value over 255 bytes');
  t.throws(() => encode8103(new Array(256).fill({ id: 1, value: 1 })), RangeError, 'count over 255');
  t.equal(encode8104().length, 0);
});

runCases('0x8106 query given parameters', decode8106, [
  { name: 'three ids', hex: encode8106([0x0001, 0x0013, 0x0110]).toString('hex'), expect: { ids: [0x0001, 0x0013, 0x0110] }, encode: (v) => encode8106(v.ids) },
  { name: 'no id', hex: '00', expect: { ids: [] }, encode: (v) => encode8106(v.ids) },
]);

t.test('truncated item never over-reads', async (t) => {
  t.match(decode0104(hexToBuffer('0014020000000104000000'), DEFAULT_BODY_OPTIONS), { ok: false, code: 'BODY_SHORT', offset: 8 });
  t.match(decode0104(hexToBuffer('00140200000001040000000a'), DEFAULT_BODY_OPTIONS), { ok: false, code: 'BODY_SHORT', offset: 12 }, 'count says 2, one present');
  t.match(decode8103(hexToBuffer('0100000001040000000aff'), DEFAULT_BODY_OPTIONS), { ok: true, value: { extra: Buffer.from([0xff]) } }, 'bytes after count items kept');
});
