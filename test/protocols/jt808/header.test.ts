// Header (SPEC §4): layout detection by the length rule of §4.3, 2019 version byte, subpackage fields,
// canonical terminal id, and replies that mirror the request's header format.
import t from 'tap';
import { bcdDigits, canonicalTerminalId, canonicalTerminalIdAt, writeBcd } from '../../../protocols/jt808/bcd.js';
import { unescapeFrame, wrapFrame, xorChecksum } from '../../../protocols/jt808/framing.js';
import {
  decodeHeader,
  detectLayout,
  encodeHeaderAndBody,
  replyHeader,
  type Header,
  type HeaderSpec,
} from '../../../protocols/jt808/header.js';
import { decodePacket, encodePacket } from '../../../protocols/jt808/packet.js';
import { hexToBuffer } from '../../helpers/vectors.js';

function frameOf(wireHex: string): Buffer {
  const r = unescapeFrame(hexToBuffer(wireHex));
  if (!r.ok) throw new Error(`bad test frame ${wireHex}`);
  return r.frame;
}

function header(wireHex: string): Header {
  const r = decodeHeader(frameOf(wireHex));
  if (!r.ok) throw new Error(`header of ${wireHex}: ${r.code}`);
  return r.value;
}

/** Appends a checksum to header+body bytes (an unescaped frame as decodeHeader takes it). */
function withChecksum(headerAndBody: Buffer): Buffer {
  return Buffer.concat([headerAndBody, Buffer.from([xorChecksum(headerAndBody, 0, headerAndBody.length)])]);
}

t.test('2013 header (go-jt808 head_2013)', async (t) => {
  const hd = header('7e0002000001234567890100008a7e');
  t.match(hd, {
    msgId: 0x0002,
    bodyProperties: 0,
    bodyLength: 0,
    encryption: 0,
    subpackage: false,
    versionFlag: false,
    layout: '2013',
    protocolVersion: null,
    phoneBcd: '012345678901',
    terminalId: '12345678901',
    serial: 0,
    packetTotal: 0,
    packetIndex: 0,
    headerLength: 12,
  });
});

t.test('2019 header: version byte and BCD[10] phone (go-jt808 head_2019)', async (t) => {
  const hd = header('7e0002400001000000000172998417380000027e');
  t.match(hd, {
    msgId: 0x0002,
    bodyProperties: 0x4000,
    versionFlag: true,
    layout: '2019',
    protocolVersion: 1,
    phoneBcd: '00000000017299841738',
    terminalId: '17299841738',
    serial: 0,
    headerLength: 17,
  });
});

t.test('2019 header with protocol version 2, RSA and subpackage bits (SmallChi JT808HeaderTest)', async (t) => {
  const head = hexToBuffer('010264FF0200000000013812345678008700000000');
  const frame = withChecksum(Buffer.concat([head, Buffer.alloc(255, 0x41)]));
  const r = decodeHeader(frame);
  t.ok(r.ok);
  if (!r.ok) return;
  t.match(r.value, {
    msgId: 0x0102,
    bodyProperties: 0x64ff,
    bodyLength: 255,
    encryption: 1,
    subpackage: true,
    versionFlag: true,
    layout: '2019',
    protocolVersion: 2,
    terminalId: '13812345678',
    serial: 135,
    packetTotal: 0,
    packetIndex: 0,
    headerLength: 21,
  });
});

t.test('body-properties examples 0x24FF, 0x64FF, 0x44FF (SPEC §4.2)', async (t) => {
  for (const [props, layout, sub, flag] of [
    [0x24ff, '2013', true, false],
    [0x64ff, '2019', true, true],
    [0x44ff, '2019', false, true],
  ] as const) {
    const base = layout === '2019' ? 17 : 12;
    const frame = Buffer.alloc(base + (sub ? 4 : 0) + 255 + 1);
    frame.writeUInt16BE(0x0200, 0);
    frame.writeUInt16BE(props, 2);
    if (layout === '2019') frame[4] = 1;
    const r = decodeHeader(frame);
    t.ok(r.ok, props.toString(16));
    if (!r.ok) continue;
    t.equal(r.value.bodyLength, 255);
    t.equal(r.value.encryption, 1);
    t.equal(r.value.subpackage, sub);
    t.equal(r.value.versionFlag, flag);
    t.equal(r.value.layout, layout);
  }
});

