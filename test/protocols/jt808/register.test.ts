// Registration and authentication (SPEC §7.5–7.7): 0x0100 widths per version and the 2011/2013 guess
// (§5.3), fixed-text padding (§5.2), 0x8100 auth code only on success, 0x0102 2013 vs 2019.
import t from 'tap';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from '../../../protocols/jt808/messages/options.js';
import {
  decode0100,
  decode0102,
  decode8100,
  encode0100,
  encode0102,
  encode8100,
  guessRegisterVersion,
  type Authentication,
  type Registration,
  type RegisterResponse,
} from '../../../protocols/jt808/messages/register.js';
import { runCases } from '../../helpers/fixture-cases.js';

// ---- fixtures ----------------------------------------------------------------------------------

const reEncode = (v: Registration) => encode0100(v, v.version);
const reEncodeRightPad = (v: Registration) => encode0100(v, v.version, { modelPad: 'right' });
const from2011 = (n: number) => n >= 25;
const from2013 = (n: number) => n >= 37;
const from2019 = (n: number) => n >= 76;

runCases('0x0100 register', decode0100, [
  {
    name: 'go-jt808#7 2011 (model BYTE[8]), GBK plate',
    hex: '7e010000200123456789010000001f007363640000007777772e3830382e3736353433323101b2e24131323334a17e',
    expect: { province: 31, city: 115, makerId: 'cd', model: 'www.808.', terminalId: '7654321', plateColor: 1, plate: '测A1234', version: '2011' },
    encode: reEncode,
    okWhen: from2011,
  },
  {
    name: 'smallchi#7 2011',
    hex: '7E01000021000123456789000A002800323132333400746B3132333435004348493132330001D4C1413132333435857E',
    expect: { province: 40, city: 50, makerId: '1234', model: 'tk12345', terminalId: 'CHI123', plateColor: 1, plate: '粤A12345', version: '2011' },
    encode: reEncode,
    okWhen: from2011,
  },
  {
    // Truncations from 25 to 36 bytes are guessed 2011 and decode (the guess has nothing else to go by).
    name: 'go-jt808#8 2013 (model BYTE[20])',
    hex: '7e0100002c0123456789010000001f007363640000007777772e3830382e636f6d0000000000000000003736353433323101b2e24131323334cc7e',
    expect: { province: 31, city: 115, makerId: 'cd', model: 'www.808.com', terminalId: '7654321', plateColor: 1, plate: '测A1234', version: '2013' },
    encode: reEncode,
    okWhen: from2011,
  },
  {
    name: 'go-jt808#8 again with registerVersion 2013 configured',
    hex: '7e0100002c0123456789010000001f007363640000007777772e3830382e636f6d0000000000000000003736353433323101b2e24131323334cc7e',
    opts: { registerVersion: '2013' },
    expect: { model: 'www.808.com', version: '2013' },
    okWhen: from2013,
  },
  {
    name: 'smallchi#4 2013',
    hex: '7E0100002D000123456789000A002800323132333400736D616C6C6368693132330000000000000000004348493132330001D4C14131323334358A7E',
    expect: { province: 40, city: 50, makerId: '1234', model: 'smallchi123', terminalId: 'CHI123', plateColor: 1, plate: '粤A12345', version: '2013' },
    encode: reEncode,
    okWhen: from2011,
  },
  {
    name: 'yezhihao#6 2013',
    hex: '7e0100002e1234567890120001001f0073797a6800007777772e6a74743830382e636e000000000000003736353433323101b2e241383838383838a37e',
    expect: { province: 31, city: 115, makerId: 'yzh', model: 'www.jtt808.cn', terminalId: '7654321', plateColor: 1, plate: '测A888888', version: '2013' },
    encode: reEncode,
    okWhen: from2011,
  },
  {
    name: 'go-jt808#9 2019 (right-padded model, unlike the 2019 text)',
    hex: '7e0100405301000000000172998417380000001f007363640000000000000000007777772e3830382e636f6d0000000000000000000000000000000000000037363534333231000000000000000000000000000000000000000000000001b2e241313233343b7e',
    expect: { province: 31, city: 115, makerId: 'cd', model: 'www.808.com', terminalId: '7654321', plateColor: 1, plate: '测A1234', version: '2019' },
    encode: reEncodeRightPad,
    okWhen: from2019,
  },
  {
    name: 'smallchi#5 2019',
    hex: '7E010040540100000000000123456789000A002800323132333400000000000000736D616C6C6368693132330000000000000000000000000000000000000043484931323300000000000000000000000000000000000000000000000001D4C1413132333435B27E',
    expect: { province: 40, city: 50, makerId: '1234', model: 'smallchi123', terminalId: 'CHI123', plateColor: 1, plate: '粤A12345', version: '2019' },
    encode: reEncodeRightPad,
    okWhen: from2019,
  },
  {
    name: "smallchi#6 2019 padded with ASCII '0' (kept: it can be data, SPEC §5.2)",
    hex: '7e0100405401000000000222222222220001000000003030304b6f696b65303032303030303030303030303030303030303030303030304b6f696b65303032303030303030303030303030303030303030303030304b6f696b6530303202d4c1413132333436107e',
    expect: {
      province: 0,
      city: 0,
      makerId: '000Koike002',
      model: '0000000000000000000000Koike002',
      terminalId: '0000000000000000000000Koike002',
      plateColor: 2,
      plate: '粤A12346',
      version: '2019',
      raw: { makerId: Buffer.from('000Koike002') },
    },
    encode: reEncode,
    okWhen: from2019,
  },
  {
    name: 'yezhihao#5 2019',
    hex: '7e010040550112345678901234567890ffff001f0073797a6800000000000000007777772e6a74743830382e636e000000000000000000000000000000000030393837363534333231303938373635343332310000000000000000000001b2e241383838383838227e',
    expect: { province: 31, city: 115, makerId: 'yzh', model: 'www.jtt808.cn', terminalId: '09876543210987654321', plateColor: 1, plate: '测A888888', version: '2019' },
    encode: reEncodeRightPad,
    okWhen: from2019,
  },
]);

