/**
 * `ProtoPort`: a protocol and port (optionally limited to a network), used by FelixConfiguration's
 * failsafe port lists.
 * @module
 */
import { int, string } from '../schema/scalars.ts';
import { always, struct } from '../schema/struct.ts';

/** `ProtoPort`. Its protocol is a plain string that must be `TCP`, `UDP` or `SCTP`. */
export const ProtoPort = struct('ProtoPort', {
  protocol: string(),
  port: always(int({ go: 'uint16' })),
  net: string(),
}, {
  rules: [
    (p, report) => {
      if (!['TCP', 'UDP', 'SCTP'].includes(p.protocol ?? '')) {
        report(['protocol'], "protocol must be 'TCP' or 'UDP' or 'SCTP'.", p.protocol ?? '');
      }
    },
  ],
});
