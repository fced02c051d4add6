import type { HostileCase } from '../support/hostile-corpus';

/**
 * The hostile corpus of issue 10: what an attacker with a token, an agent secret, a socket
 * or a controller of their own sends, and the refusal a secure qfleet answers with. Data
 * only; test/e2e/hostile-corpus.e2e-spec.ts runs it against a real controller and real
 * agents, and checks that disk and database are the same before and after every case.
 *
 * Placeholders: {alpha} (host with queue, mailboxes and a supervised qmail-send), {beta}
 * (a plain host), {gamma} (a host whose secret the raw sockets use), {missingHost}
 * (a well-formed id of no host), {queueMsg} (a queued message of alpha), {joeMsg} (a
 * message in joe's Maildir on alpha), {outside} (a directory outside every qmail tree
 * holding `secret`, a root-only file), {longHost} (a 38-character host name).
 */

const cfg = (host: string) => `/api/hosts/{${host}}/config`;
const bad = (field: string, message = 'newline, carriage return or NUL') => ({ status: 400, field, message });

export const CORPUS: HostileCase[] = [
  // ——— tokens and roles ———
  { kind: 'rest', id: 'no-token', why: 'the API is not public', method: 'GET', path: '/api/hosts', token: 'none', expect: { status: 401, message: 'token' } },
  { kind: 'rest', id: 'unknown-token', why: 'a guessed token gets nothing', method: 'GET', path: '/api/hosts', token: 'bogus', expect: { status: 401, message: 'unknown API token' } },
  { kind: 'rest', id: 'agent-secret-on-rest', why: "a mail host's secret is not an API token", method: 'GET', path: '/api/hosts/{gamma}', token: 'agentSecret', expect: { status: 401 } },
  { kind: 'rest', id: 'enrol-token-on-rest', why: 'an enrol token is not an API token', method: 'GET', path: '/api/hosts', token: 'usedEnrolToken', expect: { status: 401 } },
  { kind: 'rest', id: 'viewer-writes-config', why: 'a viewer reads only', method: 'PUT', path: cfg('beta'), token: 'viewer', body: { locals: ['evil.example'] }, expect: { status: 403, message: 'operator role' } },
  { kind: 'rest', id: 'viewer-patches-config', why: 'a viewer reads only', method: 'PATCH', path: cfg('beta'), token: 'viewer', body: { me: 'evil.example' }, expect: { status: 403, message: 'operator role' } },
  { kind: 'rest', id: 'viewer-creates-admin-token', why: 'no escalation from viewer', method: 'POST', path: '/api/tokens', token: 'viewer', body: { name: 'escalate', role: 'admin' }, expect: { status: 403, message: 'admin role' } },
  { kind: 'rest', id: 'operator-creates-admin-token', why: 'no escalation from operator', method: 'POST', path: '/api/tokens', token: 'operator', body: { name: 'escalate', role: 'admin' }, expect: { status: 403, message: 'admin role' } },
  { kind: 'rest', id: 'operator-creates-host', why: 'hosts (and their enrol tokens) are admin business', method: 'POST', path: '/api/hosts', token: 'operator', body: { name: 'rogue.example.net' }, expect: { status: 403, message: 'admin role' } },
  { kind: 'rest', id: 'viewer-deletes-queued-mail', why: 'a viewer cannot destroy mail', method: 'DELETE', path: '/api/hosts/{alpha}/queue/{queueMsg}', token: 'viewer', expect: { status: 403 } },
  { kind: 'rest', id: 'viewer-deletes-mailbox-mail', why: 'a viewer cannot destroy mail', method: 'POST', path: '/api/hosts/{alpha}/mailboxes/joe/messages/delete', token: 'viewer', body: { ids: ['{joeMsg}'] }, expect: { status: 403 } },
  { kind: 'rest', id: 'viewer-stops-qmail', why: 'a viewer cannot stop mail service', method: 'POST', path: '/api/hosts/{alpha}/actions', token: 'viewer', body: { action: 'stop' }, expect: { status: 403 } },
  { kind: 'rest', id: 'viewer-starts-rollout', why: 'a viewer cannot change the fleet', method: 'POST', path: '/api/rollouts', token: 'viewer', body: { target: { hosts: ['{beta}'] }, change: { add: { locals: ['x.example'] } }, dryRun: true }, expect: { status: 403 } },
  { kind: 'rest', id: 'viewer-purges-queue', why: 'a viewer cannot destroy mail fleet-wide', method: 'POST', path: '/api/queue/purge', token: 'viewer', body: { target: { hosts: ['{alpha}'] }, criteria: { sender: 'a' }, confirm: true }, expect: { status: 403 } },

  // ——— wrong types, unknown fields, malformed bodies ———
  { kind: 'rest', id: 'list-as-string', why: 'a string is not a list of domains', method: 'PUT', path: cfg('beta'), token: 'admin', body: { locals: 'example.com' }, expect: { status: 400, field: 'locals' } },
  { kind: 'rest', id: 'integer-as-string', why: 'qmail reads unsigned decimal only', method: 'PUT', path: cfg('beta'), token: 'admin', body: { concurrencylocal: '10' }, expect: { status: 400, field: 'concurrencylocal' } },
  { kind: 'rest', id: 'negative-integer', why: 'scan_ulong has no sign', method: 'PUT', path: cfg('beta'), token: 'admin', body: { databytes: -1 }, expect: { status: 400, field: 'databytes' } },
  { kind: 'rest', id: 'fraction', why: 'scan_ulong has no fraction', method: 'PUT', path: cfg('beta'), token: 'admin', body: { timeoutremote: 1.5 }, expect: { status: 400, field: 'timeoutremote' } },
  { kind: 'rest', id: 'unknown-field', why: 'a typo must not be silently ignored', method: 'PUT', path: cfg('beta'), token: 'admin', body: { locals: ['a.example'], bogusField: 1 }, expect: { status: 400, message: 'bogusField' } },
  { kind: 'rest', id: 'document-is-array', why: 'the document is an object', method: 'PUT', path: cfg('beta'), token: 'admin', body: [], expect: { status: 400 } },
  { kind: 'rest', id: 'not-json', why: 'a broken body is refused whole', method: 'PUT', path: cfg('beta'), token: 'admin', rawBody: '{"locals": [', expect: { status: 400, message: 'JSON' } },
  { kind: 'rest', id: 'proto-pollution', why: '__proto__ must not reach an object', method: 'PUT', path: cfg('beta'), token: 'admin', rawBody: '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}', expect: { status: 400 } },
  { kind: 'rest', id: 'token-extra-field', why: 'strict bodies', method: 'POST', path: '/api/tokens', token: 'admin', body: { name: 'x', role: 'viewer', secret: 'mine' }, expect: { status: 400, message: 'secret' } },
  { kind: 'rest', id: 'token-role-root', why: 'only the three roles exist', method: 'POST', path: '/api/tokens', token: 'admin', body: { name: 'x', role: 'root' }, expect: { status: 400, field: 'role' } },
  { kind: 'rest', id: 'drift-policy-unknown', why: 'only report and enforce exist', method: 'PATCH', path: '/api/hosts/{beta}', token: 'admin', body: { driftPolicy: 'yolo' }, expect: { status: 400, field: 'driftPolicy' } },
  { kind: 'rest', id: 'host-name-number', why: 'a host name is a string', method: 'POST', path: '/api/hosts', token: 'admin', body: { name: 5 }, expect: { status: 400, field: 'name' } },
  { kind: 'rest', id: 'alias-no-destination', why: 'an empty .qmail file means default delivery, not nothing', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: 'x', destinations: [] }] }, expect: { status: 400, field: 'aliases[0].destinations' } },
  { kind: 'rest', id: 'destination-kind-unknown', why: 'only the modelled kinds are written', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: 'x', destinations: [{ kind: 'shell', value: 'id' }] }] }, expect: { status: 400, field: 'aliases[0].destinations[0].kind' } },
  { kind: 'rest', id: 'smtproute-port-0', why: 'a port is 1..65535', method: 'PUT', path: cfg('beta'), token: 'admin', body: { smtproutes: [{ domain: 'a.example', relay: 'r.example', port: 0 }] }, expect: { status: 400, field: 'smtproutes[0].port' } },

  // ——— NUL, CR and LF in every string field of the document ———
  { kind: 'rest', id: 'lf-me', why: 'a newline would add a second line qmail reads', method: 'PUT', path: cfg('beta'), token: 'admin', body: { me: 'mx.example\nevil' }, expect: bad('me') },
  { kind: 'rest', id: 'cr-helohost', why: 'CR splits the SMTP HELO', method: 'PUT', path: cfg('beta'), token: 'admin', body: { helohost: 'mx.example\revil' }, expect: bad('helohost') },
  { kind: 'rest', id: 'nul-smtpgreeting', why: 'NUL ends the value in C', method: 'PUT', path: cfg('beta'), token: 'admin', body: { smtpgreeting: 'hello\u0000evil' }, expect: bad('smtpgreeting') },
  { kind: 'rest', id: 'lf-doublebounceto', why: 'a newline adds a control line', method: 'PUT', path: cfg('beta'), token: 'admin', body: { doublebounceto: 'postmaster\n' }, expect: bad('doublebounceto') },
  { kind: 'rest', id: 'nul-locals', why: 'NUL in a list entry', method: 'PUT', path: cfg('beta'), token: 'admin', body: { locals: ['ok.example', 'a\u0000b.example'] }, expect: bad('locals[1]') },
  { kind: 'rest', id: 'lf-rcpthosts', why: 'a newline would add a relay domain', method: 'PUT', path: cfg('beta'), token: 'admin', body: { rcpthosts: ['x.example\nevil.example'] }, expect: bad('rcpthosts[0]') },
  { kind: 'rest', id: 'cr-badmailfrom', why: 'CR in a list entry', method: 'PUT', path: cfg('beta'), token: 'admin', body: { badmailfrom: ['@spam.example\r'] }, expect: bad('badmailfrom[0]') },
  { kind: 'rest', id: 'lf-virtualdomain-match', why: 'a newline would add a virtual domain', method: 'PUT', path: cfg('beta'), token: 'admin', body: { virtualdomains: [{ match: 'a.example\nb.example', prefix: 'p' }] }, expect: bad('virtualdomains[0].match') },
  { kind: 'rest', id: 'nul-virtualdomain-prefix', why: 'NUL in the prefix', method: 'PUT', path: cfg('beta'), token: 'admin', body: { virtualdomains: [{ match: 'a.example', prefix: 'p\u0000' }] }, expect: bad('virtualdomains[0].prefix') },
  { kind: 'rest', id: 'lf-smtproute-domain', why: 'a newline would add a route', method: 'PUT', path: cfg('beta'), token: 'admin', body: { smtproutes: [{ domain: 'a.example\n:evil.example', relay: 'r.example' }] }, expect: bad('smtproutes[0].domain') },
  { kind: 'rest', id: 'cr-smtproute-relay', why: 'CR in the relay', method: 'PUT', path: cfg('beta'), token: 'admin', body: { smtproutes: [{ domain: 'a.example', relay: 'r.example\r' }] }, expect: bad('smtproutes[0].relay') },
  { kind: 'rest', id: 'lf-alias-name', why: 'a newline in a file name', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: 'sales\nx', destinations: [{ kind: 'discard' }] }] }, expect: bad('aliases[0].name') },
  { kind: 'rest', id: 'nul-alias-domain', why: 'NUL in a file name', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: 'sales', domain: 'ex\u0000ample', destinations: [{ kind: 'discard' }] }] }, expect: bad('aliases[0].domain') },
  { kind: 'rest', id: 'lf-forward', why: 'a newline would add a |program line to the .qmail file', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: 'sales', destinations: [{ kind: 'forward', value: 'a@b.example\n|/bin/sh -c id' }] }] }, expect: bad('aliases[0].destinations[0].value') },
  { kind: 'rest', id: 'cr-maildir', why: 'CR in a delivery line', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: 'sales', destinations: [{ kind: 'maildir', value: './Maildir/\r' }] }] }, expect: bad('aliases[0].destinations[0].value') },
  { kind: 'rest', id: 'lf-autoreply-subject', why: 'a newline would inject a header', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: 'info', destinations: [{ kind: 'autoreply', autoreply: { subject: 'Thanks\nBcc: all@victim.example', body: 'x' } }] }] }, expect: bad('aliases[0].destinations[0].autoreply.subject') },
  { kind: 'rest', id: 'nul-autoreply-body', why: 'NUL in a message body', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: 'info', destinations: [{ kind: 'autoreply', autoreply: { subject: 'Thanks', body: 'a\u0000b' } }] }] }, expect: { status: 400, field: 'aliases[0].destinations[0].autoreply.body', message: 'NUL' } },
  { kind: 'rest', id: 'lf-filter-contains', why: 'a newline in a filter rule', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: 'f', destinations: [{ kind: 'filter', filter: { rules: [{ field: 'subject', contains: 'a\nb', action: 'discard' }] } }] }] }, expect: bad('aliases[0].destinations[0].filter.rules[0].contains') },
  { kind: 'rest', id: 'lf-assignment-user', why: 'a newline would add an assign line', method: 'PUT', path: cfg('beta'), token: 'admin', body: { assignments: [{ kind: 'exact', address: 'joe', user: 'joe\n=root:root:0:0:/root', uid: 503, gid: 78, home: '/home/joe' }] }, expect: bad('assignments[0].user') },
  { kind: 'rest', id: 'nul-assignment-home', why: 'NUL in a home path', method: 'PUT', path: cfg('beta'), token: 'admin', body: { assignments: [{ kind: 'exact', address: 'joe', user: 'joe', uid: 503, gid: 78, home: '/home/joe\u0000/x' }] }, expect: bad('assignments[0].home') },
  { kind: 'rest', id: 'cr-assignment-address', why: 'CR in an assign key', method: 'PUT', path: cfg('beta'), token: 'admin', body: { assignments: [{ kind: 'exact', address: 'joe\r', user: 'joe', uid: 503, gid: 78, home: '/home/joe' }] }, expect: bad('assignments[0].address') },

  // ——— path traversal where the agent reads or writes ———
  { kind: 'rest', id: 'alias-name-dotdot', why: 'an alias name becomes a file name in ~alias', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: '../../etc/cron.d/evil', destinations: [{ kind: 'discard' }] }] }, expect: { status: 400, field: 'aliases[0].name' } },
  { kind: 'rest', id: 'alias-name-absolute', why: 'an alias name becomes a file name in ~alias', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: '/etc/passwd', destinations: [{ kind: 'discard' }] }] }, expect: { status: 400, field: 'aliases[0].name' } },
  { kind: 'rest', id: 'alias-domain-slash', why: 'the domain is part of the file name', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: 'x', domain: '../../tmp', destinations: [{ kind: 'discard' }] }] }, expect: { status: 400, field: 'aliases[0].domain' } },
  { kind: 'rest', id: 'assignment-home-relative', why: 'qmail-lspawn chdirs to the home: it must be absolute', method: 'PUT', path: cfg('beta'), token: 'admin', body: { assignments: [{ kind: 'exact', address: 'joe', user: 'joe', uid: 503, gid: 78, home: 'home/joe' }] }, expect: { status: 400, field: 'assignments[0].home' } },
  { kind: 'rest', id: 'assignment-home-dotdot', hole: 4, why: '/home/../root is root\'s home under an innocent prefix', method: 'PUT', path: cfg('beta'), token: 'admin', body: { assignments: [{ kind: 'exact', address: 'joe', user: 'joe', uid: 503, gid: 78, home: '/home/../root' }] }, expect: { status: 400, field: 'assignments[0].home' } },
  { kind: 'rest', id: 'assignment-uid-0', hole: 4, why: 'qmail-lspawn never delivers as root; the mailbox API would serve root\'s home', method: 'PUT', path: cfg('beta'), token: 'admin', body: { assignments: [{ kind: 'exact', address: 'root', user: 'root', uid: 0, gid: 0, home: '/root' }] }, expect: { status: 400, field: 'assignments[0].uid' } },
  { kind: 'rest', id: 'mailbox-user-traversal', why: 'a user name picks a home', method: 'GET', path: '/api/hosts/{alpha}/mailboxes/..%2F..%2Fetc/messages', token: 'viewer', expect: { status: [400, 404], bodyNotContains: 'root:' } },
  { kind: 'rest', id: 'mailbox-user-dotdot', why: '".." passes a [A-Za-z0-9._-] check', method: 'GET', path: '/api/hosts/{alpha}/mailboxes/%2E%2E./messages', token: 'viewer', expect: { status: [400, 404] } },
  { kind: 'rest', id: 'mailbox-user-root', why: 'root\'s mail is never listed', method: 'GET', path: '/api/hosts/{alpha}/mailboxes/root/messages', token: 'viewer', expect: { status: [400, 403, 404] } },
  { kind: 'rest', id: 'mailbox-msg-traversal', why: 'a message id picks a file in the Maildir', method: 'GET', path: '/api/hosts/{alpha}/mailboxes/joe/messages/..%2F..%2F..%2Fsecret/raw', token: 'viewer', expect: { status: [400, 404], bodyNotContains: 'TOP SECRET' } },
  { kind: 'rest', id: 'mailbox-msg-absolute', why: 'a message id picks a file in the Maildir', method: 'GET', path: '/api/hosts/{alpha}/mailboxes/joe/messages/%2Fetc%2Fpasswd', token: 'viewer', expect: { status: [400, 404], bodyNotContains: 'root:' } },
  { kind: 'rest', id: 'mailbox-delete-traversal', why: 'deleting by id must not unlink outside the Maildir', method: 'POST', path: '/api/hosts/{alpha}/mailboxes/joe/messages/delete', token: 'operator', plant: [{ tree: 'joeHome', path: 'victim', content: 'keep me' }], body: { ids: ['../../victim', '../../../joe/victim', '/etc/passwd'] }, expect: { status: [200, 400, 404], bodyNotContains: '"deleted":["' }, mayChange: ['audit'] },
  { kind: 'rest', id: 'mailbox-symlink-read', hole: 3, why: 'a link in Maildir/new/ would serve a root-only file to a viewer', plant: [{ tree: 'joeHome', path: 'Maildir/new/1700000900.9.mx', symlinkTo: '{outside}/secret' }], method: 'GET', path: '/api/hosts/{alpha}/mailboxes/joe/messages/1700000900.9.mx/raw', token: 'viewer', expect: { status: [400, 403, 404, 502], bodyNotContains: 'TOP SECRET' } },
  { kind: 'rest', id: 'queue-id-traversal', why: 'a queue id is a number (an inode), never a path', method: 'GET', path: '/api/hosts/{alpha}/queue/..%2F..%2Fetc%2Fpasswd', token: 'viewer', expect: { status: 400 } },
  { kind: 'rest', id: 'queue-id-negative', why: 'a queue id is a positive number', method: 'GET', path: '/api/hosts/{alpha}/queue/-1', token: 'viewer', expect: { status: [400, 404] } },
  { kind: 'rest', id: 'queue-delete-path-ids', why: 'a queue id is a number, never a path', method: 'POST', path: '/api/hosts/{alpha}/queue/delete', token: 'operator', body: { ids: ['1/../../x'] }, expect: { status: 400, field: 'ids[0]' } },
  { kind: 'rest', id: 'host-id-traversal', why: 'a host is a UUID or a host name', method: 'GET', path: '/api/hosts/..%2F..%2Fetc/config', token: 'viewer', expect: { status: 400 } },
  { kind: 'rest', id: 'missing-host', why: 'an unknown id is 404, not a crash', method: 'PUT', path: cfg('missingHost'), token: 'admin', body: { locals: ['a.example'] }, expect: { status: 404 } },

  // ——— oversize ———
  { kind: 'rest', id: 'body-over-1mb', why: 'bodies are capped at 1 MB', method: 'PUT', path: cfg('beta'), token: 'admin', rawBody: { $repeat: ' ', times: 1_100_000 }, expect: { status: 413, message: '1 MB' } },
  { kind: 'rest', id: 'list-over-limit', why: 'lists are capped', method: 'PUT', path: cfg('beta'), token: 'admin', body: { locals: { $list: 'x', times: 100_001 } }, expect: { status: 400, field: 'locals' } },
  { kind: 'rest', id: 'autoreply-body-64k', why: 'an autoreply body is capped at 64 KB', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: 'info', destinations: [{ kind: 'autoreply', autoreply: { subject: 's', body: { $repeat: 'a', times: 70_000 } } }] }] }, expect: { status: 400, field: 'aliases[0].destinations[0].autoreply.body' } },
  { kind: 'rest', id: 'me-long', why: 'a host name has at most 253 characters', method: 'PUT', path: cfg('beta'), token: 'admin', body: { me: { $repeat: 'a', times: 300_000 } }, expect: { status: 400, field: 'me' } },
  { kind: 'rest', id: 'alias-name-5000', hole: 10, why: 'accepted, then refused by every agent for ever', method: 'PUT', path: cfg('beta'), token: 'admin', body: { aliases: [{ name: { $repeat: 'a', times: 5000 }, destinations: [{ kind: 'discard' }] }] }, expect: { status: 400, field: 'aliases[0].name' } },
  { kind: 'rest', id: 'mailbox-delete-id-long', why: 'message ids are capped', method: 'POST', path: '/api/hosts/{alpha}/mailboxes/joe/messages/delete', token: 'operator', body: { ids: [{ $repeat: 'a', times: 5000 }] }, expect: { status: 400, field: 'ids[0]' } },
  { kind: 'rest', id: 'queue-delete-too-many', why: 'one call deletes at most 10,000 ids', method: 'POST', path: '/api/hosts/{alpha}/queue/delete', token: 'operator', body: { ids: { $list: 1, times: 10_001 } }, expect: { status: 400, field: 'ids' } },

  // ——— one caller stalls everyone ———
  { kind: 'rest', id: 'backtracking-pattern', hole: 6, why: 'a glob matcher that backtracks blocked the event loop for 51 s', method: 'POST', path: '/api/queue/find', token: 'viewer', body: { target: { names: ['*?*?*?*?*?*?*?*?*?*?*?*?*?*Z'] }, criteria: { sender: 'x' } }, expect: { status: [200, 400], maxMs: 10_000 } },
  { kind: 'rest', id: 'many-patterns', why: 'patterns are limited in count (hole 6)', method: 'POST', path: '/api/queue/find', token: 'viewer', body: { target: { names: { $list: 'mx{i}*', times: 10_000 } }, criteria: { sender: 'x' } }, expect: { status: 400, field: 'target.names' } },
  { kind: 'rest', id: 'long-pattern', why: 'patterns are limited in length (hole 6)', method: 'POST', path: '/api/rollouts', token: 'operator', body: { target: { names: [{ $repeat: '*a', times: 5000 }] }, change: { add: { locals: ['x.example'] } }, dryRun: true }, expect: { status: 400, field: 'target.names[0]' } },
  { kind: 'rest', id: 'quadratic-validation', hole: 7, why: '10,000 locals and rcpthosts blocked the controller for 32 s', method: 'PUT', path: cfg('beta'), token: 'admin', body: { me: 'not a host name!', locals: { $list: 'd{i}.example', times: 10_000 }, rcpthosts: { $list: 'r{i}.example', times: 10_000 } }, expect: { status: 400, field: 'me', maxMs: 10_000 } },
  { kind: 'rest', id: 'queue-delete-nothing', hole: 12, why: 'deleting ids that do not exist stopped and restarted qmail-send', method: 'POST', path: '/api/hosts/{alpha}/queue/delete', token: 'operator', body: { ids: { $list: 999_999, times: 1 } }, serviceUntouched: true, expect: { status: [200, 404] }, mayChange: ['audit'] },

  // ——— program deliveries are a capability ———
  { kind: 'rest', id: 'operator-writes-program', hole: 5, why: '|program runs as the alias user on every host', method: 'PUT', path: cfg('beta'), token: 'operator', body: { aliases: [{ name: 'x', destinations: [{ kind: 'program', value: '/bin/sh -c id' }] }] }, expect: { status: 403, message: 'program' } },

  // ——— the HTTP surface ———
  { kind: 'rest', id: 'metrics-without-token', hole: 13, why: 'metrics name every host and its state', method: 'GET', path: '/metrics', token: 'none', expect: { status: 401 } },
  { kind: 'rest', id: 'docs-without-token', hole: 13, why: 'the API description is not for anyone', method: 'GET', path: '/api/docs', token: 'none', expect: { status: [401, 404] } },
  { kind: 'rest', id: 'openapi-without-token', hole: 13, why: 'the API description is not for anyone', method: 'GET', path: '/api/openapi.json', token: 'none', expect: { status: 401 } },
  { kind: 'rest', id: 'security-headers', hole: 13, why: 'the dashboard is not framed, sniffed or told what server runs it', method: 'GET', path: '/', token: 'none', expect: { status: 200, headers: { 'x-frame-options': '.', 'x-content-type-options': 'nosniff', 'content-security-policy': '.', 'x-powered-by': null } } },

  // ——— sockets: handshakes ———
  { kind: 'socket', id: 'agents-no-auth', why: 'no anonymous agent', namespace: '/agents', expect: { connectError: 'bad handshake' } },
  { kind: 'socket', id: 'agents-short-token', why: 'tokens have a shape', namespace: '/agents', auth: { token: 'abc' }, expect: { connectError: 'bad handshake' } },
  { kind: 'socket', id: 'agents-auth-string', why: 'auth is an object', namespace: '/agents', auth: 'token', expect: { connectError: 'bad handshake|transport close' } },
  { kind: 'socket', id: 'agents-auth-extra', why: 'strict handshake', namespace: '/agents', auth: { token: '{agentSecret}', hostId: '{beta}' }, expect: { connectError: 'bad handshake' } },
  { kind: 'socket', id: 'agents-unknown-token', why: 'a guessed secret gets nothing', namespace: '/agents', auth: { token: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }, expect: { connectError: 'unknown or already used agent token' } },
  { kind: 'socket', id: 'agents-api-token', why: 'an API token is not an agent secret', namespace: '/agents', auth: { token: '{adminToken}' }, expect: { connectError: 'unknown or already used agent token' } },
  { kind: 'socket', id: 'agents-used-enrol-token', why: 'an enrol token works once', namespace: '/agents', auth: { token: '{usedEnrolToken}' }, expect: { connectError: 'unknown or already used agent token' } },
  { kind: 'socket', id: 'ui-no-token', why: 'live progress is for token holders', namespace: '/ui', expect: { connectError: 'API token is required' } },
  { kind: 'socket', id: 'ui-agent-secret', why: "a mail host's secret is not an API token", namespace: '/ui', auth: { token: '{agentSecret}' }, expect: { connectError: 'unknown API token' } },
  { kind: 'socket', id: 'root-namespace-open', hole: 13, why: 'the root namespace accepted sockets without a token', namespace: '/', expect: { connectError: '.' } },
  { kind: 'socket', id: 'ui-huge-handshake', why: 'a 30 MB pre-auth handshake is refused (what it costs in memory is hole 8, measured by its fix)', namespace: '/ui', auth: { token: { $repeat: 'x', times: 30_000_000 } }, expect: { connectError: '.' } },

  // ——— sockets: malformed events from an authenticated agent ———
  { kind: 'socket', id: 'hello-not-object', why: 'a payload is an object', namespace: '/agents', auth: { token: '{agentSecret}' }, emit: [{ event: 'hello', payload: 'hello' }], expect: { refused: 'invalid hello' } },
  { kind: 'socket', id: 'hello-empty', why: 'missing fields', namespace: '/agents', auth: { token: '{agentSecret}' }, emit: [{ event: 'hello', payload: {} }], expect: { refused: 'invalid hello' } },
  { kind: 'socket', id: 'hello-negative-revision', why: 'a revision is 0 or more', namespace: '/agents', auth: { token: '{agentSecret}' }, emit: [{ event: 'hello', payload: { agentVersion: 'x', appliedRevision: -1, qmail: { installed: true, running: true }, files: {} } }], expect: { refused: 'appliedRevision' } },
  { kind: 'socket', id: 'report-file-traversal', why: 'reported paths are inside the qmail home', namespace: '/agents', auth: { token: '{agentSecret}' }, emit: [{ event: 'report', payload: { agentVersion: 'x', appliedRevision: 0, qmail: { installed: true, running: true }, files: { '../../etc/passwd': 'a'.repeat(64) } } }], expect: { refused: 'invalid report' } },
  { kind: 'socket', id: 'report-bad-hash', why: 'a hash is 64 hex digits', namespace: '/agents', auth: { token: '{agentSecret}' }, emit: [{ event: 'report', payload: { agentVersion: 'x', appliedRevision: 0, qmail: { installed: true, running: true }, files: { 'control/me': 'zz' } } }], expect: { refused: 'sha256' } },
  { kind: 'socket', id: 'report-names-host', why: 'no payload names a host', namespace: '/agents', auth: { token: '{agentSecret}' }, emit: [{ event: 'report', payload: { agentVersion: 'x', appliedRevision: 0, qmail: { installed: true, running: true }, files: {}, hostId: '{beta}' } }], expect: { refused: 'hostId' } },
  { kind: 'socket', id: 'hello-binary', why: 'binary where JSON is expected', namespace: '/agents', auth: { token: '{agentSecret}' }, emit: [{ event: 'hello', payload: 'AAECAwQ=', binary: true }], expect: { refused: 'invalid hello' } },
  { kind: 'socket', id: 'queue-stats-number', why: 'a payload is an object', namespace: '/agents', auth: { token: '{agentSecret}' }, emit: [{ event: 'queue.stats', payload: 5 }], expect: { refused: 'invalid queue.stats' } },
  { kind: 'socket', id: 'queue-stats-long-domain', why: 'a domain is at most 255 characters', namespace: '/agents', auth: { token: '{agentSecret}' }, emit: [{ event: 'queue.stats', payload: { at: '2026-01-01T00:00:00.000Z', messages: 1, unprocessed: 0, local: 0, remote: 1, bytes: 1, oldestAgeSec: 1, domains: [{ domain: 'a'.repeat(300), messages: 1, recipients: 1, nextRetryAt: null, oldestQueuedAt: null }] } }], expect: { refused: 'invalid queue.stats' } },
  {
    kind: 'socket',
    id: 'unknown-events-ignored',
    why: "an agent's event the controller does not listen to changes nothing",
    namespace: '/agents',
    auth: { token: '{agentSecret}' },
    emit: [
      { event: 'config.apply', payload: { revision: 1, files: [], removes: [], postSteps: [] } },
      { event: 'files.read', payload: {} },
      { event: 'enrolled', payload: { hostId: '{beta}', secret: 'x'.repeat(32) } },
      { event: 'hello', payload: null },
    ],
    expect: { refused: 'invalid hello' },
  },
  { kind: 'socket', id: 'hello-over-limit', hole: 8, why: 'an authenticated hello over the limit was dropped without the promised refusal', namespace: '/agents', auth: { token: '{agentSecret}' }, emit: [{ event: 'hello', payload: { agentVersion: { $repeat: 'x', times: 20_000_000 } } }], expect: { refused: 'limit' } },
  // Past the engine's frame limit the WebSocket is closed (1009) before a byte of it is parsed: the
  // controller never holds such a payload; the real agent checks its own payloads and never sends one.
  { kind: 'socket', id: 'hello-over-frame-limit', hole: 8, why: 'a frame past the hard limit is cut, not read', namespace: '/agents', auth: { token: '{agentSecret}' }, emit: [{ event: 'hello', payload: { agentVersion: { $repeat: 'x', times: 40_000_000 } } }], expect: { disconnected: true } },
  { kind: 'socket', id: 'ui-deleted-token', hole: 9, why: 'a deleted token kept receiving events', namespace: '/ui', auth: { token: '{tempViewer}' }, thenDeleteToken: true, expect: { disconnected: true }, mayChange: ['audit', 'tokens'] },

  // ——— acknowledgements a hostile agent sends ———
  { kind: 'socket', id: 'ack-future-revision', why: 'an ack for a revision never sent would mark the host converged', namespace: '/agents', auth: { token: '{agentSecret}' }, ackApplyWith: { revision: 999, ok: true, changed: [], skipped: [], ms: 1 }, expect: { controllerLog: 'names revision 999, but revision \\d+ was sent; ignored' } },
  { kind: 'socket', id: 'ack-other-hosts-revision', why: "host B's revision acknowledged over host A's socket", namespace: '/agents', auth: { token: '{agentSecret}' }, ackApplyWith: { revision: '{alphaRevision}', ok: false, changed: [], skipped: [], error: { step: 'x', message: 'y' }, ms: 1 }, expect: { controllerLog: 'but revision \\d+ was sent; ignored' } },
  { kind: 'socket', id: 'ack-replayed-revision', why: 'an old ack replayed', namespace: '/agents', auth: { token: '{agentSecret}' }, ackApplyWith: { revision: 1, ok: true, changed: [], skipped: [], ms: 1 }, expect: { controllerLog: 'names revision 1, but revision \\d+ was sent; ignored' } },
  { kind: 'socket', id: 'ack-malformed', why: 'an ack is an object', namespace: '/agents', auth: { token: '{agentSecret}' }, ackApplyWith: 'ok', expect: { controllerLog: 'malformed acknowledgement' } },

  // ——— config.apply to a real agent from a controller we control ———
  { kind: 'apply', id: 'apply-not-object', why: 'a payload is an object', payload: 'rm -rf /', expect: { ok: false, step: 'validate', message: 'object' } },
  { kind: 'apply', id: 'apply-null', why: 'a payload is an object', payload: null, expect: { ok: false, step: 'validate', message: 'object' } },
  { kind: 'apply', id: 'apply-missing-files', why: 'missing fields', payload: { revision: 5, removes: [], postSteps: [] }, expect: { ok: false, step: 'validate', message: 'files' } },
  { kind: 'apply', id: 'apply-revision-0', why: 'revisions start at 1', payload: { revision: 0, files: [], removes: [], postSteps: [] }, expect: { ok: false, step: 'validate', message: 'revision' } },
  { kind: 'apply', id: 'apply-revision-string', why: 'wrong type', payload: { revision: '5', files: [], removes: [], postSteps: [] }, expect: { ok: false, step: 'validate', message: 'revision' } },
  { kind: 'apply', id: 'apply-extra-field', why: 'strict payloads', payload: { revision: 5, files: [], removes: [], postSteps: [], exec: 'id' }, expect: { ok: false, step: 'validate', message: 'exec' } },
  { kind: 'apply', id: 'apply-dotdot', why: 'a file outside the qmail home', payload: { revision: 5, files: [{ path: '../../etc/cron.d/evil', content: '* * * * * root id\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, message: 'relative path inside the qmail home' } },
  { kind: 'apply', id: 'apply-absolute', why: 'a file outside the qmail home', payload: { revision: 5, files: [{ path: '/etc/cron.d/evil', content: 'x\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, message: 'relative path inside the qmail home' } },
  { kind: 'apply', id: 'apply-inner-dotdot', why: '.. in the middle', payload: { revision: 5, files: [{ path: 'control/../../../tmp/evil', content: 'x\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, message: 'relative path inside the qmail home' } },
  { kind: 'apply', id: 'apply-alias-dotdot', why: 'an alias file name climbing out', payload: { revision: 5, files: [{ path: 'alias/.qmail-x/../../../evil', content: 'x\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, message: 'relative path inside the qmail home' } },
  { kind: 'apply', id: 'apply-nul-path', why: 'NUL ends a path in C', payload: { revision: 5, files: [{ path: 'control/me\u0000/../../x', content: 'x\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, message: 'relative path inside the qmail home' } },
  { kind: 'apply', id: 'apply-dot-segment', why: 'no . segments', payload: { revision: 5, files: [{ path: 'control/./me', content: 'x\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, message: '"\\.\\."|not a file qfleet manages' } },
  { kind: 'apply', id: 'apply-backslash', why: 'no other separators', payload: { revision: 5, files: [{ path: 'control\\me', content: 'x\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, message: 'relative path|not a file qfleet manages' } },
  { kind: 'apply', id: 'apply-unmanaged-binary', why: 'bin/ holds programs qmail runs as root', payload: { revision: 5, files: [{ path: 'bin/qmail-newu', content: '#!/bin/sh\nid\n', mode: 0o755 }], removes: [], postSteps: [] }, expect: { ok: false, message: 'not a file qfleet manages' } },
  { kind: 'apply', id: 'apply-remove-outside', why: 'a removal outside the qmail home', payload: { revision: 5, files: [], removes: ['../../etc/passwd'], postSteps: [] }, expect: { ok: false, message: 'relative path inside the qmail home' } },
  { kind: 'apply', id: 'apply-remove-queue', why: 'the queue is not configuration', payload: { revision: 5, files: [], removes: ['queue/mess/0/1234'], postSteps: [] }, expect: { ok: false, message: 'not a file qfleet manages' } },
  { kind: 'apply', id: 'apply-setuid-mode', why: 'no setuid files', payload: { revision: 5, files: [{ path: 'control/me', content: 'x\n', mode: 0o4755 }], removes: [], postSteps: [] }, expect: { ok: false, step: 'validate', message: 'mode' } },
  { kind: 'apply', id: 'apply-post-step-shell', why: 'post-steps are a fixed list', payload: { revision: 5, files: [], removes: [], postSteps: ['rm -rf /'] }, expect: { ok: false, step: 'validate', message: 'postSteps' } },
  { kind: 'apply', id: 'apply-content-not-string', why: 'wrong type', payload: { revision: 5, files: [{ path: 'control/me', content: { x: 1 }, mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, step: 'validate', message: 'content' } },
  { kind: 'apply', id: 'apply-twice', why: 'one path, two contents', payload: { revision: 5, files: [{ path: 'control/me', content: 'a\n', mode: 0o644 }, { path: 'control/me', content: 'b\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, message: 'named twice' } },
  { kind: 'apply', id: 'apply-long-path', why: 'a name over 255 characters', payload: { revision: 5, files: [{ path: `alias/.qmail-${'x'.repeat(300)}`, content: 'x\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, step: 'validate', message: 'files\\[0\\]\\.path: each name in the path must be at most 255' } },
  { kind: 'apply', id: 'apply-deep-path', why: 'a path outside the managed namespace', payload: { revision: 5, files: [{ path: { $repeat: 'alias/.qmail-', times: 30 }, content: 'x\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, step: 'validate', message: 'not a file qfleet manages' } },
  { kind: 'apply', id: 'apply-symlinked-dir', why: 'alias/qfleet swapped for a link out of the tree', plant: [{ tree: 'agent', path: 'alias/qfleet', symlinkTo: '{outside}' }], payload: { revision: 5, files: [{ path: 'alias/qfleet/secret', content: 'owned\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, message: 'resolves outside the qmail home' } },
  { kind: 'apply', id: 'apply-onto-directory', why: 'a file where a directory is', plant: [{ tree: 'agent', path: 'alias/.qmail-dir/x', content: 'x' }], payload: { revision: 5, files: [{ path: 'alias/.qmail-dir', content: '#\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { ok: false, message: 'is a directory' } },
  { kind: 'apply', id: 'apply-uid-0-assign', hole: 4, why: 'qmail-lspawn refuses uid 0: an assign line for root is an error', payload: { revision: 5, files: [{ path: 'users/assign', content: '=root:root:0:0:/root:::\n.\n', mode: 0o644 }], removes: [], postSteps: ['qmail-newu'] }, expect: { ok: false, message: 'uid 0|root' } },
  { kind: 'apply', id: 'apply-temp-symlink', hole: 1, why: 'a link planted at the predictable temp name turned the write on its target', plant: [{ tree: 'agent', path: 'alias/.qfleet-tmp..qmail-victim.5', symlinkTo: '{outside}/secret' }], payload: { revision: 5, files: [{ path: 'alias/.qmail-victim', content: '&owned@evil.example\n', mode: 0o644 }], removes: [], postSteps: [] }, expect: { outsideUntouched: true } },
  { kind: 'agent-start', id: 'start-track-symlink', hole: 2, why: 'at start the agent chowned alias/qfleet/track through a link the alias user planted', plant: [{ tree: 'agent', path: 'alias/qfleet/track', symlinkTo: '{outside}/victim-dir' }], expect: { outsideUntouched: true } },
];
