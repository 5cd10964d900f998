import t from 'tap';
import { addDays, Zone } from '../../src/store/timezone.js';

t.test('Asia/Shanghai days are UTC+8 midnights', async (t) => {
  const z = new Zone('Asia/Shanghai');
  const b = z.bounds('2026-03-10');
  t.equal(b.start, Date.UTC(2026, 2, 9, 16) / 1000);
  t.equal(b.end - b.start, 86_400);
  t.equal(z.day(b.start), '2026-03-10');
  t.equal(z.day(b.start - 1), '2026-03-09');
  t.equal(z.day(b.end - 1), '2026-03-10');
});

t.test('DST days are 23 and 25 hours long', async (t) => {
  const z = new Zone('Europe/Berlin');
  const spring = z.bounds('2026-03-29');
  t.equal(spring.end - spring.start, 23 * 3600);
  t.equal(spring.start, Date.UTC(2026, 2, 28, 23) / 1000);
  const autumn = z.bounds('2026-10-25');
  t.equal(autumn.end - autumn.start, 25 * 3600);
  const kathmandu = new Zone('Asia/Kathmandu'); // +5:45
  t.equal(kathmandu.bounds('2026-01-01').start, Date.UTC(2025, 11, 31, 18, 15) / 1000);
});

t.test('bad zone names fail clearly; day arithmetic', async (t) => {
  t.throws(() => new Zone('Mars/Olympus'), /unknown time zone "Mars\/Olympus"/);
  t.equal(addDays('2026-02-28', 1), '2026-03-01');
  t.equal(addDays('2026-01-01', -1), '2025-12-31');
});
