// `fleetgate decode`: spawned as a process (tsx) with arguments and with stdin, checking the JSON Lines,
// error objects and exit codes; plus direct calls of the line parser for the input forms.
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { encodePacket } from '../../protocols/jt808/packet.js';
import { encode0200 } from '../../protocols/jt808/messages/location.js';
import { decodeLine, parseDecodeArgs, parseHexLine, splitLine, type DecodeOptions } from '../../src/cli/decode.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = resolve(ROOT, 'src/cli.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  objects: any[];
}

/** Runs the CLI under tsx; `input` goes to stdin (closed either way). */
function run(args: string[], input?: string, viaTsxBin = false): Promise<Run> {
  const [cmd, argv] = viaTsxBin
    ? [resolve(ROOT, 'node_modules/.bin/tsx'), [CLI, ...args]]
    : [process.execPath, ['--import', 'tsx', CLI, ...args]];
  return new Promise((done, fail) => {
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => {
      // JSON Lines; help text and --pretty output are read from `stdout` instead.
      const objects = /^\{"/.test(stdout) ? stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l)) : [];
      done({ code, stdout, stderr, objects });
    });
    child.stdin.end(input ?? '');
  });
}

// The example frame of the analyser's documentation: 0x0200, phone 013800138000, serial 1.
const TIME = Date.parse('2026-11-26T02:00:00.000Z');
const LOCATION_HEX = encodePacket(
  { msgId: 0x0200, layout: '2013', phoneBcd: '013800138000', serial: 1 },
  encode0200({
    alarm: 0,
    status: 3,
    lat: 29.563,
    lon: 106.551,
    altitudeM: 320,
    speedKmh: 42.5,
    direction: 90,
    time: TIME,
    mileageKm: 1234.5,
    fuelL: 40.2,
    extras: [{ id: 0xe1, raw: Buffer.from([0x1a]) }],
  }),
).toString('hex');

const REGISTER_2011 = '7e010000200123456789010000001f007363640000007777772e3830382e3736353433323101b2e24131323334a17e';
const AUTH_2019 = '7e0102402f010000000001729984173800000b3137323939383431373338313233343536373839303132333435332e372e31350000000000000000000000000000227e';
const BATCH = '7e0704003f0123456789010000000200001c000004000000080007203b7d0202633df7013800030063241001235959001c000004000000080007203b7d0202633df7013800030063241001235959b67e';
const LENGTH_MISMATCH = '7E0801200500123456789002DE001A000228080001517E';
const HEARTBEAT = '7e0002000001234567890100008a7e';
const BAD_CHECKSUM = '7E0801200500123456789002DE001A00022808000102547E';

t.test('args: one 0x0200 frame → the documented JSON line, exit 0', async (t) => {
  const r = await run(['decode', LOCATION_HEX]);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.equal(r.objects.length, 1);
  t.same(r.objects[0], {
    ok: true,
    version: '2013',
    msgId: '0x0200',
    phone: '13800138000',
    serial: 1,
    checksumOk: true,
    subpackage: null,
    body: {
      alarm: 0,
      status: 3,
      acc: true,
      positioned: true,
      lat: 29.563,
      lon: 106.551,
      altitudeM: 320,
      speedKmh: 42.5,
      direction: 90,
      time: '2026-11-26T02:00:00.000Z',
      mileageKm: 1234.5,
      fuelL: 40.2,
      extras: [{ id: '0xe1', len: 1, hex: '1a' }],
    },
  });
  t.equal(r.stdout.split('\n').length, 2, 'one line + final newline');
});

