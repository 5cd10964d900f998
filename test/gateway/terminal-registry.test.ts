// The registry keeps each terminal's registration texts (maker, model, version shared between terminals that send
// the same ones) through registration and a reload from its file.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileRegistryStore } from '../../src/gateway/registry-store.js';
import { TerminalRegistry } from '../../src/gateway/terminal-registry.js';

t.test('registration texts survive registration and reload, whether shared or not', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-registry-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'terminals.jsonl');
  const same = { makerId: 'FLEET', model: 'SIM-1', version: '1.0', plate: '渝A00001', plateColor: 1 };
  const reg = await TerminalRegistry.open(new FileRegistryStore(file), 'open');
  await reg.register('1', same, 1000);
  await reg.register('2', { ...same, plate: '渝A00002' }, 1000);
  await reg.register('3', { makerId: 'OTHER', model: 'M-9', plate: '渝A00003', plateColor: 2 }, 1000);
  const expect = {
    '1': { makerId: 'FLEET', model: 'SIM-1', version: '1.0', plate: '渝A00001' },
    '2': { makerId: 'FLEET', model: 'SIM-1', version: '1.0', plate: '渝A00002' },
    '3': { makerId: 'OTHER', model: 'M-9', plate: '渝A00003', plateColor: 2 },
  };
  for (const [id, fields] of Object.entries(expect)) t.match(reg.get(id), fields, `terminal ${id} as registered`);
  t.equal(reg.get('3')?.version, undefined, 'no version sent, none kept');
  await reg.close();

  const again = await TerminalRegistry.open(new FileRegistryStore(file), 'open');
  for (const [id, fields] of Object.entries(expect)) t.match(again.get(id), fields, `terminal ${id} after a reload`);
  t.equal(again.get('3')?.version, undefined);
  await again.close();
});
