/**
 * Turns an OpenStack name (project, network, security group) into a valid label value the
 * way networking-calico does (spec §4.6), so labels written by either driver are identical.
 * @module
 */

/**
 * Sanitises `name` into a label value of at most `maxLength` characters: cut to `maxLength`
 * code points, replace every character outside `[-_.A-Za-z0-9]` by `_`, then drop leading and
 * trailing characters that are not ASCII letters or digits. The result may be empty.
 *
 * @example
 * sanitizeLabelValue("Dan's Project", 63); // "Dan_s_Project"
 * sanitizeLabelValue('Ünïcode net', 63);   // "n_code_net"
 */
export function sanitizeLabelValue(name: string, maxLength: number): string {
  // Python slices by code point: cut before replacing so an astral character counts once.
  const cut = Array.from(name).slice(0, Math.max(0, maxLength));
  const replaced = cut.map((ch) => (/^[-_.A-Za-z0-9]$/.test(ch) ? ch : '_')).join('');
  return replaced.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}
