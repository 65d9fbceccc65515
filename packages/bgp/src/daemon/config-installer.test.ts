/**
 * Tests for `ConfigInstaller`: a refused text never reaches the installed file, and a
 * restore puts an earlier text back without asking BIRD's parser again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BirdConfigRejectedError } from '../bird/check-bird-config.ts';
import { ConfigInstaller } from './config-installer.ts';

describe('ConfigInstaller', () => {
  let dir: string;
  let checked: string[];
  let installer: ConfigInstaller;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'percale-config-installer-'));
    checked = [];
    installer = new ConfigInstaller({
      path: join(dir, 'bird.conf'),
      check: async (path) => {
        const text = await readFile(path, 'utf8');
        checked.push(text);
        if (text.includes('bad')) throw new BirdConfigRejectedError(path, `${path}:1:1 syntax error`);
      },
    });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('install() keeps a refused text out of the installed file and points at where it kept it', async () => {
    await installer.install('good\n');
    await assert.rejects(installer.install('bad\n'), (err: BirdConfigRejectedError) => err.birdMessage === `${installer.rejectedPath}:1:1 syntax error`);
    assert.equal(await installer.read(), 'good\n');
    assert.equal(await readFile(installer.rejectedPath, 'utf8'), 'bad\n');
  });

  it('restore() puts an earlier text back without running the check, leaving no temporary file', async () => {
    await installer.install('new\n');
    await installer.restore('old\n');
    assert.equal(await installer.read(), 'old\n');
    assert.deepEqual(checked, ['new\n']);
    assert.deepEqual(await readdir(dir), ['bird.conf']);
  });
});
