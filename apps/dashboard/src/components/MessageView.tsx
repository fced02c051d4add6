import { useEffect, useRef, useState } from 'react';
import type { ParsedMessageView } from '@qfleet/protocol';
import { ErrorBox } from './ErrorBox';
import { bytes, when } from '../format';
import { useAction } from '../hooks';

/**
 * A parsed message (queue or mailbox): the headers, the text, the HTML only in a sandboxed
 * iframe (no scripts, no same origin: mail is hostile), and the attachments to download.
 */
export function MessageView({
  parsed,
  download,
  onClose,
  testId,
}: {
  parsed: ParsedMessageView;
  download: (part: 'raw' | number, fallbackName: string) => Promise<string>;
  onClose: () => void;
  testId: string;
}) {
  const [show, setShow] = useState<'text' | 'html' | 'headers'>(parsed.text || !parsed.html ? 'text' : 'html');
  const fetching = useAction();
  const ref = useRef<HTMLElement>(null);
  // The view opens below a long table: bring it into sight.
  // (Braces: newer Chromium returns a promise from scrollIntoView, which React would call as a cleanup.)
  useEffect(() => {
    void ref.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, []);
  const get = (part: 'raw' | number, name: string) => void fetching.run(() => download(part, name));

  return (
    <section className="card message-view" data-testid={testId} ref={ref}>
      <div className="section-head">
        <h2 data-testid="message-subject">{parsed.subject ?? '(no subject)'}</h2>
        <div className="actions tight">
          <button type="button" className="small-button" onClick={() => get('raw', 'message.eml')} disabled={fetching.busy}>
            Download raw
          </button>
          <button type="button" className="small-button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
      <dl className="facts">
        <dt>From</dt>
        <dd>{parsed.from ?? '–'}</dd>
        <dt>To</dt>
        <dd>{parsed.to ?? '–'}</dd>
        {parsed.cc && (
          <>
            <dt>Cc</dt>
            <dd>{parsed.cc}</dd>
          </>
        )}
        <dt>Date</dt>
        <dd>{parsed.date ? when(parsed.date) : '–'}</dd>
        <dt>Size</dt>
        <dd>{bytes(parsed.size)}</dd>
      </dl>
      <ErrorBox error={fetching.error} />
      {parsed.attachments.length > 0 && (
        <>
          <h3>Attachments</h3>
          <ul className="attachments">
            {parsed.attachments.map((a) => (
              <li key={a.index}>
                <button
                  type="button"
                  className="small-button"
                  onClick={() => get(a.index, a.filename ?? `attachment-${a.index}`)}
                  disabled={fetching.busy}
                  data-testid="attachment-download"
                  data-index={a.index}
                >
                  ⤓ {a.filename ?? `attachment ${a.index + 1}`}
                </button>{' '}
                <span className="muted small">
                  {a.contentType} · {bytes(a.size)}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      <div className="tabs small-tabs">
        <button type="button" className={show === 'text' ? 'active' : ''} onClick={() => setShow('text')}>
          Text
        </button>
        {parsed.html && (
          <button type="button" className={show === 'html' ? 'active' : ''} onClick={() => setShow('html')}>
            HTML
          </button>
        )}
        <button type="button" className={show === 'headers' ? 'active' : ''} onClick={() => setShow('headers')}>
          Headers ({parsed.headers.length})
        </button>
      </div>
      {show === 'text' && (
        <pre className="mail-body" data-testid="message-text">
          {parsed.text ?? (parsed.html ? '(HTML only: see the HTML tab)' : '(empty)')}
        </pre>
      )}
      {show === 'html' && parsed.html && <iframe className="mail-html" sandbox="" srcDoc={parsed.html} title="HTML part" />}
      {show === 'headers' && (
        <table className="mail-headers" data-testid="message-headers">
          <tbody>
            {parsed.headers.map(([name, value], i) => (
              <tr key={i}>
                <th>{name}</th>
                <td>
                  <code>{value}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {parsed.truncated && <p className="muted small">The body was cut for display; download the raw message for all of it.</p>}
    </section>
  );
}
