import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { ConfigDryRunView, FieldProblem, GroupConfigDryRunView } from '@qfleet/protocol';
import { ApiError } from '../../api';
import { ErrorBox } from '../ErrorBox';
import { PlanChanges } from '../../pages/PlanView';
import { PrivilegedWarning } from '../PrivilegedWarning';
import { useCan } from '../../session';
import { AliasesForm } from './Aliases';
import { EditableContext, ProblemsContext, ScopeContext, type DocumentScope } from './FieldError';
import { AcceptedDomainsForm, AssignmentsForm, DomainRoutingForm, LocalDomainsForm, OptionsForm, VirtualMappingsForm } from './Sections';
import { changedFields, placeProblems, sectionOf, SECTION_LABELS, SECTIONS, type ConfigDocument, type FieldChange, type Section } from './doc';
import type { FieldProps } from './Managed';

/**
 * Where a document lives: a host's (`/api/hosts/:id/config`) or a group's
 * (`/api/groups/:name/config`). `plan` is the write's dry run (`PUT …?dryRun=true`): the file
 * diff and post-steps shown before saving; without it the review shows the changed fields only.
 * Keep the object stable (useMemo): a new one loads the document again. `revision` is the one
 * `load` answered, the draft's starting point: sent as If-Match, so a save over another
 * operator's newer revision is refused (412) instead of replacing it.
 *
 * A group page: `{load: () => GET /api/groups/:name/config, plan: (doc) => PUT …?dryRun=true,
 * save: (doc) => PUT the same}` with `scope="group"`: its plan is member by member.
 */
export interface ConfigFormsSource {
  load: () => Promise<{ revision: number; document: unknown }>;
  plan?: (document: ConfigDocument, revision: number) => Promise<ConfigDryRunView | GroupConfigDryRunView>;
  save: (document: ConfigDocument, revision: number) => Promise<{ revision: number; warnings?: FieldProblem[] }>;
}

type Tab = Section | 'advanced';

const FORMS: Record<Section, (p: FieldProps) => ReactNode> = {
  locals: LocalDomainsForm,
  aliases: AliasesForm,
  accepted: AcceptedDomainsForm,
  virtual: VirtualMappingsForm,
  routing: DomainRoutingForm,
  options: OptionsForm,
  assignments: AssignmentsForm,
};

const STATE_WORDS = { unmanaged: 'not managed', removed: 'removed (qmail default)', managed: 'managed' } as const;

/**
 * The document as Webmin's qmail pages, one form per section, and `advanced` (the JSON editor)
 * as the last tab. Saving replaces the whole document (PUT): a merge patch cannot say
 * "managed and removed" (its `null` deletes the key). Review first shows the plan; a 400 puts
 * each problem beside the field it names. A viewer gets the same forms read-only.
 */
