import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration } from './go-duration.ts';

const cases: [string, string][] = [
  ['0', '0s'], ['0s', '0s'], ['10s', '10s'], ['90s', '1m30s'], ['200s', '3m20s'], ['1.5s', '1.5s'],
  ['-1ns', '-1ns'], ['1h', '1h0m0s'], ['1500ms', '1.5s'], ['1.5ms', '1.5ms'], ['2us', '2µs'], ['2µs', '2µs'],
  ['1h2m3.004s', '1h2m3.004s'], ['+5m', '5m0s'], ['.5s', '500ms'],
];

test('formatGoDuration(parseGoDuration()) writes Go Duration.String() forms', () => {
  for (const [input, expected] of cases) assert.equal(formatGoDuration(parseGoDuration(input)), expected, input);
});

test('parseGoDuration() rejects what time.ParseDuration rejects', () => {
  for (const bad of ['', '1', 's', '.s', '1x', '1.s5', '- 1s', '1s ']) {
    assert.throws(() => parseGoDuration(bad), SyntaxError, bad);
  }
  assert.throws(() => parseGoDuration('9223372036854775808ns'), RangeError);
});