t.test('bit 14 set but 2013 layout (SmallChi Test5_3, real device)', async (t) => {
  const hd = header('7E0102400C01003000068109024A3130303330303030363831857E');
  t.equal(hd.versionFlag, true, 'flag as sent');
  t.equal(hd.layout, '2013', 'layout by length');
  t.equal(hd.protocolVersion, null);
  t.equal(hd.phoneBcd, '010030000681');
  t.equal(hd.terminalId, '10030000681');
  t.equal(hd.serial, 2306);
  t.equal(hd.bodyLength, 12);
  t.equal(hd.headerLength, 12);
  const p = decodePacket(frameOf('7E0102400C01003000068109024A3130303330303030363831857E'));
  t.ok(p.ok && p.value.checksumOk && p.value.body.toString('latin1') === 'J10030000681');
});

t.test('bit 14 clear but 2019 layout (SmallChi JT808#26)', async (t) => {
  const hd = header('7E81040000010000000001341990550700016B7E');
  t.equal(hd.versionFlag, false);
  t.equal(hd.layout, '2019');
  t.equal(hd.protocolVersion, 1);
  t.equal(hd.phoneBcd, '00000000013419905507');
  t.equal(hd.terminalId, '13419905507');
  t.equal(hd.serial, 1);
  t.equal(hd.headerLength, 17);
});

t.test('detectLayout: bit 14 wins only when its layout fits', async (t) => {
  t.equal(detectLayout(0x4000, 17), '2019');
  t.equal(detectLayout(0x4000, 12), '2013');
  t.equal(detectLayout(0x0000, 12), '2013');
  t.equal(detectLayout(0x0000, 17), '2019');
  t.equal(detectLayout(0x2005, 16 + 5), '2013', 'subpackage fields count');
  t.equal(detectLayout(0x6005, 21 + 5), '2019');
  t.equal(detectLayout(0x0005, 13), null);
  t.equal(detectLayout(0x4005, 13), null);
});

t.test('neither layout fits → LENGTH_MISMATCH with a partial header', async (t) => {
  // go-jt808: declared body length 5, only 4 body bytes present.
  const r = decodeHeader(frameOf('7E0801200500123456789002DE001A000228080001517E'));
  t.notOk(r.ok);
  if (r.ok) return;
  t.equal(r.code, 'LENGTH_MISMATCH');
  t.ok(r.partial, 'partial header present');
  t.match(r.partial, { msgId: 0x0801, layout: '2013', serial: 734, subpackage: true, packetTotal: 26, packetIndex: 2, terminalId: '1234567890' });
  // decodePacket carries it as `header` so the gateway can answer result 2
  const p = decodePacket(frameOf('7E0801200500123456789002DE001A000228080001517E'));
  t.notOk(p.ok);
  if (!p.ok) {
    t.equal(p.code, 'LENGTH_MISMATCH');
    t.equal((p as { header?: Header }).header?.serial, 734);
  }

  // bit 14 set and long enough for a 2019 header: the partial header is read as 2019
  const f2019 = withChecksum(Buffer.concat([hexToBuffer('0200400a0100000000013800138000002a'), Buffer.alloc(3)]));
  const r2 = decodeHeader(f2019);
  t.notOk(r2.ok);
  if (!r2.ok) {
    t.equal(r2.code, 'LENGTH_MISMATCH');
    t.match(r2.partial, { layout: '2019', protocolVersion: 1, terminalId: '13800138000', serial: 42 });
  }

  // too short for any header
  const short = decodeHeader(hexToBuffer('000200000123456789'));
  t.notOk(short.ok);
  if (!short.ok) t.equal(short.code, 'FRAME_SHORT');
  const empty = decodeHeader(Buffer.alloc(0));
  t.notOk(empty.ok);
});

t.test('subpackage fields (go-jt808 fragment 2 of 26)', async (t) => {
  const hd = header('7E0801200500123456789002DE001A00022808000102537E');
  t.match(hd, { subpackage: true, packetTotal: 26, packetIndex: 2, serial: 734, bodyLength: 5, headerLength: 16 });
  const p = decodePacket(frameOf('7E0801200500123456789002DE001A00022808000102537E'));
  t.ok(p.ok);
  if (p.ok) {
    t.equal(p.value.body.toString('hex'), '2808000102', 'the packet fields are not part of the body');
    t.equal(p.value.checksumOk, true);
  }
  const bad = decodePacket(frameOf('7E0801200500123456789002DE001A00022808000102547E'));
  t.ok(bad.ok, 'a bad checksum is reported, not an error');
  if (bad.ok) {
    t.equal(bad.value.checksumOk, false);
    t.equal(bad.value.checksum, 0x54);
    t.equal(bad.value.checksumExpected, 0x53);
  }
});

