/** Tests for the controller loops' abortable pause. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { abortableSleep } from './abortable-sleep.ts';

test('abortableSleep() resolves after the given time when not aborted', async () => {
  const start = performance.now();
  await abortableSleep(30, new AbortController().signal);
  assert.ok(performance.now() - start >= 25, 'resolved before its time');
});

test('abortableSleep() resolves early, without error, when the signal aborts', async () => {
  const controller = new AbortController();
  const start = performance.now();
  const pause = abortableSleep(10_000, controller.signal);
  setTimeout(() => controller.abort(), 10);
  await pause;
  assert.ok(performance.now() - start < 5_000, 'waited out the pause despite the abort');
});

test('abortableSleep() resolves at once for an already aborted signal', async () => {
  const controller = new AbortController();
  controller.abort();
  const start = performance.now();
  await abortableSleep(10_000, controller.signal);
  assert.ok(performance.now() - start < 5_000);
});
