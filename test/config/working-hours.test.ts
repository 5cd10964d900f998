// FLEETGATE_WORKING_HOURS: the grammar, its canonical text, and the messages for what it refuses.
import t from 'tap';
import { formatWorkingHours, loadConfig, parseWorkingHours } from '../../src/config.js';

const windows = (raw: string) => {
  const r = parseWorkingHours(raw);
  if (!r.ok) throw new Error(r.problem);
  return r.value;
};

t.test('default: Monday to Friday, 08:00-18:00', async (t) => {
  const cfg = loadConfig([], {});
  t.same(cfg.workingHours, [1, 2, 3, 4, 5].map((day) => ({ day, startMin: 480, endMin: 1080 })));
  t.ok(Object.isFrozen(cfg.workingHours) && Object.isFrozen(cfg.workingHours[0]), 'frozen like every setting');
});

t.test('accepted forms and their canonical text', async (t) => {
  const cases: Array<[string, string]> = [
    ['Mon-Fri 08:00-18:00', 'Mon-Fri 08:00-18:00'],
    ['mon-fri 08:00-18:00', 'Mon-Fri 08:00-18:00'],
    ['Mon-Fri 08:00-12:00 13:00-18:00; Sat 09:00-12:00', 'Mon-Fri 08:00-12:00 13:00-18:00, Sat 09:00-12:00'],
    ['Mon 08:00-18:00, Tue 08:00-18:00,Wed 08:00-18:00', 'Mon-Wed 08:00-18:00'],
    ['Sat-Sun 00:00-24:00', 'Sat-Sun 00:00-24:00'],
    ['Mon-Sun 00:00-24:00', 'Mon-Sun 00:00-24:00'],
    ['Fri 13:00-18:00, Mon-Thu 08:00-18:00', 'Mon-Thu 08:00-18:00, Fri 13:00-18:00'],
    ['none', 'none'],
    ['  NONE ', 'none'],
  ];
  for (const [raw, canonical] of cases) {
    t.equal(formatWorkingHours(windows(raw)), canonical, raw);
    t.same(windows(formatWorkingHours(windows(raw))), windows(raw), `${raw}: the canonical text parses back to the same windows`);
  }
  t.same(windows('Sat 09:30-12:15'), [{ day: 6, startMin: 570, endMin: 735 }]);
  t.same(windows('none'), []);
  t.equal(loadConfig(['--working-hours', 'Sat 09:00-12:00'], {}).workingHours.length, 1, 'as a flag too');
});

t.test('refused, with the reason', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty rule 1/],
    ['Mon-Fri', /rule 1 without a time window/],
    ['Monday 08:00-18:00', /rule 1 not starting with a day or day range/],
    ['Mon-Xyz 08:00-18:00', /rule 1 not starting with a day/],
    ['Fri-Mon 08:00-18:00', /runs backwards/],
    ['Mon-Fri 8:00-18:00', /not HH:MM-HH:MM/],
    ['Mon-Fri 08:00-25:00', /past 24:00/],
    ['Mon-Fri 08:60-18:00', /minute past 59/],
    ['Mon-Fri 22:00-06:00', /does not end after it starts \(split an overnight shift/],
    ['Mon-Fri 08:00-08:00', /does not end after it starts/],
    ['Mon-Fri 08:00-12:00 11:00-18:00', /overlapping an earlier window on Mon/],
    ['Mon-Fri 08:00-18:00,', /empty rule 2/],
    ['Mon-Fri 08:00-18:00; Fri 17:00-20:00', /rule 2 overlapping an earlier window on Fri/],
  ];
  for (const [raw, message] of cases) {
    const r = parseWorkingHours(raw);
    t.notOk(r.ok, JSON.stringify(raw));
    if (!r.ok) t.match(r.problem, message, JSON.stringify(raw));
  }
  t.throws(() => loadConfig([], { FLEETGATE_WORKING_HOURS: 'Mon-Fri 22:00-06:00' }), {
    message: /^FLEETGATE_WORKING_HOURS: "Mon-Fri 22:00-06:00" has rule 1 with a window that does not end after it starts/,
  });
});
