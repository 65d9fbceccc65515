/** Tests of oslo transport URL parsing: hosts, defaults, IPv6, percent-encoding, redaction. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidTransportUrlError, parseTransportUrl, redactTransportUrl, type RabbitTransport } from './transport-url.ts';

describe('parseTransportUrl()', () => {
  const cases: [string, RabbitTransport][] = [
    ['rabbit://guest:guest@127.0.0.1:25672/', { hosts: [{ hostname: '127.0.0.1', port: 25672, username: 'guest', password: 'guest' }], vhost: '/' }],
    ['rabbit://openstack:s3cret@controller', { hosts: [{ hostname: 'controller', port: 5672, username: 'openstack', password: 's3cret' }], vhost: '/' }],
    ['rabbit://u:p@rmq1:5672,u:p@rmq2:5673/neutron', {
      hosts: [{ hostname: 'rmq1', port: 5672, username: 'u', password: 'p' }, { hostname: 'rmq2', port: 5673, username: 'u', password: 'p' }],
      vhost: 'neutron',
    }],
    // oslo gives each host its own credentials; one without them is reached as guest.
    ['rabbit://u:p@rmq1,rmq2:5670/', {
      hosts: [{ hostname: 'rmq1', port: 5672, username: 'u', password: 'p' }, { hostname: 'rmq2', port: 5670, username: 'guest', password: 'guest' }],
      vhost: '/',
    }],
    ['rabbit://u%40corp:p%2Fw%3Ad@[fd00::1]:5671/%2Fopenstack', { hosts: [{ hostname: 'fd00::1', port: 5671, username: 'u@corp', password: 'p/w:d' }], vhost: '/openstack' }],
    ['rabbit://[::1]/', { hosts: [{ hostname: '::1', port: 5672, username: 'guest', password: 'guest' }], vhost: '/' }],
    ['kombu://u:p@h1,,h2/?heartbeat=10', {
      hosts: [{ hostname: 'h1', port: 5672, username: 'u', password: 'p' }, { hostname: 'h2', port: 5672, username: 'guest', password: 'guest' }],
      vhost: '/',
    }],
  ];
  for (const [url, expected] of cases) {
    it(`parseTransportUrl() reads ${url}`, () => {
      assert.deepEqual(parseTransportUrl(url), expected);
    });
  }

  const invalid: [string, RegExp][] = [
    ['fake:/', /expected <scheme>:\/\//],
    ['kafka://h:9092/', /scheme "kafka" is not a RabbitMQ transport/],
    ['rabbit://u:p@h:99999/', /port "99999" of host "h" is not a number from 1 to 65535/],
    ['rabbit://u:p@h:x/', /port "x"/],
    ['rabbit://u:p@[::1/', /no closing "\]"/],
    ['rabbit:///', /no broker host/],
    ['rabbit://u:secret@/', /has no host name/],
  ];
  for (const [url, message] of invalid) {
    it(`parseTransportUrl() rejects ${url}`, () => {
      assert.throws(() => parseTransportUrl(url), (err: unknown) => {
        assert.ok(err instanceof InvalidTransportUrlError);
        assert.equal(err.code, 'CONTROLLER_TRANSPORT_URL_INVALID');
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      });
    });
  }
});

describe('redactTransportUrl()', () => {
  it('redactTransportUrl() hides every password and keeps the rest', () => {
    assert.equal(redactTransportUrl('rabbit://u:pw1@h1:5672,v:pw2@h2/vh'), 'rabbit://u:***@h1:5672,v:***@h2/vh');
    assert.equal(redactTransportUrl('rabbit://h1:5672/'), 'rabbit://h1:5672/');
  });
});
