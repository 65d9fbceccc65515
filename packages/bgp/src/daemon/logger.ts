/**
 * The BGP daemon's logger is the daemons' shared one in `@percale/daemon` (the agent's Felix
 * line format). These names remain for the modules that still import them from here.
 * @module
 */
import type { Logger } from '@percale/daemon';

/** A leveled, structured logger (`Logger` from `@percale/daemon`). */
export type BgpLogger = Logger;

export { SILENT_LOGGER as SILENT_BGP_LOGGER } from '@percale/daemon';