t.test('canonical terminal id', async (t) => {
  t.equal(canonicalTerminalId('013800138000'), '13800138000');
  t.equal(canonicalTerminalId('00000000013800138000'), '13800138000');
  t.equal(canonicalTerminalId('000000000000'), '0', 'all zeros keeps one digit');
  t.equal(canonicalTerminalId('4ef480128919'), '4ef480128919', 'non-BCD kept as hex');
  t.equal(canonicalTerminalId('4EF480128919'), '4ef480128919', 'lower-cased');
  t.equal(canonicalTerminalId('00f480128919'), '00f480128919', 'non-BCD never stripped');

  const spec2013: HeaderSpec = { msgId: 0x0002, layout: '2013', phoneBcd: '013800138000', serial: 1 };
  const spec2019: HeaderSpec = { msgId: 0x0002, layout: '2019', phoneBcd: '13800138000', serial: 1 };
  const a = header(encodePacket(spec2013, Buffer.alloc(0)).toString('hex'));
  const b = header(encodePacket(spec2019, Buffer.alloc(0)).toString('hex'));
  t.equal(a.phoneBcd, '013800138000');
  t.equal(b.phoneBcd, '00000000013800138000');
  t.equal(a.terminalId, '13800138000');
  t.equal(b.terminalId, a.terminalId, '2013 and 2019 forms are one terminal');

  const imei = header(encodePacket({ msgId: 0x0200, layout: '2013', phoneBcd: '4ef480128919', serial: 1 }, Buffer.alloc(28)).toString('hex'));
  t.equal(imei.phoneBcd, '4ef480128919');
  t.equal(imei.terminalId, '4ef480128919');
});

t.test('encodeHeaderAndBody: exact bytes, round trip, range errors', async (t) => {
  // go-jt808 0x8001 vector: phone 012345678901, serial 0, body 7fff 0002 00
  const wire = encodePacket({ msgId: 0x8001, layout: '2013', phoneBcd: '012345678901', serial: 0 }, hexToBuffer('7fff000200'));
  t.equal(wire.toString('hex'), '7e8001000501234567890100007fff0002008e7e');
  // yezhihao 2019 0x8003
  const w19 = encodePacket(
    { msgId: 0x8003, layout: '2019', phoneBcd: '12345678901234567890', serial: 65535, protocolVersion: 1 },
    hexToBuffer('10990009000100020003000400050006000700080009'),
  );
  t.equal(w19.toString('hex'), '7e800340160112345678901234567890ffff10990009000100020003000400050006000700080009557e');
  // subpackage fields
  const sub = encodeHeaderAndBody({ msgId: 0x0801, layout: '2013', phoneBcd: '001234567890', serial: 734, packetTotal: 26, packetIndex: 2 }, hexToBuffer('2808000102'));
  t.equal(wrapFrame(sub).toString('hex').toUpperCase(), '7E0801200500123456789002DE001A00022808000102537E');
  // serial wraps to 16 bits
  const wrap = header(encodePacket({ msgId: 2, layout: '2013', phoneBcd: '1', serial: 0x10001 }, Buffer.alloc(0)).toString('hex'));
  t.equal(wrap.serial, 1);

  t.throws(() => encodeHeaderAndBody({ msgId: 1, layout: '2013', phoneBcd: '1', serial: 0 }, Buffer.alloc(1024)), RangeError);
  t.throws(() => encodeHeaderAndBody({ msgId: 1, layout: '2013', phoneBcd: '1234567890123', serial: 0 }, Buffer.alloc(0)), RangeError);
  t.doesNotThrow(() => encodeHeaderAndBody({ msgId: 1, layout: '2019', phoneBcd: '1234567890123', serial: 0 }, Buffer.alloc(1023)));
});

