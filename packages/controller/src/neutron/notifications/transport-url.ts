/**
 * oslo.messaging transport URLs as neutron.conf gives them
 * (`rabbit://user:pass@host1:5672,user:pass@host2:5672/vhost`): the broker hosts to fail over
 * between, with the rabbit driver's defaults for what a host leaves out.
 * @module
 */

/** One broker of a transport URL. */
export interface RabbitHost {
  hostname: string;
  port: number;
  username: string;
  password: string;
}

/** A parsed rabbit transport URL. */
export interface RabbitTransport {
  /** Brokers in the URL's order: the failover list. */
  hosts: RabbitHost[];
  /** The virtual host (`/` when the URL has none). */
  vhost: string;
}

/** A transport URL that cannot be used; the message never shows the password. */
export class InvalidTransportUrlError extends Error {
  readonly code = 'CONTROLLER_TRANSPORT_URL_INVALID';

  constructor(url: string, reason: string) {
    super(`Invalid transport URL ${JSON.stringify(redactTransportUrl(url))}: ${reason}`);
    this.name = 'InvalidTransportUrlError';
  }
}

const DEFAULT_PORT = 5672;
const SCHEMES = new Set(['rabbit', 'kombu', 'amqp']);

/** `url` with every password replaced by `***`, for logs and error messages. */
export function redactTransportUrl(url: string): string {
  return url.replace(/([/,][^/,:@]*:)[^@/,]*@/g, '$1***@');
}

/**
 * Parses an oslo transport URL the way oslo does (hosts split on `,`, `[v6]:port`, percent-decoded
 * credentials and vhost) and fills in the rabbit driver's defaults: port 5672, user and password
 * `guest`, vhost `/`. As in oslo, each host has its own credentials: in `rabbit://u:p@h1,h2`, h2
 * is reached as guest.
 */
export function parseTransportUrl(url: string): RabbitTransport {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/i.exec(url.trim());
  if (!match) throw new InvalidTransportUrlError(url, 'expected <scheme>://[user:pass@]host[:port][,…]/[vhost]');
  const [, scheme, netloc, path] = match;
  if (!SCHEMES.has(scheme!.toLowerCase())) {
    throw new InvalidTransportUrlError(url, `scheme ${JSON.stringify(scheme)} is not a RabbitMQ transport (rabbit://)`);
  }
  const hosts: RabbitHost[] = [];
  for (const part of netloc!.split(',')) {
    if (part === '') continue;
    let credentials = { username: 'guest', password: 'guest' };
    let hostPort = part;
    const at = part.lastIndexOf('@');
    if (at >= 0) {
      const userInfo = part.slice(0, at);
      hostPort = part.slice(at + 1);
      const colon = userInfo.indexOf(':');
      credentials = colon < 0
        ? { username: decode(url, userInfo) || 'guest', password: 'guest' }
        : { username: decode(url, userInfo.slice(0, colon)) || 'guest', password: decode(url, userInfo.slice(colon + 1)) || 'guest' };
    }
    let hostname: string;
    let portText: string | undefined;
    if (hostPort.startsWith('[')) {
      const end = hostPort.indexOf(']');
      if (end < 0) throw new InvalidTransportUrlError(url, `host ${JSON.stringify(hostPort)} has no closing "]"`);
      hostname = hostPort.slice(1, end);
      const rest = hostPort.slice(end + 1);
      if (rest !== '' && !rest.startsWith(':')) throw new InvalidTransportUrlError(url, `unexpected ${JSON.stringify(rest)} after host ${JSON.stringify(hostname)}`);
      portText = rest === '' ? undefined : rest.slice(1);
    } else {
      const colon = hostPort.indexOf(':');
      hostname = colon < 0 ? hostPort : hostPort.slice(0, colon);
      portText = colon < 0 ? undefined : hostPort.slice(colon + 1);
    }
    if (hostname === '') throw new InvalidTransportUrlError(url, `a host entry ${JSON.stringify(part.replace(/:[^@]*@/, ':***@'))} has no host name`);
    let port = DEFAULT_PORT;
    if (portText !== undefined && portText !== '') {
      port = Number(portText);
      if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
        throw new InvalidTransportUrlError(url, `port ${JSON.stringify(portText)} of host ${JSON.stringify(hostname)} is not a number from 1 to 65535`);
      }
    }
    hosts.push({ hostname, port, ...credentials });
  }
  if (hosts.length === 0) throw new InvalidTransportUrlError(url, 'no broker host');
  const vhostPath = path === undefined || path === '/' ? '' : path.slice(1);
  return { hosts, vhost: vhostPath === '' ? '/' : decode(url, vhostPath) };
}

function decode(url: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InvalidTransportUrlError(url, `bad percent-encoding in ${JSON.stringify(text.replace(/.+/, '…'))}`);
  }
}
