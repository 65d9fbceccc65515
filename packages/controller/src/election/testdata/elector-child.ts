/**
 * A controller process reduced to its elector, for the election tests that kill a master
 * uncleanly: `node elector-child.ts <etcd endpoint> <elector name> <ttl s> <refresh s>`.
 * Prints `leader` / `follower` on each change; exits on SIGTERM after stepping down.
 */
import { EtcdStore } from '@percale/datastore';
import { LeaderElector } from '../leader-elector.ts';

const [endpoint, electorName, ttl, refresh] = process.argv.slice(2);
const store = new EtcdStore({ endpoints: [endpoint!], dialTimeoutMs: 2_000 });
const elector = new LeaderElector({
  kv: store.keyValues(),
  regionString: 'region-test',
  electorName: electorName!,
  ttlSeconds: Number(ttl),
  refreshSeconds: Number(refresh),
});
elector.on('leader', () => process.stdout.write('leader\n'));
elector.on('follower', () => process.stdout.write('follower\n'));
elector.start();
process.on('SIGTERM', () => {
  void elector.stop().then(() => store.close());
});
