import t from 'tap';
import { chooseDistance } from '../../src/store/rollup/reconcile.js';
import { DEFAULT_RULES } from '../../src/store/rollup/rules.js';

const base = { gpsM: 20_000, odoM: 20_300, segments: 100, gpsSegments: 60, odoSegments: 100, odoResets: 0, odoJumps: 0 };
const choose = (x: Partial<typeof base>) => chooseDistance({ ...base, ...x }, DEFAULT_RULES);

t.test('each rule names why', async (t) => {
  t.same(choose({}), { distanceM: 20_300, source: 'odometer', rule: 'odometer_agrees_gps' });
  t.same(choose({ odoResets: 1 }), { distanceM: 20_300, source: 'odometer', rule: 'odometer_corrected_agrees_gps' });
  t.same(choose({ odoM: 30_000, odoJumps: 1 }), { distanceM: 20_000, source: 'gps', rule: 'odometer_anomalies_disagree_gps' });
  t.same(choose({ odoM: 30_000, odoSegments: 50 }), { distanceM: 20_000, source: 'gps', rule: 'odometer_sparse_disagrees_gps' });
  t.same(choose({ odoM: 30_000 }), { distanceM: 30_000, source: 'odometer', rule: 'odometer_clean_disagrees_gps' });
  t.same(choose({ odoSegments: 0, odoM: 0 }), { distanceM: 20_000, source: 'gps', rule: 'no_odometer' });
  t.same(choose({ gpsSegments: 0, gpsM: 0 }), { distanceM: 20_300, source: 'odometer', rule: 'no_gps' });
  t.same(choose({ gpsSegments: 0, gpsM: 0, odoM: 0 }), { distanceM: 0, source: 'odometer', rule: 'no_movement' });
  t.same(choose({ segments: 0, gpsSegments: 0, odoSegments: 0, gpsM: 0, odoM: 0 }), { distanceM: 0, source: 'none', rule: 'no_segments' });
});

t.test('tolerance: max(1 km, 10 %)', async (t) => {
  t.equal(choose({ gpsM: 500, odoM: 1500 }).rule, 'odometer_agrees_gps', '1 km absolute on short days');
  t.equal(choose({ gpsM: 500, odoM: 1600 }).rule, 'odometer_clean_disagrees_gps');
  t.equal(choose({ gpsM: 100_000, odoM: 110_000 }).rule, 'odometer_agrees_gps', '10 % of the larger');
  t.equal(choose({ gpsM: 100_000, odoM: 111_200 }).rule, 'odometer_clean_disagrees_gps');
});
