import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySysctls } from '../routes/testing/fake-kernel.ts';
import { configureInterfaces, globalSysctls, readDefaultRPFilter, workloadInterfaceSysctls } from './workload-sysctls.ts';

describe('workloadInterfaceSysctls()', () => {
  it('workloadInterfaceSysctls() lists Felix\'s per-interface settings, IPv6 ones only with IPv6 on', () => {
    const text = (ipv6: boolean) => workloadInterfaceSysctls('tap1', { ipv6, rpFilter: '1' }).map((s) => `${s.key}=${s.value}${s.required ? '' : ' (optional)'}`);
    const v4 = [
      'net/ipv6/conf/tap1/accept_ra=0 (optional)',
      'net/ipv4/conf/tap1/route_localnet=1',
      'net/ipv4/neigh/tap1/proxy_delay=0 (optional)',
      'net/ipv4/conf/tap1/proxy_arp=1',
      'net/ipv4/conf/tap1/forwarding=1',
      'net/ipv4/conf/tap1/rp_filter=1',
    ];
    assert.deepEqual(text(false), v4);
    assert.deepEqual(text(true), [...v4, 'net/ipv6/conf/tap1/proxy_ndp=1', 'net/ipv6/conf/tap1/forwarding=1']);
  });
});

describe('globalSysctls()', () => {
  it('globalSysctls() enables forwarding only with IPForwarding on, IPv6 forwarding only with IPv6', () => {
    const keys = (ipForwarding: boolean, ipv6: boolean) => globalSysctls({ ipForwarding, ipv6 }).map((s) => `${s.key}=${s.value}`);
    assert.deepEqual(keys(true, true), ['net/ipv4/ip_forward=1', 'net/ipv6/conf/all/forwarding=1', 'net/netfilter/nf_conntrack_acct=1']);
    assert.deepEqual(keys(true, false), ['net/ipv4/ip_forward=1', 'net/netfilter/nf_conntrack_acct=1']);
    assert.deepEqual(keys(false, true), ['net/netfilter/nf_conntrack_acct=1']);
  });
});

describe('readDefaultRPFilter()', () => {
  it('readDefaultRPFilter() returns the kernel default, or 1 when unreadable or odd', async () => {
    const sysctls = new MemorySysctls();
    assert.equal(await readDefaultRPFilter(sysctls), '1');
    sysctls.values.set('net/ipv4/conf/default/rp_filter', '2');
    assert.equal(await readDefaultRPFilter(sysctls), '2');
    sysctls.values.set('net/ipv4/conf/default/rp_filter', '7');
    assert.equal(await readDefaultRPFilter(sysctls), '1');
  });
});

describe('configureInterfaces()', () => {
  it('configureInterfaces() writes all interfaces in one call and fails an interface only on a required setting', async () => {
    const sysctls = new MemorySysctls();
    sysctls.missing.add('net/ipv6/conf/tapA/accept_ra');
    sysctls.missing.add('net/ipv4/conf/tapB/proxy_arp');
    const results = await configureInterfaces(sysctls, new Map([['tapA', { ipv6: false, rpFilter: '0' }], ['tapB', { ipv6: false, rpFilter: '1' }]]));
    assert.equal(sysctls.writes.length, 1);
    assert.equal(results.get('tapA')?.configured, true);
    assert.deepEqual([...results.get('tapA')!.failures.keys()], ['net/ipv6/conf/tapA/accept_ra']);
    assert.equal(results.get('tapB')?.configured, false);
    assert.equal(sysctls.values.get('net/ipv4/conf/tapA/rp_filter'), '0');
  });
});