t.test('0x0100: plate colour 0 carries the VIN, and the 2011/2013 guess', async (t) => {
  const vin = 'LSVAU033512345678';
  const base = { province: 44, city: 100, makerId: 'M1', model: 'T8', terminalId: 'ID1', plateColor: 0, vin };
  const b2011 = encode0100(base, '2011');
  t.equal(b2011.length, 25 + 17, '2011 body with a VIN is longer than the 2013 fixed part');
  t.equal(guessRegisterVersion(b2011, '2013'), '2011', 'text at the 2013 colour position → 2011 (go-jt808 would say 2013)');
  t.match(decode0100(b2011, DEFAULT_BODY_OPTIONS), { ok: true, value: { version: '2011', plateColor: 0, plate: '', vin } });
  const b2013 = encode0100({ ...base, model: 'MODEL-20-CHARACTERS!' }, '2013');
  t.match(decode0100(b2013, DEFAULT_BODY_OPTIONS), { ok: true, value: { version: '2013', model: 'MODEL-20-CHARACTERS!', vin } });
  const short2013 = encode0100({ ...base, vin: '' }, '2013');
  t.match(decode0100(short2013, DEFAULT_BODY_OPTIONS), { ok: true, value: { version: '2013', vin: '' } }, '2013 with an empty VIN');
  const b2019 = encode0100({ ...base, plateColor: 1, plate: '' }, '2019');
  const zeros = Buffer.concat([b2019, Buffer.alloc(8)]); // traccar: 2019 plate field all 0x00
  t.match(decode0100(zeros, { ...DEFAULT_BODY_OPTIONS, layout: '2019' }), { ok: true, value: { plate: '', plateColor: 1, model: 'T8' } });
  t.equal(b2019.subarray(4 + 11, 4 + 11 + 30).toString('hex'), '00'.repeat(28) + '5438', '2019 model left-padded by default');
});

t.test('0x0100 encoder rejects text that does not fit', async (t) => {
  t.throws(() => encode0100({ province: 0, city: 0, makerId: '123456', model: '', terminalId: '', plateColor: 1 }, '2013'), RangeError);
  t.throws(() => encode0100({ province: 0, city: 0, makerId: '', model: '123456789', terminalId: '', plateColor: 1 }, '2011'), RangeError);
  t.throws(() => encode0100({ province: 0x10000, city: 0, makerId: '', model: '', terminalId: '', plateColor: 1 }, '2019'), RangeError);
});

