// Lint configuration. The import rules below are the written-down architecture
// (docs/architecture.md): each package may import only what its layer allows.
// Do not relax them to make a change compile; move the code instead.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'child_process', 'net', 'http', 'https', 'os', 'path', 'dgram', 'dns', 'tls', 'worker_threads', 'process'];
const deepImports = { group: ['@percale/*/src/*', '@percale/*/src/**'], message: 'Import another package through its exports map, not its files.' };
const testingFromProduction = { group: ['**/testing/**', '**/*.test.ts', '@percale/*/testing'], message: 'Production code must not import test helpers.' };
const etcdClient = { group: ['etcd3', 'etcd3/*', '@grpc/*'], message: 'Only packages/datastore/src/etcd/ talks to etcd; everything else goes through @percale/datastore.' };
const APPLICATIONS = ['@percale/cli', '@percale/agent', '@percale/controller', '@percale/bgp'];
/** Applications never import one another; libraries never import an application. */
const applicationsExcept = (self) => ({
  group: APPLICATIONS.filter((a) => a !== self).flatMap((a) => [a, `${a}/*`]),
  message: self ? 'Applications never import one another: move what two of them share into a library.' : 'A library never imports an application; move the shared code into the library instead.',
});

export default tseslint.config(
  { ignores: ['eslint.config.js', 'node_modules/**', '**/node_modules/**', '.state/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [deepImports] }],
    },
  },
  // api: pure logic shared with the browser; no Node built-ins, no I/O, no other Percale package.
  {
    files: ['packages/api/src/**/*.ts'],
    ignores: ['packages/api/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepImports, testingFromProduction,
          { group: nodeBuiltins, message: '@percale/api does no I/O and runs in browsers.' },
          { group: ['@percale/*', 'etcd3'], message: '@percale/api depends on nothing else in Percale.' }],
      }],
    },
  },
  // daemon: what the host daemons share (logger, felix.cfg reader). A leaf library: Node's
  // built-ins only (it writes log files), no other Percale package, never an application.
  {
    files: ['packages/daemon/src/**/*.ts'],
    ignores: ['packages/daemon/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepImports, testingFromProduction,
          applicationsExcept(),
          { group: ['@percale/*', 'etcd3', 'etcd3/*', '@grpc/*', 'amqplib', 'amqplib/*'], message: '@percale/daemon depends on nothing else in Percale and talks to no service.' }],
      }],
    },
  },
  // datastore: only the etcd module talks to etcd.
  {
    files: ['packages/datastore/src/**/*.ts'],
    ignores: ['packages/datastore/src/etcd/**', 'packages/datastore/src/**/*.test.ts', 'packages/datastore/src/testing/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepImports, testingFromProduction,
          etcdClient,
          applicationsExcept()],
      }],
    },
  },
  // applications: talk to the datastore through @percale/datastore, never to etcd directly.
  {
    files: ['packages/cli/src/**/*.ts'],
    ignores: ['packages/cli/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepImports, testingFromProduction, etcdClient, applicationsExcept('@percale/cli')],
      }],
    },
  },
  // agent/calc: the synchronous calculation graph — pure logic, no I/O, no dataplane.
  {
    files: ['packages/agent/src/calc/**/*.ts'],
    ignores: ['packages/agent/src/calc/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepImports, testingFromProduction,
          { group: nodeBuiltins, message: 'The calculation graph does no I/O.' },
          { group: ['**/dataplane/**', '**/drivers/**', '**/shims/**'], message: 'calc/ talks to the dataplane only through messages.ts.' },
          etcdClient, applicationsExcept('@percale/agent')],
      }],
    },
  },
  // agent/dataplane: managers consume messages; only drivers/ and shims/ touch the kernel.
  {
    files: ['packages/agent/src/dataplane/**/*.ts'],
    ignores: ['packages/agent/src/dataplane/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepImports, testingFromProduction,
          { group: ['**/calc/**'], message: 'dataplane/ consumes messages.ts, never calc/ internals.' },
          { group: ['node:child_process', 'child_process', 'node:net', 'net', 'node:dgram', 'dgram'], message: 'Only agent drivers/ and shims/ start processes or open sockets.' },
          etcdClient, applicationsExcept('@percale/agent')],
      }],
    },
  },
  {
    files: ['packages/agent/src/**/*.ts'],
    ignores: ['packages/agent/src/**/*.test.ts', 'packages/agent/src/calc/**', 'packages/agent/src/dataplane/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepImports, testingFromProduction,
          etcdClient,
          applicationsExcept('@percale/agent')],
      }],
    },
  },
  // controller: the Neutron controller. Only its neutron/rpc and neutron/notifications modules
  // speak AMQP; translate/ is pure (Neutron objects in, Calico resources out).
  {
    files: ['packages/controller/src/**/*.ts'],
    ignores: ['packages/controller/src/**/*.test.ts', 'packages/controller/src/neutron/rpc/**', 'packages/controller/src/neutron/notifications/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepImports, testingFromProduction,
          etcdClient,
          { group: ['amqplib', 'amqplib/*'], message: 'Only neutron/rpc and neutron/notifications speak AMQP.' },
          applicationsExcept('@percale/controller')],
      }],
    },
  },
  {
    files: ['packages/controller/src/translate/**/*.ts'],
    ignores: ['packages/controller/src/translate/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepImports, testingFromProduction,
          { group: nodeBuiltins, message: 'Translation is pure: Neutron objects in, Calico resources out.' },
          { group: ['etcd3', 'etcd3/*', '@grpc/*', 'amqplib', 'amqplib/*', '@percale/datastore'], message: 'Translation does no I/O.' }],
      }],
    },
  },
  // bgp: route distribution with BIRD; the renderer is a pure function of the datastore state.
  {
    files: ['packages/bgp/src/**/*.ts'],
    ignores: ['packages/bgp/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepImports, testingFromProduction,
          etcdClient,
          applicationsExcept('@percale/bgp')],
      }],
    },
  },
  {
    files: ['packages/bgp/src/render/**/*.ts'],
    ignores: ['packages/bgp/src/render/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [deepImports, testingFromProduction,
          { group: nodeBuiltins, message: 'The BIRD configuration renderer is pure.' },
          { group: ['@percale/datastore'], message: 'The renderer sees resources, not the datastore.' }],
      }],
    },
  },
);
