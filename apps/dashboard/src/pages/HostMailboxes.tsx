import { useState } from 'react';
import { api, SEARCH_FIELDS, SEARCH_OPS, type MailSearch, type MailboxUser, type SearchCriterion } from '../api';
import { ConfirmBox } from '../components/ConfirmBox';
import { ErrorBox } from '../components/ErrorBox';
import { MessageView } from '../components/MessageView';
import { Pager } from '../components/Pager';
import { bytes, when } from '../format';
import { useAction, usePolling } from '../hooks';
import { useCan } from '../session';

const OP_LABELS: Record<SearchCriterion['op'], string> = {
  contains: 'contains',
  notContains: "doesn't contain",
  greaterThan: 'greater than',
  lessThan: 'less than',
};
const FIELD_LABELS: Record<SearchCriterion['field'], string> = {
  from: 'From',
  subject: 'Subject',
  to: 'To',
  cc: 'Cc',
  date: 'Date',
  body: 'Body',
  header: 'Header…',
  message: 'Whole message',
  size: 'Size (bytes)',
};

/** The host's mailboxes, each Maildir or mbox (Webmin's "Read User Mail", QMAIL.md §7). */
export function HostMailboxes({ hostId, connected }: { hostId: string; connected: boolean | undefined }) {
  const users = usePolling(() => api.mailboxUsers(hostId), [hostId]);
  const [user, setUser] = useState<string | undefined>();
  return (
    <>
      <section className="card">
        <h2>Mailboxes</h2>
        {connected === false && <p className="warning-box">The agent is not connected: mailboxes cannot be read until it is back.</p>}
        <ErrorBox error={users.error} />
        {users.data && users.data.users.length === 0 && <p className="muted">No mailbox: no home with a Maildir or mbox, and no Maildir or mbox named in ~alias.</p>}
        {users.data && users.data.users.length > 0 && (
          <table className="compact" data-testid="mailbox-users">
            <thead>
              <tr>
                <th>Mailbox</th>
                <th>Format</th>
                <th className="num">Messages</th>
                <th className="num">Size</th>
                <th>Path</th>
              </tr>
            </thead>
            <tbody>
              {users.data.users.map((u) => (
                <UserRow key={u.id} u={u} open={u.id === user} onOpen={() => setUser(u.id === user ? undefined : u.id)} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      {user && <Mailbox key={user} hostId={hostId} user={user} onChanged={users.refresh} />}
    </>
  );
}

function UserRow({ u, open, onOpen }: { u: MailboxUser; open: boolean; onOpen: () => void }) {
  return (
    <tr data-testid="mailbox-user-row" data-user={u.id} data-format={u.format} className={`clickable ${open ? 'open' : ''}`} onClick={onOpen}>
      <td>
        <button type="button" className="linkish">
          {u.id}
        </button>
        {u.source === 'alias' && <span className="muted"> · {u.dotQmail}</span>}
        {u.source === 'assign' && <span className="muted"> · users/assign</span>}
      </td>
      <td>{u.format === 'maildir' ? 'Maildir' : 'mbox'}</td>
      <td className="num">{u.exists ? u.count : <span className="muted">none</span>}</td>
      <td className="num">{u.exists ? bytes(u.size) : ''}</td>
      <td>
        <code className="muted">
          {u.path}
          {u.format === 'maildir' ? '/' : ''}
        </code>
      </td>
    </tr>
  );
}

const emptyRow = (): SearchCriterion => ({ field: 'subject', op: 'contains', value: '' });

/** One user's messages, newest first, or those a search matched; read and delete. */
function Mailbox({ hostId, user, onChanged }: { hostId: string; user: string; onChanged: () => void }) {
  const [page, setPage] = useState(1);
  // Either the simple search (text in From, Subject or To) or the advanced one, never both.
  const [search, setSearch] = useState<MailSearch | undefined>();
  const [text, setText] = useState<string | undefined>();
  const [advanced, setAdvanced] = useState(false);
  const list = usePolling(
    () => (search ? api.searchMailbox(hostId, user, page, search) : api.listMailbox(hostId, user, page, text)),
    [hostId, user, page, search, text],
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const canAct = useCan('operator');
  const [openId, setOpenId] = useState<string | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const action = useAction();
  const messages = list.data?.messages;

  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };
  const remove = async () => {
    const ids = [...selected];
    const r = await action.run(() => api.deleteMail(hostId, user, ids));
    setConfirming(false);
    if (!r) return;
    setSelected(new Set());
    if (openId && r.deleted.includes(openId)) setOpenId(undefined);
    setMessage(`Deleted ${r.deleted.length} message${r.deleted.length === 1 ? '' : 's'}${r.missing.length ? `; ${r.missing.length} already gone` : ''}.`);
    void list.refresh();
    onChanged();
  };
  const runSearch = (s: MailSearch | undefined) => {
    setSearch(s);
    setText(undefined);
    setPage(1);
    setSelected(new Set());
    setMessage(undefined);
  };
  const runText = (t: string | undefined) => {
    setText(t);
    setSearch(undefined);
    setPage(1);
    setSelected(new Set());
    setMessage(undefined);
  };

  return (
    <>
      <section className="card" data-testid="mailbox">
        <div className="section-head">
          <h2>
            {user}
            {list.data && (
              <span className="muted">
                {' '}
                · {list.data.total} {search || text ? 'matching' : 'messages'}
              </span>
            )}
          </h2>
          {canAct && (
            <button type="button" className="small-button danger" onClick={() => setConfirming(true)} disabled={selected.size === 0 || action.busy} data-testid="mailbox-delete">
              Delete selected{selected.size > 0 ? ` (${selected.size})` : ''}
            </button>
          )}
        </div>
        <SimpleSearch active={text !== undefined} onSearch={runText} advanced={advanced} onAdvanced={() => setAdvanced(!advanced)} />
        {advanced && <SearchBuilder active={search !== undefined} onSearch={runSearch} />}
        {confirming && (
          <ConfirmBox confirmLabel={`Delete ${selected.size} messages`} busy={action.busy} onConfirm={remove} onCancel={() => setConfirming(false)} testId="mailbox-delete-confirm">
            Delete {selected.size} message{selected.size === 1 ? '' : 's'} from {user}'s mailbox? They are removed from the disk, not moved to a trash folder.
          </ConfirmBox>
        )}
        <ErrorBox error={action.error ?? list.error} />
        {message && <p className="message good">{message}</p>}
        {messages && messages.length === 0 && <p className="muted">{search || text ? 'No message matches.' : 'The mailbox is empty.'}</p>}
        {messages && messages.length > 0 && (
          <table className="compact" data-testid="mailbox-messages">
            <thead>
              <tr>
                <th className="check"></th>
                <th>Date</th>
                <th>From</th>
                <th>Subject</th>
                <th className="num">Size</th>
              </tr>
            </thead>
            <tbody>
              {messages.map((m) => (
                <tr
                  key={m.id}
                  data-testid="mailbox-message-row"
                  data-id={m.id}
                  className={`clickable ${openId === m.id ? 'open' : ''} ${m.flags !== undefined && !m.flags.includes('S') ? 'unread' : ''}`}
                  onClick={(e) => {
                    if (!(e.target as HTMLElement).closest('input')) setOpenId(openId === m.id ? undefined : m.id);
                  }}
                >
                  <td className="check">
                    <input type="checkbox" checked={selected.has(m.id)} onChange={(e) => toggle(m.id, e.target.checked)} data-testid="mailbox-select" aria-label="select message" />
                  </td>
                  <td title={when(m.date)}>{m.date ? when(m.date) : '–'}</td>
                  <td>{m.from ?? '–'}</td>
                  <td>{m.subject ?? <span className="muted">(no subject)</span>}</td>
                  <td className="num">{bytes(m.size)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {list.data && <Pager page={page} perPage={list.data.perPage} total={list.data.total} onPage={setPage} />}
      </section>
      {openId && <MailMessage key={openId} hostId={hostId} user={user} msgId={openId} onClose={() => setOpenId(undefined)} />}
    </>
  );
}

/** Webmin's search box: the text in From, Subject or To, literal and case-insensitive; `from: text` looks in one field. */
function SimpleSearch({ active, onSearch, advanced, onAdvanced }: { active: boolean; onSearch: (t: string | undefined) => void; advanced: boolean; onAdvanced: () => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      className="simple-search"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) onSearch(value.trim());
      }}
    >
      <input value={value} onChange={(e) => setValue(e.target.value)} placeholder="Search From, Subject and To" aria-label="search" data-testid="mailbox-simple-search" />
      <button type="submit" className="primary small-button" disabled={!value.trim()} data-testid="mailbox-simple-search-run">
        Search
      </button>
      {active && (
        <button
          type="button"
          className="small-button"
          onClick={() => {
            setValue('');
            onSearch(undefined);
          }}
          data-testid="mailbox-simple-search-clear"
        >
          Show all
        </button>
      )}
      <button type="button" className="linkish" onClick={onAdvanced} data-testid="mailbox-advanced-toggle">
        {advanced ? 'Hide advanced search' : 'Advanced search'}
      </button>
    </form>
  );
}

/** Rows of field × operator × text combined with AND or OR; matching is literal and case-insensitive (QMAIL.md §7). */
function SearchBuilder({ active, onSearch }: { active: boolean; onSearch: (s: MailSearch | undefined) => void }) {
  const [rows, setRows] = useState<SearchCriterion[]>([emptyRow()]);
  const [join, setJoin] = useState<MailSearch['join']>('and');
  const set = (i: number, change: Partial<SearchCriterion>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  const filled = rows.filter((r) => r.value.trim() !== '' && (r.field !== 'header' || r.headerName?.trim()));

  return (
    <form
      className="search-builder"
      onSubmit={(e) => {
        e.preventDefault();
        if (filled.length) onSearch({ criteria: filled.map((r) => (r.field === 'header' ? r : { field: r.field, op: r.op, value: r.value })), join });
      }}
    >
      {rows.map((r, i) => (
        <div className="search-row" key={i}>
          {i === 0 && <span className="join muted">where</span>}
          {i === 1 && (
            <select className="join" value={join} onChange={(e) => setJoin(e.target.value as MailSearch['join'])} aria-label="join" data-testid="mailbox-search-join">
              <option value="and">and</option>
              <option value="or">or</option>
            </select>
          )}
          {i > 1 && <span className="join muted">{join}</span>}
          <select value={r.field} onChange={(e) => set(i, { field: e.target.value as SearchCriterion['field'] })} data-testid="mailbox-search-field" aria-label="field">
            {SEARCH_FIELDS.map((f) => (
              <option key={f} value={f}>
                {FIELD_LABELS[f]}
              </option>
            ))}
          </select>
          {r.field === 'header' && <input className="header-name" value={r.headerName ?? ''} onChange={(e) => set(i, { headerName: e.target.value })} placeholder="X-Spam-Flag" aria-label="header name" />}
          <select value={r.op} onChange={(e) => set(i, { op: e.target.value as SearchCriterion['op'] })} data-testid="mailbox-search-op" aria-label="operator">
            {SEARCH_OPS.map((o) => (
              <option key={o} value={o}>
                {OP_LABELS[o]}
              </option>
            ))}
          </select>
          <input value={r.value} onChange={(e) => set(i, { value: e.target.value })} data-testid="mailbox-search-value" aria-label="value" />
          {rows.length > 1 && (
            <button type="button" className="small-button" onClick={() => setRows(rows.filter((_, j) => j !== i))} title="remove this row">
              ×
            </button>
          )}
        </div>
      ))}
      <div className="actions">
        <button type="submit" className="primary small-button" disabled={filled.length === 0} data-testid="mailbox-search-run">
          Search
        </button>
        {rows.length < 5 && (
          <button type="button" className="small-button" onClick={() => setRows([...rows, emptyRow()])}>
            + Criterion
          </button>
        )}
        {active && (
          <button type="button" className="small-button" onClick={() => onSearch(undefined)} data-testid="mailbox-search-clear">
            Show all
          </button>
        )}
      </div>
    </form>
  );
}

function MailMessage({ hostId, user, msgId, onClose }: { hostId: string; user: string; msgId: string; onClose: () => void }) {
  const read = usePolling(() => api.readMail(hostId, user, msgId), [hostId, user, msgId]);
  if (read.error) return <ErrorBox error={read.error} />;
  if (!read.data) return <p className="muted">Reading the message…</p>;
  return <MessageView parsed={read.data.parsed} download={(part, name) => api.downloadMail(hostId, user, msgId, part, name)} onClose={onClose} testId="mailbox-message" />;
}
