/**
 * Validation of rule ports (Calico's Port validator): numeric bounds 1–65535 and, for named
 * ports, the Kubernetes port-name rule.
 * @module
 */
import { portParts } from '../schema/unions.ts';
import { portName } from './names.ts';

/**
 * Why a decoded rule port is invalid, or undefined. For a bad range the reported value is the
 * offending bound, as in Calico (`"0:456"` reports `0`).
 */
export function rulePortProblem(value: number | string): { reason: string; value: unknown } | undefined {
  let port: ReturnType<typeof portParts>;
  try {
    port = portParts(value);
  } catch (err) {
    return { reason: (err as Error).message, value };
  }
  if ('portName' in port) {
    const reason = portName(port.portName);
    return reason === undefined ? undefined : { reason, value };
  }
  const bad = port.minPort < 1 ? port.minPort : port.maxPort < 1 ? port.maxPort : undefined;
  return bad === undefined ? undefined : { reason: 'port range invalid, port number must be between 1 and 65535', value: bad };
}
