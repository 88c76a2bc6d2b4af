import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FromWorker } from '../../src/upcall/messages';
import { RULE_CREDIT_INTERVAL_MS, RuleCredits } from '../../src/upcall/rule-credits';

test('rule and table credits are summed per bridge and posted at most every interval', () => {
  const c = new RuleCredits();
  const posted: FromWorker[] = [];
  c.add('br0', [7, 8, 7], [1, 5 << 1, (2 << 1) | 1], 2n, 120n, 1000);
  c.add('br0', [8], [1], 1n, 60n, 1500);
  c.add('br1', [], [3 << 1], 4n, 400n, 900);
  c.add('br1', [9], [], 0n, 0n, 900); // no packets: nothing
  c.flush(1000, (m) => posted.push(m));
  assert.equal(posted.length, 2);
  const br0 = posted.find((m) => m.type === 'rule-stats' && m.bridge === 'br0');
  assert.deepEqual(br0, {
    type: 'rule-stats', bridge: 'br0',
    credits: [[7, 4n, 240n, 1000], [8, 3n, 180n, 1500]],
    tables: [[0, 3n, 0n], [5, 0n, 2n], [2, 2n, 0n]],
  });
  assert.deepEqual(posted.find((m) => m.type === 'rule-stats' && m.bridge === 'br1'), { type: 'rule-stats', bridge: 'br1', credits: [], tables: [[3, 0n, 4n]] });
  c.add('br0', [7], [1], 1n, 60n, 2000);
  posted.length = 0;
  c.flush(1000 + RULE_CREDIT_INTERVAL_MS - 1, (m) => posted.push(m));
  assert.equal(posted.length, 0, 'too soon');
  c.flush(1000 + RULE_CREDIT_INTERVAL_MS - 1, (m) => posted.push(m), true);
  assert.equal(posted.length, 1, 'forced');
});
