// 0x0107 terminal attributes: 2013/2019 widths, and the 5- vs 11-byte 2019 maker id chosen by the
// total length (SPEC §10.10).
import t from 'tap';
import { DEFAULT_BODY_OPTIONS } from '../../../protocols/jt808/messages/options.js';
import { decode0107, encode0107, type TerminalAttributesInput } from '../../../protocols/jt808/messages/attributes.js';
import { runCases } from '../../helpers/fixture-cases.js';

// ---- fixtures ----------------------------------------------------------------------------------

const sample: TerminalAttributesInput = {
  terminalType: 0x41,
  makerId: 'MAKER',
  model: 'FG-100',
  terminalId: 'A1B2C3D',
  iccid: '89860012345678901234',
  hardwareVersion: 'HW1.0',
  firmwareVersion: 'FW2.3.4',
  gnssModule: 0x03,
  commModule: 0x20,
};
const maker11 = encode0107({ ...sample, makerId: '44030012345' }, '2019', 11).toString('hex');

runCases('0x0107 terminal attributes', decode0107, [
  {
    name: 'SmallChi JT808_0x0107Test 2013',
    hex: '7E0107004111223344556622B8000531303630313130343535353435393535313033000000000000346436613133001234567890123456789007616263646566670A706F69757974726577710709EA7E',
    expect: {
      terminalType: 5,
      makerId: '10601',
      model: '10455545955103',
      terminalId: '4d6a13',
      iccid: '12345678901234567890',
      hardwareVersion: 'abcdefg',
      firmwareVersion: 'poiuytrewq',
      gnssModule: 7,
      commModule: 9,
      version: '2013',
      makerIdWidth: 5,
    },
    encode: (v, o) => encode0107(v, o.layout),
  },
  {
    name: 'SmallChi JT808_0x0107Test Test4: 2019 device, 5-byte maker id (SmallChi/JT808#43)',
    hex: '7E010740660100000000010941000493000700FF3838383838434B31303043000000000000000000000000000000000000000000000000313030303439330000000000000000000000000000000000000000000000898603249475600329000748572D56322E350E434B313030432D4A542D5630323402209B7E',
    expect: {
      terminalType: 0xff,
      makerId: '88888',
      model: 'CK100C',
      terminalId: '1000493',
      iccid: '89860324947560032900',
      hardwareVersion: 'HW-V2.5',
      firmwareVersion: 'CK100C-JT-V024',
      gnssModule: 2,
      commModule: 0x20,
      version: '2019',
      makerIdWidth: 5,
    },
    encode: (v, o) => encode0107(v, o.layout, v.makerIdWidth),
  },
  {
    name: '2019 device sending an 11-byte maker id (SmallChi/JT808#52, #60)',
    hex: maker11,
    opts: { layout: '2019' },
    expect: { makerId: '44030012345', model: 'FG-100', terminalId: 'A1B2C3D', iccid: '89860012345678901234', firmwareVersion: 'FW2.3.4', version: '2019', makerIdWidth: 11 },
    encode: (v, o) => encode0107(v, o.layout, v.makerIdWidth),
  },
]);

t.test('0x0107 length validation', async (t) => {
  const body = encode0107(sample, '2013');
  t.match(decode0107(Buffer.concat([body, Buffer.from([0])]), DEFAULT_BODY_OPTIONS), { ok: false, code: 'BODY_INVALID' }, 'a byte too many');
  t.match(decode0107(encode0107(sample, '2019'), DEFAULT_BODY_OPTIONS), { ok: false }, 'a 2019 body under a 2013 header does not fit');
  t.match(decode0107(body, { ...DEFAULT_BODY_OPTIONS, layout: '2019' }), { ok: false }, 'nor a 2013 body under a 2019 header');
  t.throws(() => encode0107({ ...sample, makerId: '44030012345' }, '2019'), RangeError, '11 characters need makerIdWidth 11');
});