export function ConfigForms({
  source,
  title = 'Configuration',
  advanced,
  reloadKey = 0,
  onSaved,
  readOnly = false,
  scope = 'host',
}: {
  source: ConfigFormsSource;
  /** a group's document: the texts say "this group", the review has no plan unless `source.plan` gives one */
  scope?: DocumentScope;
  title?: string;
  advanced?: ReactNode;
  reloadKey?: number;
  onSaved?: () => void;
  readOnly?: boolean;
}) {
  const editable = useCan('operator') && !readOnly;
  const [loaded, setLoaded] = useState<{ revision: number; document: ConfigDocument } | undefined>();
  const [draft, setDraft] = useState<ConfigDocument>({});
  const [tab, setTab] = useState<Tab>('locals');
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  /** a 403 names the privileged fields beyond the token's role: its message says why */
  const [refusal, setRefusal] = useState<string | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [review, setReview] = useState<ReviewState | undefined>();
  const [saved, setSaved] = useState<{ revision: number; warnings: FieldProblem[] } | undefined>();
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const cfg = await source.load();
      const document = (cfg.document ?? {}) as ConfigDocument;
      setLoaded({ revision: cfg.revision, document });
      setDraft(document);
      setError(undefined);
    } catch (e) {
      setError(asApiError(e));
    }
  }, [source]);

  useEffect(() => {
    setReview(undefined);
    setProblems([]);
    void load();
  }, [load, reloadKey]);

  const edit = (doc: ConfigDocument) => {
    setDraft(doc);
    setReview(undefined);
    setSaved(undefined);
  };

  /** A 400 lists every refused field: each goes beside its field, and the forms open where the first is. */
  const refused = (e: unknown) => {
    const err = asApiError(e);
    const fields = err.body.fields ?? [];
    if ((err.body.statusCode === 400 || err.body.statusCode === 403) && fields.length) {
      setProblems(fields);
      setRefusal(err.body.statusCode === 403 ? err.body.message : undefined);
      setError(undefined);
      const first = fields.map((f) => sectionOf(f.path)).find((s) => s !== undefined);
      if (first && !fields.some((f) => sectionOf(f.path) === tab)) setTab(first);
    } else setError(err);
  };

  const startReview = async () => {
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      const plan = source.plan && loaded ? await source.plan(draft, loaded.revision) : undefined;
      setProblems([]);
      setReview({ changes: changedFields(loaded?.document ?? {}, draft), plan });
    } catch (e) {
      refused(e);
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      if (!loaded) return;
      const res = await source.save(draft, loaded.revision);
      setReview(undefined);
      setProblems([]);
      setSaved({ revision: res.revision, warnings: res.warnings ?? [] });
      await load();
      onSaved?.();
    } catch (e) {
      setReview(undefined);
      refused(e);
    } finally {
      setBusy(false);
    }
  };

  /** After a 412: the other operator's revision, the draft given up (it was made on the older one). */
  const reload = () => {
    setReview(undefined);
    setProblems([]);
    setSaved(undefined);
    void load();
  };

  const discard = () => {
    if (loaded) setDraft(loaded.document);
    setReview(undefined);
    setProblems([]);
  };

  const placed = placeProblems(problems);
  const dirty = loaded !== undefined && JSON.stringify(draft) !== JSON.stringify(loaded.document);
  const countIn = (s: Section) => problems.filter((p) => sectionOf(p.path) === s).length;
  const unplaced = placed.get('') ?? [];
  const Form = tab === 'advanced' ? undefined : FORMS[tab];

  return (
    <section className="card config-forms" data-testid="config-forms" data-loaded={loaded !== undefined} data-editable={editable}>
      <div className="section-head">
        <h2>{title}</h2>
        <span className="muted">
          {loaded && <>revision {loaded.revision}</>}
          {dirty && <strong className="warn" data-testid="forms-dirty"> · unsaved changes in the forms</strong>}
          {!editable && <> · read-only</>}
        </span>
      </div>
      <nav className="tabs small-tabs" data-testid="config-tabs">
        {[...SECTIONS, ...(advanced ? (['advanced'] as const) : [])].map((t) => (
          <button key={t} type="button" className={t === tab ? 'active' : ''} onClick={() => setTab(t)} data-testid={`config-tab-${t}`}>
            {t === 'advanced' ? 'Advanced (JSON)' : SECTION_LABELS[t]}
            {t !== 'advanced' && countIn(t) > 0 && (
              <span className="count count-bad" data-testid="tab-problems">
                {countIn(t)}
              </span>
            )}
          </button>
        ))}
      </nav>
      {problems.length > 0 && (
        <div className="error-box" role="alert" data-testid="forms-problems" data-count={problems.length}>
          <strong>
            {refusal && (
              <>
                {refusal}
                <br />
              </>
            )}
            The controller refused {problems.length === 1 ? 'one field' : `${problems.length} fields`}; each is shown beside its field
            {SECTIONS.filter(countIn).length > 0 && <> (in {SECTIONS.filter(countIn).map((s) => SECTION_LABELS[s]).join(', ')})</>}.
          </strong>
          {unplaced.length > 0 && (
            <ul>
              {problems
                .filter((p) => placeProblems([p]).has(''))
                .map((p, i) => (
                  <li key={i} data-testid="forms-problem-unplaced">
                    <code>{p.path || '(document)'}</code>: {p.message}
                  </li>
                ))}
            </ul>
          )}
        </div>
      )}
      <ErrorBox error={error} onReload={reload} />
      {advanced && (
        <div hidden={tab !== 'advanced'} data-testid="config-advanced">
          {advanced}
        </div>
      )}
      {Form && !loaded && <p className="muted">Loading the document…</p>}
      {Form && loaded && (
        <EditableContext.Provider value={editable}>
          <ScopeContext.Provider value={scope}>
          <ProblemsContext.Provider value={placed}>
            <p className="muted small" data-testid="config-semantics">
              Each field is <em>not managed</em> (qfleet leaves its file as it is), <em>managed</em> (the file holds exactly what the form says) or <em>removed</em> (the file is deleted and qmail&apos;s default applies).
            </p>
            <div className="config-form" data-testid={`config-form-${tab}`}>
              <Form doc={draft} onChange={edit} />
            </div>
          </ProblemsContext.Provider>
          </ScopeContext.Provider>
        </EditableContext.Provider>
      )}
      {Form && loaded && editable && !review && (
        <div className="actions">
          <button type="button" className="primary" onClick={startReview} disabled={busy || !dirty} data-testid="forms-review">
            {busy ? 'Checking…' : 'Review and save'}
          </button>
          <button type="button" onClick={discard} disabled={busy || !dirty} data-testid="forms-discard">
            Discard changes
          </button>
          {saved && (
            <span className="good" data-testid="forms-saved" data-revision={saved.revision}>
              Saved as revision {saved.revision}
            </span>
          )}
        </div>
      )}
      {review && <Review review={review} busy={busy} onConfirm={confirm} onCancel={() => setReview(undefined)} />}
      {saved && saved.warnings.length > 0 && <Warnings items={saved.warnings} testId="forms-warnings" />}
    </section>
  );
}

