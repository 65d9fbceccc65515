/**
 * What every benchmark result records about the run, so numbers from a shared, noisy
 * machine can be read with their context (load average, CPU, runtime).
 */
import os from 'node:os';

/** Date, runtime, platform, CPU and the 1-minute load average at the time of the call. */
export function machineInfo() {
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.arch()} ${os.release()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    loadavg_1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}
