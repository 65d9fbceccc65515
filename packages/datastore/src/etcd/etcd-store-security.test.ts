/**
 * EtcdStore against an etcd that requires TLS client certificates and, later in the
 * file, username/password authentication (one private server for this file, with a CA,
 * server and client certificate made by openssl in a tmpfs directory).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { isUnavailable } from '../errors.ts';
import { WatchRecorder } from '../testing/index.ts';
import { EtcdStore, type EtcdTlsOptions } from './etcd-store.ts';
import { startLocalEtcd, type LocalEtcd } from './local-server.ts';

let pki: string | undefined;
let etcd: LocalEtcd | undefined;

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all P-256. */
function makePki(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  key('ca');
  openssl('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=percale-test-ca', '-days', '1', '-out', 'ca.pem');
  const leaf = (name: string, cn: string, ext: string) => {
    key(name);
    openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  };
  leaf('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'percale-client', 'extendedKeyUsage=clientAuth\n');
}

function tlsFiles(): EtcdTlsOptions {
  return { caFile: join(pki!, 'ca.pem'), certFile: join(pki!, 'client.pem'), keyFile: join(pki!, 'client.key') };
}

function pool(name: string) {
  return { apiVersion: 'projectcalico.org/v3', kind: 'IPPool', metadata: { name }, spec: { cidr: '10.65.0.0/16' } };
}

before(async () => {
  pki = mkdtempSync('/dev/shm/percale-test-pki-');
  makePki(pki);
  etcd = await startLocalEtcd({
    dataDir: `/dev/shm/percale-test-${randomUUID()}`,
    removeDataOnStop: true,
    tls: { certFile: join(pki, 'server.pem'), keyFile: join(pki, 'server.key'), clientCAFile: join(pki, 'ca.pem') },
  });
});

after(async () => {
  await etcd?.stop();
  if (pki) rmSync(pki, { recursive: true, force: true });
});

void describe('EtcdStore over TLS with client certificates', () => {
  void test('EtcdStore() connects with CA, certificate and key files', async () => {
    const store = new EtcdStore({ endpoints: [etcd!.endpoint], tls: tlsFiles() });
    try {
      const created = await store.create(pool('tls-files'));
      assert.deepEqual(await store.get({ kind: 'IPPool', name: 'tls-files' }), created);
    } finally {
      await store.close();
    }
  });

  void test('EtcdStore() connects with inline PEM', async () => {
    const files = tlsFiles();
    const tls = { ca: readFileSync(files.caFile!, 'utf8'), cert: readFileSync(files.certFile!, 'utf8'), key: readFileSync(files.keyFile!, 'utf8') };
    const store = new EtcdStore({ endpoints: [etcd!.endpoint], tls });
    try {
      assert.deepEqual((await store.list({ kind: 'IPPool' })).items.map((r) => r.metadata.name), ['tls-files']);
    } finally {
      await store.close();
    }
  });

  void test('EtcdStore() without a client certificate cannot reach the server', async () => {
    const store = new EtcdStore({ endpoints: [etcd!.endpoint], tls: { caFile: tlsFiles().caFile }, dialTimeoutMs: 1_000 });
    try {
      const err = await store.list({ kind: 'IPPool' }).then(() => undefined, (e: unknown) => e as Error);
      assert.ok(isUnavailable(err), String(err));
      assert.ok(err.message.includes(etcd!.endpoint), err.message);
    } finally {
      await store.close();
    }
  });
});

void describe('EtcdStore with etcd authentication', () => {
  const password = `pw-${randomUUID()}`;

  before(async () => {
    const files = tlsFiles();
    const admin = new Etcd3({
      hosts: etcd!.endpoint,
      credentials: { rootCertificate: readFileSync(files.caFile!), certChain: readFileSync(files.certFile!), privateKey: readFileSync(files.keyFile!) },
    });
    try {
      await admin.user('root').create(password);
      await admin.user('root').addRole('root');
      await admin.auth.authEnable({});
    } finally {
      admin.close();
    }
  });

  void test('EtcdStore() with the right username and password reads and writes', async () => {
    const store = new EtcdStore({ endpoints: [etcd!.endpoint], tls: tlsFiles(), username: 'root', password });
    try {
      const created = await store.create(pool('with-auth'));
      assert.deepEqual(await store.get({ kind: 'IPPool', name: 'with-auth' }), created);
      const w = new WatchRecorder(store, { kind: 'IPPool' });
      try {
        await w.whenSynced();
        await store.delete({ kind: 'IPPool', name: 'tls-files' });
        await w.waitForEvents(3);
        assert.deepEqual(w.summary(), ['ADDED IPPool/tls-files', 'ADDED IPPool/with-auth', 'DELETED IPPool/tls-files']);
      } finally {
        await w.stop();
      }
    } finally {
      await store.close();
    }
  });

  void test('EtcdStore() with a wrong password fails with UnauthorizedError', async () => {
    const store = new EtcdStore({ endpoints: [etcd!.endpoint], tls: tlsFiles(), username: 'root', password: 'wrong' });
    try {
      const err = await store.get({ kind: 'IPPool', name: 'with-auth' }).then(() => undefined, (e: unknown) => e as Error & { code?: string });
      assert.equal(err?.code, 'DATASTORE_UNAUTHORIZED', String(err));
      assert.match(err.message, /^connection is unauthorized: Cannot get IPPool\(with-auth\): etcd refused the request: .*authentication failed/);
    } finally {
      await store.close();
    }
  });

  void test('watch() with a wrong password ends with UnauthorizedError', async () => {
    const store = new EtcdStore({ endpoints: [etcd!.endpoint], tls: tlsFiles(), username: 'root', password: 'wrong' });
    try {
      const closed = await new Promise<Error | undefined>((resolve) => {
        store.watch({ kind: 'IPPool' }, { revision: '1', onEvent: () => undefined, onClosed: resolve });
      });
      assert.equal((closed as { code?: string } | undefined)?.code, 'DATASTORE_UNAUTHORIZED', String(closed));
    } finally {
      await store.close();
    }
  });
});
