import { useState } from 'react';
import type { QueueMessageSummary } from '@qfleet/protocol';
import { api, type QueueSort, type SortOrder } from '../api';
import { ConfirmBox } from '../components/ConfirmBox';
import { ErrorBox } from '../components/ErrorBox';
import { MessageView } from '../components/MessageView';
import { Pager } from '../components/Pager';
import { bytes, retryAt, when } from '../format';
import { useAction, usePolling } from '../hooks';
import { useCan } from '../session';

const PER_PAGE = 20;
const QUEUE_POLL_MS = 10_000;

const COLUMNS: { sort?: QueueSort; label: string; className?: string }[] = [
  { label: 'ID', className: 'num' },
  { sort: 'date', label: 'Queued' },
  { sort: 'size', label: 'Size', className: 'num' },
  { sort: 'sender', label: 'Sender' },
  { sort: 'recipient', label: 'Recipients' },
  { label: 'Next retry' },
];

/** The host's qmail queue, as qmail-qread would list it but with every recipient (QMAIL.md §4, §7). */
export function HostQueue({ hostId, connected }: { hostId: string; connected: boolean | undefined }) {
  const [page, setPage] = useState(1);
  const [sort, setSort] = useState<QueueSort>('date');
  const [order, setOrder] = useState<SortOrder>('desc');
  const list = usePolling(() => api.listQueue(hostId, { page, perPage: PER_PAGE, sort, order }), [hostId, page, sort, order], QUEUE_POLL_MS);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const canAct = useCan('operator');
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const [openId, setOpenId] = useState<number | undefined>();
  const action = useAction();
  const messages = list.data?.messages;

  const sortBy = (s: QueueSort) => {
    if (s === sort) setOrder(order === 'asc' ? 'desc' : 'asc');
    else {
      setSort(s);
      setOrder(s === 'date' || s === 'size' ? 'desc' : 'asc');
    }
    setPage(1);
  };
  const toggle = (id: number, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };
  const allOnPage = messages !== undefined && messages.length > 0 && messages.every((m) => selected.has(m.id));
  const toggleAll = (on: boolean) => {
    const next = new Set(selected);
    for (const m of messages ?? []) {
      if (on) next.add(m.id);
      else next.delete(m.id);
    }
    setSelected(next);
  };

  const remove = async () => {
    setMessage(undefined);
    const ids = [...selected];
    const r = await action.run(() => api.deleteQueued(hostId, ids));
    setConfirming(false);
    if (!r) return;
    setSelected(new Set());
    if (openId !== undefined && r.deleted.includes(openId)) setOpenId(undefined);
    setMessage(
      `Deleted ${r.deleted.length} message${r.deleted.length === 1 ? '' : 's'} (${r.files} files)` +
        (r.missing.length ? `; ${r.missing.length} already gone` : '') +
        (r.qmailSend.length ? `; qmail-send: ${r.qmailSend.join(' → ')}` : '') +
        '.',
    );
    void list.refresh();
  };
  const flush = async () => {
    setMessage(undefined);
    const r = await action.run(() => api.flushQueue(hostId));
    if (r) setMessage(`Flushed: ran ${r.ran.join(', ') || 'nothing'}${r.skipped.length ? `; skipped ${r.skipped.join(', ')}` : ''}.`);
  };

  return (
    <>
      <section className="card" data-testid="host-queue-card">
        <div className="section-head">
          <h2>
            Queue {list.data && <span className="muted">· {list.data.total} messages</span>}
          </h2>
          {canAct && <div className="actions tight">
            <button
              type="button"
              className="small-button"
              onClick={flush}
              disabled={action.busy || connected === false}
              title="qmail-tcpok, then ALRM to qmail-send: retry every remote delivery now"
              data-testid="queue-flush"
            >
              Flush queue
            </button>
            <button type="button" className="small-button danger" onClick={() => setConfirming(true)} disabled={selected.size === 0 || action.busy} data-testid="queue-delete">
              Delete selected{selected.size > 0 ? ` (${selected.size})` : ''}
            </button>
          </div>}
        </div>
        {connected === false && <p className="warning-box">The agent is not connected: the queue cannot be read until it is back.</p>}
        {confirming && (
          <ConfirmBox confirmLabel={`Delete ${selected.size} messages`} busy={action.busy} onConfirm={remove} onCancel={() => setConfirming(false)} testId="queue-delete-confirm">
            Delete {selected.size} queued message{selected.size === 1 ? '' : 's'}? Only touching <code>info</code> is safe while qmail-send runs, so the agent stops
            qmail-send, removes each message's files (<code>mess</code>, <code>info</code>, <code>local</code>, <code>remote</code>, <code>bounce</code>, <code>todo</code>,{' '}
            <code>intd</code>) and starts it again. The senders get no bounce.
          </ConfirmBox>
        )}
        <ErrorBox error={action.error ?? list.error} />
        {message && (
          <p className="message good" data-testid="queue-result">
            {message}
          </p>
        )}
        {messages && messages.length === 0 && <p className="muted">The queue is empty.</p>}
        {messages && messages.length > 0 && (
          <table className="queue" data-testid="queue-table">
            <thead>
              <tr>
                <th className="check">
                  <input type="checkbox" checked={allOnPage} onChange={(e) => toggleAll(e.target.checked)} title="select this page" />
                </th>
                {COLUMNS.map((c) => (
                  <th key={c.label} className={c.className}>
                    {c.sort ? (
                      <button type="button" className={`sort ${sort === c.sort ? 'sorted' : ''}`} onClick={() => c.sort && sortBy(c.sort)} data-testid={`queue-sort-${c.sort}`}>
                        {c.label}
                        {sort === c.sort ? (order === 'asc' ? ' ▲' : ' ▼') : ''}
                      </button>
                    ) : (
                      c.label
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {messages.map((m) => (
                <QueueRow key={m.id} m={m} selected={selected.has(m.id)} open={openId === m.id} onSelect={(on) => toggle(m.id, on)} onOpen={() => setOpenId(openId === m.id ? undefined : m.id)} />
              ))}
            </tbody>
          </table>
        )}
        {list.data && <Pager page={page} perPage={PER_PAGE} total={list.data.total} onPage={setPage} />}
      </section>
      {openId !== undefined && <QueuedMessage key={openId} hostId={hostId} msgId={openId} onClose={() => setOpenId(undefined)} />}
    </>
  );
}

function QueueRow({ m, selected, open, onSelect, onOpen }: { m: QueueMessageSummary; selected: boolean; open: boolean; onSelect: (on: boolean) => void; onOpen: () => void }) {
  const retry = m.nextRetryAt.remote ?? m.nextRetryAt.local ?? null;
  return (
    <tr
      data-testid="queue-row"
      data-id={m.id}
      className={`clickable ${selected ? 'selected' : ''} ${open ? 'open' : ''}`}
      onClick={(e) => {
        if (!(e.target as HTMLElement).closest('input, button')) onOpen();
      }}
    >
      <td className="check">
        <input type="checkbox" checked={selected} onChange={(e) => onSelect(e.target.checked)} data-testid="queue-select" aria-label={`select message ${m.id}`} />
      </td>
      <td className="num">
        <button type="button" className="linkish" onClick={onOpen} data-testid="queue-open">
          #{m.id}
        </button>
      </td>
      <td title={when(m.queuedAt)}>{when(m.queuedAt)}</td>
      <td className="num">{bytes(m.size)}</td>
      <td>
        <code>{m.sender ? m.sender : '<>'}</code>
        {m.bouncing && (
          <span className="badge badge-bad" data-testid="queue-bouncing">
            bouncing
          </span>
        )}
      </td>
      <td>
        <ul className="recipients">
          {m.recipients.map((r, i) => (
            <li key={i} className={r.done ? 'done' : ''} title={r.done ? `${r.kind}: done` : `${r.kind}: waiting`}>
              <span className={`kind kind-${r.kind}`}>{r.kind}</span> {r.done ? <s>{r.address}</s> : r.address}
            </li>
          ))}
        </ul>
      </td>
      <td title={when(retry)}>{retryAt(retry)}</td>
    </tr>
  );
}

function QueuedMessage({ hostId, msgId, onClose }: { hostId: string; msgId: number; onClose: () => void }) {
  const read = usePolling(() => api.readQueued(hostId, msgId), [hostId, msgId]);
  if (read.error) return <ErrorBox error={read.error} />;
  if (!read.data) return <p className="muted">Reading message #{msgId}…</p>;
  return <MessageView parsed={read.data.parsed} download={(part, name) => api.downloadQueued(hostId, msgId, part, name)} onClose={onClose} testId="queue-message" />;
}
