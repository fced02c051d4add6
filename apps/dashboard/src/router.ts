import { useEffect, useState } from 'react';

/** A tiny History API router: the controller answers index.html for every non-API path. */

export const HOST_TABS = ['overview', 'queue', 'mailboxes'] as const;
export type HostTab = (typeof HOST_TABS)[number];

export type Route =
  | { page: 'fleet' }
  | { page: 'host'; id: string; tab: HostTab }
  | { page: 'groups' }
  | { page: 'group'; name: string }
  | { page: 'rollouts' }
  | { page: 'new-rollout' }
  | { page: 'rollout'; id: string }
  | { page: 'audit' }
  | { page: 'tokens' }
  | { page: 'not-found'; path: string };

export function parseRoute(path: string): Route {
  if (path === '/' || path === '') return { page: 'fleet' };
  const host = /^\/hosts\/([^/]+)(?:\/(queue|mailboxes))?\/?$/.exec(path);
  if (host) return { page: 'host', id: decodeURIComponent(host[1]), tab: (host[2] as HostTab | undefined) ?? 'overview' };
  if (/^\/groups\/?$/.test(path)) return { page: 'groups' };
  const group = /^\/groups\/([^/]+)\/?$/.exec(path);
  if (group) return { page: 'group', name: decodeURIComponent(group[1]) };
  if (/^\/rollouts\/?$/.test(path)) return { page: 'rollouts' };
  if (/^\/rollouts\/new\/?$/.test(path)) return { page: 'new-rollout' };
  const rollout = /^\/rollouts\/([^/]+)\/?$/.exec(path);
  if (rollout) return { page: 'rollout', id: decodeURIComponent(rollout[1]) };
  if (/^\/audit\/?$/.test(path)) return { page: 'audit' };
  if (/^\/tokens\/?$/.test(path)) return { page: 'tokens' };
  return { page: 'not-found', path };
}

const NAVIGATE = 'qfleet:navigate';

export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATE));
}

/**
 * Changes the query of the current page (the fleet page's filter): a new history entry, so Back
 * returns to the previous filter, or, with `replace` (each keystroke of a search), the same one.
 */
export function setSearch(search: string, replace = false): void {
  if (search === location.search) return;
  const path = location.pathname + search;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATE));
}

/** The query of the address bar (`?q=mx&state=failed`), followed through navigation and Back. */
export function useLocationSearch(): string {
  const [search, setValue] = useState(() => location.search);
  useEffect(() => {
    const update = () => setValue(location.search);
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE, update);
    };
  }, []);
  return search;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE, update);
    };
  }, []);
  return route;
}
