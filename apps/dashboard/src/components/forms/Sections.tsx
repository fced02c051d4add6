import type { Assignment, SmtpRoute, VirtualDomain } from '@qfleet/protocol';
import { ASSIGNMENT_KINDS, CONTROL_FILES, INTEGER_FIELDS, LIST_FIELDS, SINGLE_LINE_FIELDS, type ControlFileField, type ListField } from '@qfleet/protocol/ui';
import { FieldError, useEditable } from './FieldError';
import { Choice, IntegerInput, ManagedField, Rows, StringList, TextInput, type FieldProps } from './Managed';
import { withField, type DocKey } from './doc';

/** A control file's field with its file, meaning, qmail's default and when a change takes effect. */
function ControlField({ doc, onChange, field, children }: FieldProps & { field: ControlFileField; children: React.ReactNode }) {
  const f = CONTROL_FILES[field];
  const oneInput = !(LIST_FIELDS as readonly string[]).includes(field);
  return (
    <ManagedField doc={doc} onChange={onChange} field={field} label={field} file={f.file} help={<>{f.what} · takes effect: {f.takesEffect}</>} whenMissing={f.whenMissing} errorInChild={oneInput}>
      {children}
    </ManagedField>
  );
}

function ListControl({ doc, onChange, field, placeholder }: FieldProps & { field: ListField; placeholder?: string }) {
  return (
    <ControlField doc={doc} onChange={onChange} field={field}>
      <StringList path={field} values={(doc[field] as string[] | null | undefined) ?? []} onChange={(v) => onChange(withField(doc, field, v))} placeholder={placeholder} />
    </ControlField>
  );
}

export function LocalDomainsForm(p: FieldProps) {
  return (
    <>
      <p className="muted small">The domains qmail-send delivers on this host (exact names, no wildcards). A local domain gets mail from outside only when Accepted domains lists it too.</p>
      <ListControl {...p} field="locals" placeholder="example.com" />
    </>
  );
}

export function AcceptedDomainsForm({ doc, onChange }: FieldProps) {
  const editable = useEditable();
  return (
    <>
      <p className="muted small">The domains qmail-smtpd accepts mail for from outside. Removing rcpthosts makes an open relay, refused unless Open relay is ticked.</p>
      <ListControl doc={doc} onChange={onChange} field="rcpthosts" placeholder="example.com or .example.com" />
      <ListControl doc={doc} onChange={onChange} field="morercpthosts" placeholder="example.org" />
      <div className="form-field" data-testid="field-openRelay">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={doc.openRelay === true}
            disabled={!editable}
            onChange={(e) => onChange(withField(doc, 'openRelay', e.target.checked ? true : undefined))}
            data-testid="input-openRelay"
          />{' '}
          Open relay: allow rcpthosts to be removed (every domain accepted)
        </label>
        <FieldError path="openRelay" />
      </div>
    </>
  );
}

function RowsField<T>({ doc, onChange, field, label, file, help, whenMissing, make, render, addLabel }: FieldProps & { field: DocKey; label: string; file: string; help: React.ReactNode; whenMissing: string; make: () => T; render: (row: T, set: (row: T) => void, at: string) => React.ReactNode; addLabel?: string }) {
  return (
    <ManagedField doc={doc} onChange={onChange} field={field} label={label} file={file} help={help} whenMissing={whenMissing}>
      <Rows path={field} rows={(doc[field] as T[] | null | undefined) ?? []} onChange={(rows) => onChange(withField(doc, field, rows))} make={make} render={render} addLabel={addLabel} />
    </ManagedField>
  );
}

export function VirtualMappingsForm(p: FieldProps) {
  return (
    <RowsField<VirtualDomain>
      {...p}
      field="virtualdomains"
      label="Virtual mappings"
      file="control/virtualdomains"
      help={
        <>
          For a domain not in Local domains, qmail-send looks up the whole address, the domain, each shorter <code>.suffix</code>, then the empty match; <code>user@domain</code> is delivered locally as <code>prefix-user</code>. An empty prefix means not virtual. Takes effect: HUP.
        </>
      }
      whenMissing="no virtual domains"
      make={() => ({ match: '', prefix: '' })}
      addLabel="Add mapping"
      render={(r, set, at) => (
        <>
          <TextInput path={`${at}.match`} label="domain or address (empty: all others)" value={r.match} onChange={(match) => set({ ...r, match })} placeholder="virt.example" />
          <TextInput path={`${at}.prefix`} label="prefix (empty: not virtual)" value={r.prefix} onChange={(prefix) => set({ ...r, prefix })} placeholder="virt" />
        </>
      )}
    />
  );
}

