/**
 * Tests of the Neutron lab harness against the real neutron-server and RabbitMQ: the operator
 * REST helpers work, a failed start-up leaves nothing behind, and stop() ends every process.
 */
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { neutronLabUnavailable, startLabRabbit, startNeutronLab, type LabRabbit, type NeutronLab } from './neutron-lab.ts';

const unavailable = await neutronLabUnavailable();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

describe('startNeutronLab()', { skip: unavailable }, () => {
  let rabbit: LabRabbit;
  let lab: NeutronLab;

  before(async () => {
    rabbit = await startLabRabbit();
    lab = await startNeutronLab({ rabbit, agentDownTime: 5 });
  });

  after(async () => {
    await lab?.stop();
    await rabbit?.stop();
  });

  it('startNeutronLab() serves the API on loopback and writes the config files it reports', async () => {
    assert.match(lab.neutronUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(lab.rabbitUrl, /^amqp:\/\/guest:guest@127\.0\.0\.1:\d+\/lab-\d+$/);
    assert.deepEqual(await lab.api.listAgents(), []);
    for (const file of lab.configFiles) assert.ok(await exists(file), `${file} exists`);
  });

  it('api helpers build a routed network with a floating IP on a VM port', async () => {
    const net = await lab.api.routedNetwork('10.66.0.0/24', '172.25.4.0/24');
    const sg = await lab.api.createSecurityGroup('web');
    const rule = await lab.api.createSecurityGroupRule(sg.id, {
      direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80,
    });
    const port = await lab.api.createPort(net.network.id, { host: 'lab-host-without-agent', security_groups: [sg.id] });
    assert.equal(port.device_owner, 'compute:nova');
    assert.equal(port['binding:host_id'], 'lab-host-without-agent');
    // No live agent on that host, so the percale driver refuses to bind.
    assert.equal(port['binding:vif_type'], 'binding_failed');
    const fip = await lab.api.createFloatingIp(net.external.id, port.id);
    assert.equal(fip.port_id, port.id);
    assert.equal(fip.fixed_ip_address, port.fixed_ips[0]!.ip_address);
    assert.match(fip.floating_ip_address, /^172\.25\.4\./);
    assert.equal((await lab.api.associateFloatingIp(fip.id, null)).port_id, null);

    const fetched = await lab.api.getSecurityGroup(sg.id);
    assert.ok(fetched?.security_group_rules.some((r) => r.id === rule.id));
    await lab.api.deleteSecurityGroupRule(rule.id);
    await lab.api.deletePort(port.id);
    assert.equal(await lab.api.getPort(port.id), undefined);
  });

  it('startNeutronLab() fails with the server log and removes everything when neutron-server cannot start', async () => {
    const err = await startNeutronLab({ rabbit, mechanismDrivers: ['no-such-driver'], startTimeoutMs: 60_000 }).then(
      () => assert.fail('start-up should have failed'),
      (e: Error) => e,
    );
    assert.match(err.message, /neutron-server did not answer/);
    assert.match(err.message, /no-such-driver/);
    const logDir = /\(log: (\S+)\/neutron-server\.log\)/.exec(err.message)?.[1];
    assert.ok(logDir, 'the message names the log file');
    assert.equal(await exists(logDir), false);
    // The shared broker is not the failed lab's to stop.
    assert.ok(rabbit.pids.every(alive));
  });

  it('stop() ends neutron-server, and the broker it started, by PID and removes the lab directory', async () => {
    const own = await startNeutronLab({ agentDownTime: 5 });
    const pids = [...own.pids];
    assert.equal(pids.length, 3, 'neutron-server, rabbitmq-server and epmd');
    assert.ok(pids.every(alive));
    await own.stop();
    assert.deepEqual(pids.filter(alive), []);
    assert.equal(await exists(own.dir), false);
  });
});
