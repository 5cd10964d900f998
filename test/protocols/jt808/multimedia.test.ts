// Multimedia (SPEC §7.15): 0x0800 event, 0x0801 data (8-byte head + 28-byte location + data; 2011
// variant), 0x8800 response (4-byte "all received" or a resend list; 2011 reply serial).
import t from 'tap';
import { DEFAULT_BODY_OPTIONS } from '../../../protocols/jt808/messages/options.js';
import { encode0200 } from '../../../protocols/jt808/messages/location.js';
import {
  decode0800,
  decode0801,
  decode8800,
  encode0800,
  encode0801,
  encode8800,
  type MediaResponse,
} from '../../../protocols/jt808/messages/multimedia.js';
import { hexToBuffer } from '../../helpers/vectors.js';
import { runCases } from '../../helpers/fixture-cases.js';

// ---- fixtures ----------------------------------------------------------------------------------

runCases('0x0800 multimedia event', decode0800, [
  { name: 'image, JPEG, distance event, channel 1', hex: '0000007b00000701', expect: { mediaId: 123, mediaType: 0, format: 0, event: 7, channel: 1 }, encode: (v) => encode0800(v) },
  { name: 'trailing vendor byte kept', hex: '0000007b0000070199', expect: { mediaId: 123, extra: Buffer.from([0x99]) }, okWhen: (n) => n === 8 },
]);

runCases('0x0801 multimedia data', decode0801, [
  {
    name: 'go-jt808#16 audio MP3 with location',
    hex: '7e080100290123456789017fff0000007b01020102000004000000080006eeb6ad02633df70138000300632007071923590d7b0d7b7b667e',
    expect: {
      mediaId: 123,
      mediaType: 1,
      format: 2,
      event: 1,
      channel: 2,
      location: { alarm: 1024, status: 2048, latE6: 116307629, lonE6: 40058359, altitudeM: 312, speedRaw: 3, direction: 99, time: Date.UTC(2020, 6, 7, 11, 23, 59) },
      data: Buffer.from('0d7b0d7b7b', 'hex'),
    },
    encode: (v) => encode0801(v, encode0200(v.location!), v.data),
    okWhen: (n) => n >= 36,
  },
  {
    name: 'smallchi#33 first JPEG fragment (head only in fragment 1)',
    hex: '7e080123240138123456782031000a00010000271d0000010100000000000c200301d2400a063296a501e100000000190104092952ffd8ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d0101020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc4001f0100030101010101010101010000000000000102030405060708090a0bffc400b51100020102040403040705040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffdb0043010909090c0b0c180d0d1832211c213232323232323232323232323232323232323232323232323232323232323232323232323232323232323232323232323232fffe000b4750456e636f646572ffdb0043000d090a0b0a080d0b0a0b0e0e0d0f13201513121213271c1e17202e2931302e292d2c333a4a3e333646372c2d405741464c4e525352323e5a615a50604a51524fffdb0043010e0e0e131113261515264f352d354f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4fffc000110800f0014003012100021101031101ffc4001f000001050101010101010000000000000000010203041c7e',
    expect: { mediaId: 10013, mediaType: 0, format: 0, event: 1, channel: 1, location: { latE6: 30556170, lonE6: 103978661, time: Date.UTC(2019, 0, 4, 1, 29, 52) } },
    okWhen: (n) => n >= 36,
  },
  {
    name: '2011 layout when configured: DWORD total packets, DWORD packet id, no location',
    hex: '0000007b010201020000000a00000001abcd',
    opts: { registerVersion: '2011' },
    expect: { mediaId: 123, mediaType: 1, totalPackets: 10, packetId: 1, location: undefined, data: Buffer.from('abcd', 'hex') },
    okWhen: (n) => n >= 16,
  },
]);

t.test('0x0801 details', async (t) => {
  const r = decode0801(
    hexToBuffer('0000007b01020102000004000000080006eeb6ad02633df70138000300632007071923590d7b0d7b7b'),
    DEFAULT_BODY_OPTIONS,
  );
  t.ok(r.ok && r.value.data.length === 5, 'data is the rest of the body');
  t.match(decode0801(hexToBuffer('0000007b01020102' + '00'.repeat(22) + 'a00101000000'), DEFAULT_BODY_OPTIONS), { ok: false, code: 'BAD_BCD', offset: 30 }, 'location time error offset is in the 0x0801 body');
  t.throws(() => encode0801({ mediaId: 1, mediaType: 0, format: 0, event: 0, channel: 1 }, Buffer.alloc(27), Buffer.alloc(0)), RangeError);
  const view = hexToBuffer('0000007b01020102000004000000080006eeb6ad02633df70138000300632007071923590d7b0d7b7b');
  const d = decode0801(view, DEFAULT_BODY_OPTIONS);
  view.fill(0);
  t.ok(d.ok && d.value.data.toString('hex') === '0d7b0d7b7b', 'data is a copy');
});

const reEncode8800 = (v: MediaResponse) => encode8800(v);
runCases('0x8800 multimedia upload response', decode8800, [
  { name: 'go-jt808#17 resend 1..9', hex: '7e880000170123456789017fff0000c15f09000100020003000400050006000700080009017e', expect: { mediaId: 49503, missing: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, encode: reEncode8800, okWhen: (n) => n === 4 },
  { name: 'smallchi#30 two ids', hex: '7E8800000900012345678900010000008102010203048E7E', expect: { mediaId: 129, missing: [0x0102, 0x0304] }, encode: reEncode8800, okWhen: (n) => n === 4 },
  { name: 'smallchi#31 everything received (4-byte body)', hex: '7E88000004000123456789000100000081857E', expect: { mediaId: 129, missing: [] }, encode: reEncode8800 },
  { name: '2011: WORD reply serial first', hex: '0005000000810200010002', opts: { registerVersion: '2011' }, expect: { replySerial: 5, mediaId: 129, missing: [1, 2] }, encode: (v) => encode8800(v, '2011'), okWhen: (n) => n === 6 },
]);

t.test('0x8800 encoder limits', async (t) => {
  t.equal(encode8800({ mediaId: 7 }).toString('hex'), '00000007');
  t.equal(encode8800({ mediaId: 7, missing: [] }).toString('hex'), '00000007');
  t.throws(() => encode8800({ mediaId: 7, missing: new Array(126).fill(1) }), RangeError, 'at most 125 indexes');
  t.throws(() => encode8800({ mediaId: 7 }, '2011'), RangeError, '2011 needs the reply serial');
});