export function DomainRoutingForm(p: FieldProps) {
  return (
    <RowsField<SmtpRoute>
      {...p}
      field="smtproutes"
      label="Domain routing"
      file="control/smtproutes"
      help={
        <>
          qmail-remote sends mail for a domain to this relay instead of its MX: exact host, then each <code>.suffix</code>, then the empty domain (a smarthost for all other mail). An empty relay means the MX as usual. Takes effect: next delivery.
        </>
      }
      whenMissing="every domain by its MX"
      make={() => ({ domain: '', relay: '' })}
      addLabel="Add route"
      render={(r, set, at) => (
        <>
          <TextInput path={`${at}.domain`} label="domain (empty: all others)" value={r.domain} onChange={(domain) => set({ ...r, domain })} placeholder="example.org" />
          <TextInput path={`${at}.relay`} label="relay (empty: MX lookup)" value={r.relay} onChange={(relay) => set({ ...r, relay })} placeholder="smtp.example.net" />
          <IntegerInput path={`${at}.port`} label="port" optional value={r.port} onChange={(port) => set(port === undefined ? { domain: r.domain, relay: r.relay } : { ...r, port: port as number })} />
        </>
      )}
    />
  );
}

/** Every control file of Webmin's "qmail Options" page, each with qmail's default. */
export function OptionsForm({ doc, onChange }: FieldProps) {
  return (
    <>
      <h3>Names</h3>
      {SINGLE_LINE_FIELDS.map((f) => (
        <ControlField key={f} doc={doc} onChange={onChange} field={f}>
          <TextInput path={f} label="value" value={doc[f] as string | undefined} onChange={(v) => onChange(withField(doc, f, v))} />
        </ControlField>
      ))}
      <h3>Limits and timeouts</h3>
      {INTEGER_FIELDS.map((f) => (
        <ControlField key={f} doc={doc} onChange={onChange} field={f}>
          <IntegerInput path={f} label="value" value={doc[f]} onChange={(v) => onChange(withField(doc, f, v ?? ''))} />
        </ControlField>
      ))}
      <h3>Senders and addresses</h3>
      <ListControl doc={doc} onChange={onChange} field="badmailfrom" placeholder="spammer@example.com or @example.com" />
      <ListControl doc={doc} onChange={onChange} field="percenthack" placeholder="example.com" />
    </>
  );
}

export function AssignmentsForm(p: FieldProps) {
  return (
    <RowsField<Assignment>
      {...p}
      field="assignments"
      label="User assignments"
      file="users/assign"
      help={
        <>
          Which user (uid, gid, home) delivers mail for a local part; an exact entry beats a prefix, a longer prefix a shorter one. qmail-newu rebuilds <code>users/cdb</code> after a change. Privileged: admins only, unless the controller allows operators.
        </>
      }
      whenMissing="users are looked up in the passwd file"
      make={() => ({ kind: 'exact', address: '', user: '', uid: 0, gid: 0, home: '' })}
      addLabel="Add assignment"
      render={(r, set, at) => (
        <>
          <Choice path={`${at}.kind`} label="kind" value={r.kind} options={ASSIGNMENT_KINDS} onChange={(kind) => set({ ...r, kind })} />
          <TextInput path={`${at}.address`} label="local part (prefix: its start)" value={r.address} onChange={(address) => set({ ...r, address })} />
          <TextInput path={`${at}.user`} label="user" value={r.user} onChange={(user) => set({ ...r, user })} />
          <IntegerInput path={`${at}.uid`} label="uid" value={r.uid} onChange={(uid) => set({ ...r, uid: uid as number })} />
          <IntegerInput path={`${at}.gid`} label="gid" value={r.gid} onChange={(gid) => set({ ...r, gid: gid as number })} />
          <TextInput path={`${at}.home`} label="home" value={r.home} onChange={(home) => set({ ...r, home })} placeholder="/home/joe" wide />
          <TextInput path={`${at}.dash`} label="dash" value={r.dash} onChange={(dash) => set(optional(r, 'dash', dash))} />
          <TextInput path={`${at}.ext`} label="ext" value={r.ext} onChange={(ext) => set(optional(r, 'ext', ext))} />
        </>
      )}
    />
  );
}

/** An optional member: empty takes it out, as the schema's `optional` reads it. */
function optional<T extends object, K extends keyof T>(row: T, key: K, value: string): T {
  const next = { ...row } as Record<string, unknown>;
  if (value === '') delete next[key as string];
  else next[key as string] = value;
  return next as T;
}
