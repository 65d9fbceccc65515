/**
 * Tests of Percale's Python ML2 driver package (packages/neutron-driver) under the system
 * interpreter neutron-server uses: it byte-compiles, installs without pip, registers its entry
 * point, and derives the tap MAC and VIF details as Calico's driver does.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const driverDir = resolve(import.meta.dirname, '../../packages/neutron-driver');

const hasNeutron = await exec(PYTHON, ['-c', 'import neutron.plugins.ml2.drivers.mech_agent'], { timeout: 30_000 }).then(() => true, () => false);

async function python(code: string, pythonPath: string): Promise<string> {
  const { stdout } = await exec(PYTHON, ['-c', code], { env: { ...process.env, PYTHONPATH: pythonPath }, timeout: 60_000 });
  return stdout.trim();
}

describe('packages/neutron-driver', { skip: hasNeutron ? undefined : `${PYTHON} cannot import neutron (install python3-neutron)` }, () => {
  let prefix: string;

  before(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'percale-driver-'));
    await exec('sh', [join(driverDir, 'install.sh'), '--prefix', prefix, '--python', PYTHON], { timeout: 30_000 });
  });

  after(async () => {
    if (prefix) await rm(prefix, { recursive: true, force: true });
  });

  it('install.sh writes the module and a dist-info registering the percale mechanism driver', async () => {
    await access(join(prefix, 'percale_neutron', 'mech_percale.py'));
    const entryPoints = await readFile(join(prefix, 'percale_neutron-0.1.0.dist-info', 'entry_points.txt'), 'utf8');
    assert.match(entryPoints, /^\[neutron\.ml2\.mechanism_drivers\]\npercale = percale_neutron\.mech_percale:PercaleMechanismDriver$/m);
    // stevedore, which ML2 uses, resolves the entry point to the class.
    const loaded = await python(
      'import stevedore; print(stevedore.DriverManager("neutron.ml2.mechanism_drivers", "percale").driver.__name__)', prefix,
    );
    assert.equal(loaded, 'PercaleMechanismDriver');
  });

  it('the module byte-compiles with python3 -m py_compile', async () => {
    await exec(PYTHON, ['-m', 'py_compile', join(driverDir, 'percale_neutron', '__init__.py'), join(driverDir, 'percale_neutron', 'mech_percale.py')], {
      env: { ...process.env, PYTHONPYCACHEPREFIX: join(prefix, 'pycache') },
      timeout: 30_000,
    });
  });

  it('tap_mac() replaces the first octet with fe and falls back to 00:61:fe:ed:ca:fe', async () => {
    const cases: Array<[string, string]> = [
      ['"fa:16:3e:aa:bb:cc"', 'fe:16:3e:aa:bb:cc'],
      ['"00:11:22:33:44:55"', 'fe:11:22:33:44:55'],
      ['"not-a-mac"', '00:61:fe:ed:ca:fe'],
      ['"fa:16:3e:aa:bb"', '00:61:fe:ed:ca:fe'],
      ['None', '00:61:fe:ed:ca:fe'],
    ];
    const out = await python(
      `from percale_neutron.mech_percale import tap_mac\nfor m in [${cases.map(([arg]) => arg).join(', ')}]: print(tap_mac(m))`, prefix,
    );
    assert.deepEqual(out.split('\n'), cases.map(([, want]) => want));
  });

  it('PercaleMechanismDriver binds only local and flat segments of its own agent type, as tap with port_filter', async () => {
    const out = await python(`
import json
from percale_neutron.mech_percale import PercaleMechanismDriver
d = PercaleMechanismDriver()
felix = {"agent_type": "Calico per-host agent (felix)", "configurations": {}}
ovs = {"agent_type": "Open vSwitch agent", "configurations": {}}
class Ctx: current = {"mac_address": "fa:16:3e:01:02:03"}
print(json.dumps({
  "agent_type": d.agent_type, "vif_type": d.vif_type, "vnic": sorted(d.supported_vnic_types),
  "details": d.get_vif_details(Ctx, felix, None),
  "local": d.check_segment_for_agent({"network_type": "local"}, felix),
  "flat": d.check_segment_for_agent({"network_type": "flat", "physical_network": "any"}, felix),
  "vlan": d.check_segment_for_agent({"network_type": "vlan", "physical_network": "any"}, felix),
  "ovs": d.check_segment_for_agent({"network_type": "local"}, ovs),
}))`, prefix);
    assert.deepEqual(JSON.parse(out), {
      agent_type: 'Calico per-host agent (felix)',
      vif_type: 'tap',
      vnic: ['normal'],
      details: { connectivity: 'legacy', port_filter: true, mac_address: 'fe:16:3e:01:02:03' },
      local: true,
      flat: true,
      vlan: false,
      ovs: false,
    });
  });
});