t.test('args: several frames, register 2011, auth 2019, batch, one failure → exit 1', async (t) => {
  const r = await run(['decode', REGISTER_2011, AUTH_2019, BATCH, LENGTH_MISMATCH, HEARTBEAT]);
  t.equal(r.code, 1, 'a failed frame makes the exit code 1');
  t.equal(r.objects.length, 5, 'the CLI goes on after a failure');
  const [reg, auth, batch, bad, hb] = r.objects;
  t.match(reg, { ok: true, version: '2011', msgId: '0x0100', phone: '12345678901' });
  t.same(reg.body, { province: 31, city: 115, makerId: 'cd', model: 'www.808.', terminalId: '7654321', plateColor: 1, plate: '测A1234' });
  t.match(auth, { ok: true, version: '2019', msgId: '0x0102', phone: '17299841738' });
  t.same(auth.body, { authCode: '17299841738', imei: '123456789012345', softwareVersion: '3.7.15' });
  t.equal(batch.body.type, 0);
  t.equal(batch.body.items.length, 2);
  t.match(batch.body.items[0], { alarm: 1024, status: 2048, altitudeM: 312, speedKmh: 0.3, direction: 99, time: '2024-10-01T15:59:59.000Z' });
  t.equal(bad.ok, false);
  t.match(bad.error, /argument 4.*0x0801.*serial 734.*LENGTH_MISMATCH/);
  t.equal(bad.hex, LENGTH_MISMATCH.toLowerCase());
  t.same(Object.keys(bad).sort(), ['error', 'hex', 'ok']);
  t.match(hb, { ok: true, msgId: '0x0002', body: {} });
});

t.test('stdin: frames per line, streams, separators, comments, noise and non-hex lines', async (t) => {
  const input = [
    '# a comment line',
    '',
    `${HEARTBEAT}${HEARTBEAT.slice(2)}`, // two frames sharing a delimiter
    '0x7e 0x00 0x02 0x00 0x00 0x01 0x23 0x45 0x67 0x89 0x01 0x00 0x00 0x8a 0x7e',
    '7e:00:02:00:00:01:23:45:67:89:01:00:00:8a:7e',
    'hello world',
    `2424${HEARTBEAT}`,
    BAD_CHECKSUM,
    '0002000001234567890100008a', // no delimiters at all: one frame
  ].join('\n');
  const r = await run(['decode'], input);
  t.equal(r.code, 1);
  const kinds = r.objects.map((o) => (o.ok ? o.msgId : `error: ${o.error}`));
  t.same(kinds, [
    '0x0002',
    '0x0002',
    '0x0002',
    '0x0002',
    'error: line 6: not hex: "hello"',
    'error: line 7, byte 0: 2 byte(s) before the first 0x7e skipped',
    '0x0002',
    '0x0801',
    '0x0002',
  ]);
  const bad = r.objects[7];
  t.equal(bad.checksumOk, false, 'a bad checksum is shown, not fatal');
  t.same(bad.subpackage, { total: 26, index: 2 });
  t.same(bad.body, { fragmentLength: 5, fragment: '2808000102' });
});

t.test('stdin: all good → exit 0; empty input → exit 0 and no output', async (t) => {
  const good = await run(['decode'], `${HEARTBEAT}\n${REGISTER_2011}\n`);
  t.equal(good.code, 0);
  t.equal(good.objects.length, 2);
  const empty = await run(['decode'], '');
  t.equal(empty.code, 0);
  t.equal(empty.stdout, '');
});

t.test('subpackaged message: fragments, then the reassembled message', async (t) => {
  // SmallChi MergerTest: a 0x0104 in two fragments (vectors smallchi-jt808 #13 and #14), given in reverse order.
  const { loadVectors } = await import('../helpers/vectors.js');
  const frags = loadVectors().filter((v) => v.msgId === '0x0104' && v.tags.includes('subpackage'));
  t.equal(frags.length, 2);
  const r = await run(['decode'], `${frags[1].hex}\n${frags[0].hex}\n`);
  t.equal(r.code, 0);
  t.equal(r.objects.length, 3);
  t.same(r.objects.map((o) => o.subpackage), [{ total: 2, index: 2 }, { total: 2, index: 1 }, { total: 2, reassembled: true }]);
  const whole = r.objects[2];
  t.equal(whole.msgId, '0x0104');
  t.equal(whole.serial, 1233, 'serial of fragment 1');
  t.equal(whole.body.count, 107);
  t.equal(whole.body.params.length, 107);
  t.match(whole.body.params.find((p: { id: string }) => p.id === '0x0013'), { value: '222.184.26.22' });
});

