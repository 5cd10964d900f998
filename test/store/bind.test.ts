import t from 'tap';
import { checkParams, inlineParams, ParamError } from '../../src/store/bind.js';
import { settingsClause } from '../../src/store/db.js';

t.test('inlines each type as a literal of that type', async (t) => {
  t.equal(
    inlineParams('SELECT {a:UInt32}, {b:String}, {c:DateTime}, {d:Date}, {e:Array(String)}, {f:Int64}', {
      a: 7, b: "it's \\ fine", c: 1_700_000_000, d: '2026-03-10', e: ['x', "y'"], f: -5,
    }),
    "SELECT 7, 'it\\'s \\\\ fine', toDateTime(1700000000, 'UTC'), toDate('2026-03-10'), ['x', 'y\\''], -5",
  );
  t.equal(inlineParams('has({t:Array(String)}, x)', { t: [] }), 'has(emptyArrayString(), x)');
  t.equal(inlineParams('x IN {t:Array(String)}', { t: ['a', 'b'] }), "x IN ('a', 'b')", 'after IN: a tuple (18.16 refuses arrays there)');
  t.equal(inlineParams('x in {t:Array(UInt8)}', { t: [] }), 'x in (NULL)');
  t.equal(inlineParams('{a:String} {a:String}', { a: 'q' }), "'q' 'q'", 'a name used twice');
});

t.test('an injection attempt stays inside its literal', async (t) => {
  const sql = inlineParams('SELECT * FROM t WHERE k = {k:String}', { k: "x' OR 1=1 --" });
  t.equal(sql, "SELECT * FROM t WHERE k = 'x\\' OR 1=1 --'");
});

t.test('values that do not fit their type are refused, on both paths', async (t) => {
  const bad: [string, Record<string, unknown>][] = [
    ['{a:UInt8}', { a: 256 }],
    ['{a:UInt32}', { a: -1 }],
    ['{a:UInt32}', { a: 1.5 }],
    ['{a:UInt32}', { a: '7' }],
    ['{a:Int32}', { a: 2 ** 31 }],
    ['{a:String}', { a: 5 }],
    ['{a:DateTime}', { a: -1 }],
    ['{a:Date}', { a: '2026-3-1' }],
    ['{a:Array(String)}', { a: 'x' }],
    ['{a:Array(UInt16)}', { a: [1, 70000] }],
    ['{a:Float64}', { a: Number.NaN }],
    ['{a:Map(String,String)}', { a: 'x' }],
    ['{a:String}', {}],
    ['{a:String}', { a: 'x', b: 'unused' }],
  ];
  for (const [sql, params] of bad) {
    t.throws(() => inlineParams(sql, params as never), ParamError, `${sql} ${JSON.stringify(params)}`);
    t.throws(() => checkParams(sql, params as never), ParamError);
  }
});

t.test('settings clause: names checked, strings escaped', async (t) => {
  t.equal(settingsClause(undefined), '');
  t.equal(settingsClause({ a_b: 1, tok: "x'y" }), " SETTINGS a_b = 1, tok = 'x\\'y'");
  t.throws(() => settingsClause({ 'a; DROP': 1 }));
});
