/**
 * The daemons' logger: Felix's line format, per-destination severities, severity names.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger, formatLogLine, parseSeverity } from './logger.ts';

test('formatLogLine() writes Felix\'s timestamp, level and pid, then sorted fields', () => {
  const at = new Date(2026, 10, 21, 14, 23, 24, 530);
  assert.equal(formatLogLine('INFO', 'Started', { b: 'x y', a: 2, err: new Error('boom') }, at, 3635), '2026-11-21 14:23:24.530 [INFO][3635] Started a=2 b="x y" err=boom\n');
});

test('formatLogLine() leaves out fields whose value is undefined', () => {
  const at = new Date(2026, 10, 21, 14, 23, 24, 530);
  assert.equal(formatLogLine('INFO', 'Installed', { path: '/x', sha256: undefined, n: null }, at, 7), '2026-11-21 14:23:24.530 [INFO][7] Installed n=null path=/x\n');
});

test('createLogger() without a file writes the screen only, from the screen severity on', () => {
  const screen: string[] = [];
  const log = createLogger({ screenSeverity: 'INFO', writeScreen: (l) => screen.push(l), now: () => new Date(2026, 0, 2, 3, 4, 5, 6) });
  log.debug('d');
  log.info('i', { k: 'v' });
  assert.equal(screen.length, 1);
  assert.match(screen[0]!, /^2026-01-02 03:04:05\.006 \[INFO\]\[\d+\] i k=v\n$/);
});

test('parseSeverity() reads the names operators write', () => {
  const cases: [string, string | undefined][] = [
    ['debug', 'DEBUG'], ['Info', 'INFO'], [' warning ', 'WARNING'], ['warn', 'WARNING'], ['ERROR', 'ERROR'],
    ['none', undefined], ['', undefined], ['fatal', undefined], ['verbose', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseSeverity(text), want, JSON.stringify(text));
});

test('createLogger() filters screen and file by their own severities', () => {
  const dir = mkdtempSync(join(tmpdir(), 'percale-log-'));
  try {
    const screen: string[] = [];
    const path = join(dir, 'sub', 'felix.log');
    const log = createLogger({ screenSeverity: 'WARNING', fileSeverity: 'DEBUG', filePath: path, writeScreen: (l) => screen.push(l) });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    assert.deepEqual(screen.map((l) => l.match(/\[(\w+)\]/)![1]), ['WARNING', 'ERROR']);
    assert.deepEqual(readFileSync(path, 'utf8').trim().split('\n').map((l) => l.match(/\[(\w+)\]/)![1]), ['DEBUG', 'INFO', 'WARNING', 'ERROR']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('createLogger() with empty severities writes nothing', () => {
  const screen: string[] = [];
  const log = createLogger({ screenSeverity: '', fileSeverity: '', filePath: '', writeScreen: (l) => screen.push(l) });
  log.error('e');
  assert.deepEqual(screen, []);
});