t.test('options: --utc-offset, --pretty, --help, usage errors', async (t) => {
  const utc = await run(['decode', '--utc-offset', '0', LOCATION_HEX]);
  t.equal(utc.objects[0].body.time, '2026-11-26T10:00:00.000Z', 'device clock taken as UTC');
  const eq = await run(['decode', '--utc-offset=-300', LOCATION_HEX]);
  t.equal(eq.objects[0].body.time, '2026-11-26T15:00:00.000Z');

  const pretty = await run(['decode', '--pretty', HEARTBEAT]);
  t.equal(pretty.code, 0);
  t.match(pretty.stdout, /^\{\n {2}"ok": true,\n/);
  t.equal(JSON.parse(pretty.stdout).msgId, '0x0002');

  const help = await run(['decode', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /Usage: fleetgate decode/);
  const top = await run(['--help']);
  t.equal(top.code, 0);
  t.match(top.stdout, /decode/);

  for (const args of [['decode', '--utc-offset', 'x'], ['decode', '--utc-offset'], ['decode', '--nope'], ['frobnicate'], []]) {
    const r = await run(args);
    t.equal(r.code, 2, `exit 2 for ${JSON.stringify(args)}`);
    t.equal(r.stdout, '', 'nothing on stdout');
    t.match(r.stderr, /Usage: fleetgate/);
  }
});

t.test('works through the tsx binary too (npx tsx src/cli.ts decode …)', async (t) => {
  const r = await run(['decode', HEARTBEAT], undefined, true);
  t.equal(r.code, 0);
  t.equal(r.objects[0].msgId, '0x0002');
});

// ---------------------------------------------------------------------------------------------------
// Direct calls: input forms and splitting.

const OPTS: DecodeOptions = { utcOffsetMinutes: 480, pretty: false };

t.test('parseHexLine accepts the usual hex dump forms', async (t) => {
  for (const line of ['7e00 0102', '0x7e 0x00 0x01 0x02', '7E:00:01:02', '7e-00-01-02', ' 7e000102 ', '7e,00,01,02']) {
    const b = parseHexLine(line);
    t.ok(Buffer.isBuffer(b) && b.toString('hex') === '7e000102', line);
  }
  t.match(parseHexLine('7e0'), /odd number/);
  t.match(parseHexLine('7g'), /not hex/);
});

t.test('splitLine follows the splitter rules (SPEC §3.3)', async (t) => {
  const s = splitLine(Buffer.from('00117e01027e7e03047e05', 'hex'));
  t.same(s.frames.map((f) => f.inner.toString('hex')), ['0102', '0304']);
  t.same(s.noise.map((n) => n.bytes.toString('hex')), ['0011', '7e05']);
  t.same(splitLine(Buffer.from('7e7e7e', 'hex')).frames, [], 'delimiter runs are empty candidates');
});

t.test('decodeLine: escapes and errors say what and where', async (t) => {
  const badEscape = decodeLine('7e02007d037e', 'line 9', OPTS);
  t.same(badEscape, [{ ok: false, error: 'line 9, frame 1 at byte 0: INVALID_ESCAPE at byte 3 of the frame', hex: '7e02007d037e' }]);
  const short = decodeLine('7e01017e', 'line 1', OPTS);
  t.match(short[0], { ok: false, error: /FRAME_SHORT/ });
  // body error: a 0x0200 whose body is 4 bytes
  const frame = encodePacket({ msgId: 0x0200, layout: '2013', phoneBcd: '1', serial: 5 }, Buffer.alloc(4)).toString('hex');
  const body = decodeLine(frame, 'argument 1', OPTS);
  t.match(body[0], { ok: false, error: /argument 1, frame 1 at byte 0 \(0x0200, phone 1, serial 5\): body BODY_SHORT/ });
  // vendor id: shown raw, not a failure
  const vendor = decodeLine(encodePacket({ msgId: 0xe001, layout: '2019', phoneBcd: '1', serial: 5 }, Buffer.from([1, 2])).toString('hex'), 'x', OPTS);
  t.match(vendor[0], { ok: true, version: '2019', msgId: '0xe001', body: { hex: '0102' } });
});

t.test('parseDecodeArgs', async (t) => {
  t.match(parseDecodeArgs(['--utc-offset', '60', 'ab']), { ok: true, options: { utcOffsetMinutes: 60 }, hex: ['ab'] });
  t.match(parseDecodeArgs(['--register-version', '2011']), { ok: true, options: { registerVersion: '2011' } });
  t.match(parseDecodeArgs(['--', '--not-an-option']), { ok: true, hex: ['--not-an-option'] });
  t.match(parseDecodeArgs(['--utc-offset', '900']), { ok: false });
  t.match(parseDecodeArgs(['--register-version', '2020']), { ok: false });
});
