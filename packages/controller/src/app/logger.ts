/**
 * The controller's logger is the daemons' shared one in `@percale/daemon` (the agent's Felix
 * line format). The type remains here for the modules that still import it from here.
 * @module
 */
export type { Logger } from '@percale/daemon';
