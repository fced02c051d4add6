import { lowerAscii, parseList } from '@qfleet/qmail';

/**
 * The address a sender wrote to, from qmail-local's LOCAL and HOST. For a virtual domain
 * qmail-send delivered `prepend-user@domain` (QMAIL.md §1, virtualdomains), so LOCAL carries
 * the prepend; we strip it when the map says so, trying the keys in qmail-send's order
 * (`user@domain`, `domain`, each `.suffix`, the empty key).
 */
export function visibleAddress(local: string, host: string, virtualdomains: string | undefined): string {
  if (!virtualdomains) return `${local}@${host}`;
  const map = new Map<string, string>();
  for (const line of parseList(virtualdomains)) {
    const colon = line.indexOf(':');
    // a later duplicate key wins (QMAIL.md §0, colon maps)
    if (colon >= 0) map.set(lowerAscii(line.slice(0, colon)), line.slice(colon + 1));
  }
  const lcHost = lowerAscii(host);
  const prependFor = (user: string): string | undefined => {
    const keys = [`${lowerAscii(user)}@${lcHost}`, lcHost];
    for (let i = lcHost.indexOf('.'); i >= 0; i = lcHost.indexOf('.', i + 1)) keys.push(lcHost.slice(i));
    keys.push('');
    for (const k of keys) if (map.has(k)) return map.get(k);
    return undefined;
  };
  for (const prepend of new Set(map.values())) {
    if (!prepend || !local.toLowerCase().startsWith(prepend.toLowerCase() + '-')) continue;
    const user = local.slice(prepend.length + 1);
    if (prependFor(user) === prepend) return `${user}@${host}`;
  }
  return `${local}@${host}`;
}