type ReviewState = { changes: FieldChange[]; plan?: ConfigDryRunView | GroupConfigDryRunView };

function Review({ review, busy, onConfirm, onCancel }: { review: ReviewState; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  const { changes } = review;
  const group = review.plan && 'members' in review.plan ? review.plan : undefined;
  const plan = review.plan && !('members' in review.plan) ? review.plan : undefined;
  return (
    <div className="review" data-testid="forms-review-panel">
      <h3>Fields changed</h3>
      <ul className="paths">
        {changes.map((c) => (
          <li key={c.key} data-testid="review-field" data-key={c.key} data-to={c.to}>
            <code>{c.key}</code>: {c.from === c.to ? `${STATE_WORDS[c.to]}, new value` : `${STATE_WORDS[c.from]} → ${STATE_WORDS[c.to]}`}
          </li>
        ))}
      </ul>
      {plan && plan.unmanaged.length > 0 && (
        <p className="muted" data-testid="review-unmanaged">
          No longer managed (their files stay as they are): {plan.unmanaged.map((f) => <code key={f} className="step">{f}</code>)}
        </p>
      )}
      {plan ? (
        <>
          <h3>Plan</h3>
          <div data-testid="review-plan" data-changes={plan.changes.length}>
            <PlanChanges changes={plan.changes} postSteps={plan.postSteps} privileged={plan.privileged} testPrefix="review" emptyText="No file changes on the host." />
          </div>
          {plan.warnings.length > 0 && <Warnings items={plan.warnings} testId="review-warnings" />}
        </>
      ) : group ? (
        <GroupPlan plan={group} />
      ) : (
        <p className="muted">Each member host gets a new revision; its plan shows on the host&apos;s page.</p>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={onConfirm} disabled={busy} data-testid="forms-confirm">
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={onCancel} disabled={busy} data-testid="forms-back">
          Back to editing
        </button>
      </div>
    </div>
  );
}

/** A group's dry run: each member's file plan (the host's pieces), the refused ones with why, the rest counted. */
function GroupPlan({ plan }: { plan: GroupConfigDryRunView }) {
  const { counts } = plan;
  return (
    <>
      <h3>Plan, member by member</h3>
      <p className="muted" data-testid="review-group-counts" data-members={counts.members} data-changed={counts.changed} data-refused={counts.refused}>
        {counts.members === 0 ? 'The group has no members: nothing changes on any host.' : `${counts.members} member(s): ${counts.changed} would get file changes${counts.refused ? `, ${counts.refused} would be refused` : ''}.`}
      </p>
      <PrivilegedWarning items={plan.privileged} />
      {plan.members.map((m) => (
        <details key={m.id} className="member-plan" open={plan.members.length <= 5 || m.changes.length > 0 || m.error !== undefined} data-testid="review-member" data-host={m.name} data-changes={m.changes.length} data-refused={m.error !== undefined}>
          <summary>
            <code>{m.name}</code> {m.error ? <span className="bad">refused</span> : <span className="muted">{m.changes.length === 0 ? 'no file changes' : `${m.changes.length} file change(s)`}</span>}
          </summary>
          {m.error ? (
            <p className="error-box" data-testid="review-member-error">
              {m.error}
            </p>
          ) : (
            <>
              {/* the group's privileged entries are named once, above */}
              <PlanChanges changes={m.changes} postSteps={m.postSteps} testPrefix="review" emptyText="No file changes on this host." />
              {m.warnings.length > 0 && <Warnings items={m.warnings} testId="review-warnings" />}
            </>
          )}
        </details>
      ))}
      {plan.more > 0 && (
        <p className="muted" data-testid="review-group-more">
          and {plan.more} more member(s), counted above; each one&apos;s plan shows on its page once saved.
        </p>
      )}
    </>
  );
}

function Warnings({ items, testId }: { items: FieldProblem[]; testId: string }) {
  return (
    <div className="warning-box" data-testid={testId}>
      <strong>Warnings</strong>
      <ul>
        {items.map((w, i) => (
          <li key={i} data-testid="forms-warning">
            <code>{w.path}</code>: {w.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError({ statusCode: 0, error: 'Error', message: String(e) });
}
