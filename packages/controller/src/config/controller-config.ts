/**
 * The Neutron controller's resolved configuration: what `loadControllerConfig` reads out of
 * neutron.conf (networking-calico's `[calico]` options, Keystone credentials, the Neutron API
 * and oslo.messaging transports) with every default applied and every value checked.
 * @module
 */

/** networking-calico's `DEFAULT_BW_BURST`: the bandwidth burst (bits) used when `<dir>_burst_bits` is 0. */
export const DEFAULT_BW_BURST = 4294967296;
/** networking-calico's `DEFAULT_PR_BURST`: the packet burst used when `<dir>_burst_packets` is 0. */
export const DEFAULT_PR_BURST = 5;

/** How to reach etcd (`[calico] etcd_*`, spec §1.1, §2). */
export interface EtcdConfig {
  /**
   * One `http://host:port` URL, or `https://` when any TLS file is set: networking-calico
   * ignores `etcd_scheme` and talks to one etcd host or proxy.
   */
  endpoints: string[];
  host: string;
  port: number;
  /** Present when any of `etcd_ca_cert_file`, `etcd_cert_file`, `etcd_key_file` is set. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  username?: string;
  password?: string;
  /** Per-request timeout (`etcd_timeout`, default 60): large snapshot reads can take a while. */
  timeoutSeconds: number;
}

/** The QoS options of `[calico]` that feed `qosControls` (spec §1.1, §10.2); 0 means "not set". */
export interface QosConfig {
  maxIngressConnectionsPerPort: number;
  maxEgressConnectionsPerPort: number;
  ingressBurstBits: number;
  egressBurstBits: number;
  ingressMinburstBytes: number;
  egressMinburstBytes: number;
  ingressBurstPackets: number;
  egressBurstPackets: number;
}

/** Keystone password credentials from `[keystone_authtoken]`, for project names and API tokens. */
export interface KeystoneCredentials {
  /** `auth_url` with any trailing `/v3` replaced by exactly one `/v3` (spec §1.2). */
  authUrl: string;
  username: string;
  password: string;
  /** The project the token is scoped to (the service project). */
  projectName: string;
  userDomainName?: string;
  userDomainId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  regionName?: string;
}

/** How the controller authenticates to Neutron and Keystone. */
export type AuthConfig =
  /** `[DEFAULT] auth_strategy = noauth`: any token works and there are no project names. */
  | { strategy: 'noauth' }
  | { strategy: 'keystone'; keystone: KeystoneCredentials };

/** Leader election among the region's controllers (spec §9.4). */
export interface ElectionConfig {
  /** `[calico] elector_name`, default the host name: the election value is `<name>:<pid>`. */
  electorName: string;
  /** Lease TTL (Percale's `[calico] election_ttl_secs`, default 60 as in networking-calico). */
  ttlSeconds: number;
  /** Lease refresh interval (Percale's `[calico] election_refresh_secs`, default 10); less than the TTL. */
  refreshSeconds: number;
}

/** etcd compaction requests by the master (spec §9.5). */
export interface CompactionConfig {
  /** `[calico] etcd_compaction_period_mins` (default 60); 0 disables compaction requests. */
  periodMinutes: number;
  /** `[calico] etcd_compaction_min_revisions` (default 1000): history always kept. */
  minRevisions: number;
}

/** oslo.messaging settings: where Neutron publishes notifications and serves agent RPC. */
export interface MessagingConfig {
  notifications: {
    /** `[oslo_messaging_notifications] transport_url`, else `[DEFAULT] transport_url`; undefined when neither is set. */
    transportUrl?: string;
    /** `[oslo_messaging_notifications] driver` values (e.g. `messagingv2`, `noop`); empty means Neutron sends none. */
    drivers: string[];
    /** `[oslo_messaging_notifications] topics` (default `notifications`): routing keys are `<topic>.<priority>`. */
    topics: string[];
    /** `[DEFAULT] control_exchange` (default `neutron`): the topic exchange notifications are published to. */
    exchange: string;
  };
  rpc: {
    /** `[DEFAULT] transport_url`; undefined when unset. */
    transportUrl?: string;
    /** `[DEFAULT] control_exchange` (default `neutron`). */
    exchange: string;
  };
  /**
   * `[oslo_messaging_rabbit]` declaration flags. A consumer must declare exchanges and queues
   * exactly as oslo does, or RabbitMQ refuses with PRECONDITION_FAILED.
   */
  rabbit: {
    /** `amqp_durable_queues` (default false): exchanges and queues are durable. */
    durableQueues: boolean;
    /** `amqp_auto_delete` (default false): exchanges and queues are auto-delete. */
    autoDelete: boolean;
  };
}

/** Everything the controller needs from neutron.conf, resolved and checked. */
export interface ControllerConfig {
  /** The files read, in the order they were applied (later ones override earlier ones). */
  files: string[];
  etcd: EtcdConfig;
  /** `[calico] openstack_region`; undefined when unset or empty. */
  region: string | undefined;
  /** `no-region` or `region-<region>`: the segment of legacy key paths (status, election, subnets). */
  regionString: string;
  /** `openstack` or `openstack-region-<region>`: the namespace of this region's v3 resources. */
  namespace: string;
  election: ElectionConfig;
  /** `[calico] startup_resync` (default `always`): whether to resync Neutron into etcd at start. */
  startupResync: 'always' | 'never';
  /** `[calico] project_name_cache_max` (default 100): the project cache is emptied when it reaches this size. */
  projectNameCacheMax: number;
  compaction: CompactionConfig;
  qos: QosConfig;
  auth: AuthConfig;
  /**
   * The Neutron API base URL without a trailing `/`: Percale's `[calico] neutron_api_url`, else
   * `http://<[DEFAULT] bind_host>:<bind_port>` with a wildcard bind address read as 127.0.0.1
   * (the controller runs next to neutron-server). With Keystone, the catalog's `network`
   * endpoint would be an alternative; the explicit URL keeps noauth and Keystone deployments alike.
   */
  neutronApiUrl: string;
  messaging: MessagingConfig;
}