t.test('replyHeader mirrors the request format (SPEC §9)', async (t) => {
  const requests = [
    '7e0002000001234567890100008a7e', // 2013
    '7e0002400001000000000172998417380000027e', // 2019
    '7E0102400C01003000068109024A3130303330303030363831857E', // bit 14 set, 2013 layout
    '7E81040000010000000001341990550700016B7E', // bit 14 clear, 2019 layout
    '7e010240500112345678901234567890ffff2c706d59477a47756b4f384b345a356c70494f5467386471623365707259614842625853504c7464627947383d3132333435363738393031323334357777772e6a74743830382e636e00000000000000557e',
  ];
  for (const hex of requests) {
    const req = header(hex);
    const spec = replyHeader(req, 0x8001, 77);
    const body = Buffer.alloc(5);
    body.writeUInt16BE(req.serial, 0);
    body.writeUInt16BE(req.msgId, 2);
    const reply = header(encodePacket(spec, body).toString('hex'));
    const what = `${req.layout}/flag ${req.versionFlag}/${req.phoneBcd}`;
    t.equal(reply.msgId, 0x8001, what);
    t.equal(reply.serial, 77, what);
    t.equal(reply.layout, req.layout, `${what}: layout`);
    t.equal(reply.versionFlag, req.versionFlag, `${what}: version flag`);
    t.equal(reply.protocolVersion, req.protocolVersion, `${what}: protocol version`);
    t.equal(reply.phoneBcd, req.phoneBcd, `${what}: phone bytes echoed`);
    t.equal(reply.bodyLength, 5);
  }
  // 2019 protocol version other than 1 is echoed
  const v2 = Buffer.concat([hexToBuffer('0002400002000000000138123456780001')]);
  const req = decodeHeader(withChecksum(v2));
  t.ok(req.ok);
  if (req.ok) {
    const reply = header(encodePacket(replyHeader(req.value, 0x8001, 1), Buffer.alloc(5)).toString('hex'));
    t.equal(reply.protocolVersion, 2);
  }
});

t.test('decode → re-encode gives the same header bytes for every header style', async (t) => {
  const frames = [
    '7e0002000001234567890100008a7e',
    '7e0002400001000000000172998417380000027e',
    '7E0102400C01003000068109024A3130303330303030363831857E',
    '7E81040000010000000001341990550700016B7E',
    '7E0801200500123456789002DE001A00022808000102537E',
    '7e800340160112345678901234567890ffff10990009000100020003000400050006000700080009557e',
  ];
  for (const hex of frames) {
    const frame = frameOf(hex);
    const p = decodePacket(frame);
    t.ok(p.ok, hex);
    if (!p.ok) continue;
    const hd = p.value.header;
    const spec: HeaderSpec = {
      msgId: hd.msgId,
      layout: hd.layout,
      phoneBcd: hd.phoneBcd,
      serial: hd.serial,
      protocolVersion: hd.protocolVersion ?? undefined,
      versionFlag: hd.versionFlag,
      encryption: hd.encryption,
      packetTotal: hd.subpackage ? hd.packetTotal : undefined,
      packetIndex: hd.subpackage ? hd.packetIndex : undefined,
    };
    t.equal(encodePacket(spec, p.value.body).toString('hex'), hex.toLowerCase(), hex);
  }
});

// A 2019 frame cut by 5 bytes can fit the 2013 layout with bit 14 set (SPEC §4.3 accepts that); its
// "checksum" is then a phone or serial byte, so it shows up as a bad checksum instead of an error.
t.test('every truncation of a frame is an error value or a bad-checksum packet, never a throw', async (t) => {
  for (const hex of ['7e0002400001000000000172998417380000027e', '7E0801200500123456789002DE001A00022808000102537E', '7e0102402f010000000001729984173800000b3137323939383431373338313233343536373839303132333435332e372e31350000000000000000000000000000227e']) {
    const frame = frameOf(hex);
    const layout = header(hex).layout;
    let bad = 0;
    for (let n = 0; n < frame.length; n++) {
      const r = decodePacket(frame.subarray(0, n));
      if (r.ok ? r.value.checksumOk && r.value.header.layout === layout : !['FRAME_SHORT', 'LENGTH_MISMATCH'].includes(r.code)) bad++;
    }
    t.equal(bad, 0, `${frame.length} truncations of ${hex.slice(0, 12)}… rejected`);
  }
});

t.test('writeBcd: left-padded, hex letters kept, bad input refused', async (t) => {
  const b = Buffer.alloc(6, 0xff);
  writeBcd(b, 0, '13800138000', 6);
  t.equal(b.toString('hex'), '013800138000');
  writeBcd(b, 0, '0a1B2c', 6);
  t.equal(bcdDigits(b, 0, 6), '0000000a1b2c', 'non-BCD phones (hex text) round-trip');
  t.throws(() => writeBcd(b, 0, '1234567890123', 6), /longer than 12 digits/);
  t.throws(() => writeBcd(b, 0, '12x4', 6), /not hex digits/);
});

t.test('canonicalTerminalIdAt reads the id from ASCII phone bytes as canonicalTerminalId does from the string', async (t) => {
  for (const phone of ['013800138000', '000000000000', '00000000013800138000', '98765432109876543210', '0a1b2c3d4e5f', '']) {
    const buf = Buffer.from(`xx${phone}yy`, 'latin1');
    t.equal(canonicalTerminalIdAt(buf, 2, 2 + phone.length), canonicalTerminalId(phone), JSON.stringify(phone));
  }
});