const reEncode8100 = (v: RegisterResponse) => encode8100(v);
runCases('0x8100 register response', decode8100, [
  { name: 'go-jt808#2 success + code', hex: '7e8100000e01234567890100000000003132333435363738393031377e', expect: { replySerial: 0, result: 0, authCode: '12345678901' }, encode: reEncode8100, okWhen: (n) => n >= 3 },
  { name: 'smallchi#23 success', hex: '7E81000009012345678900000A006400313233343536687E', expect: { replySerial: 100, result: 0, authCode: '123456' }, encode: reEncode8100, okWhen: (n) => n >= 3 },
  { name: 'smallchi#24 result 4, no code', hex: '7E81000003012345678900000A006404617E', expect: { replySerial: 100, result: 4, authCode: undefined }, encode: reEncode8100 },
  { name: 'yezhihao#7 2019', hex: '7e8100401e0112345678901234567890ffff970c006368774430534531666368774430534531666368774430534531660c7e', expect: { replySerial: 38668, result: 0, authCode: 'chwD0SE1fchwD0SE1fchwD0SE1f' }, encode: reEncode8100, okWhen: (n) => n >= 3 },
  { name: 'EMQX-style failure that still carries a code: shown, not re-encoded', hex: '000a013132', expect: { result: 1, authCode: '12' }, okWhen: (n) => n >= 3 },
]);

t.test('0x8100 encoder writes the code only on success (SPEC §7.6)', async (t) => {
  t.equal(encode8100({ replySerial: 1, result: 1, authCode: 'abc' }).toString('hex'), '000101');
  t.equal(encode8100({ replySerial: 1, result: 0 }).toString('hex'), '000100');
});

const reEncode0102 = (v: Authentication, o: BodyOptions) => encode0102(v, o.layout);
runCases('0x0102 authenticate', decode0102, [
  { name: 'go-jt808#5 2013: the body is the code', hex: '7e0102000b01234567890100003137323939383431373338b57e', expect: { authCode: '17299841738', imei: undefined }, encode: reEncode0102, okWhen: () => true },
  { name: 'smallchi#8 2013', hex: '7E010200090123456789003039343536313231313131BE7E', expect: { authCode: '456121111' }, encode: reEncode0102, okWhen: () => true },
  { name: 'smallchi#10 bit 14 set on a 2013 header (real device)', hex: '7E0102400C01003000068109024A3130303330303030363831857E', expect: { authCode: 'J10030000681' }, encode: reEncode0102, okWhen: () => true },
  {
    name: 'go-jt808#6 2019',
    hex: '7e0102402f010000000001729984173800000b3137323939383431373338313233343536373839303132333435332e372e31350000000000000000000000000000227e',
    expect: { authCode: '17299841738', imei: '123456789012345', softwareVersion: '3.7.15' },
    encode: reEncode0102,
  },
  {
    name: 'smallchi#9 2019 body',
    hex: '05343536313231323334353637383930616263646576322E302E300000000000000000000000000000',
    opts: { layout: '2019' },
    expect: { authCode: '45612', imei: '1234567890abcde', softwareVersion: 'v2.0.0' },
    encode: reEncode0102,
  },
  {
    name: 'yezhihao#4 2019, 44-byte code',
    hex: '7e010240500112345678901234567890ffff2c706d59477a47756b4f384b345a356c70494f5467386471623365707259614842625853504c7464627947383d3132333435363738393031323334357777772e6a74743830382e636e00000000000000557e',
    expect: { authCode: 'pmYGzGukO8K4Z5lpIOTg8dqb3eprYaHBbXSPLtdbyG8=', imei: '123456789012345', softwareVersion: 'www.jtt808.cn' },
    encode: reEncode0102,
  },
  {
    name: '2019 empty code (n = 0, EMQX t_2019_empty_auth_code)',
    hex: '00' + Buffer.from('861234567890123').toString('hex') + Buffer.from('V1').toString('hex') + '00'.repeat(18),
    opts: { layout: '2019' },
    expect: { authCode: '', imei: '861234567890123', softwareVersion: 'V1' },
    encode: reEncode0102,
  },
]);

t.test('0x0102 encoder limits', async (t) => {
  t.throws(() => encode0102({ authCode: 'x'.repeat(256) }, '2019'), RangeError);
  t.throws(() => encode0102({ authCode: 'x', imei: '1234567890123456' }, '2019'), RangeError);
  t.equal(encode0102({ authCode: 'x'.repeat(256) }, '2013').length, 256, '2013 has no length byte');
});
