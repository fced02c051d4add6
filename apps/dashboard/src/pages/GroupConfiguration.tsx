import { useMemo, useState } from 'react';
import { api, type GroupWriteResult } from '../api';
import { ConfigForms, type ConfigFormsSource } from '../components/forms/ConfigForms';
import { GroupDocumentEditor, RefusedMembers } from './GroupDocumentEditor';

/**
 * A group's document: the same forms as a host's, with the JSON editor as their Advanced tab.
 * A save through the forms names the members whose new revision was refused, as the JSON
 * editor does.
 */
export function GroupConfiguration({ group, canEdit, onSaved }: { group: string; canEdit: boolean; onSaved: () => void }) {
  const [own, setOwn] = useState(0);
  const [result, setResult] = useState<GroupWriteResult | undefined>();
  const source = useMemo<ConfigFormsSource>(
    () => ({
      load: async () => {
        const g = await api.getGroup(group);
        return { revision: g.revision, document: g.document ?? {} };
      },
      // The write's dry run: each member's file plan, shown in the review before saving.
      plan: (doc, revision) => api.planGroupConfig(group, doc, revision),
      save: async (doc, revision) => {
        const r = await api.putGroupConfig(group, doc, revision);
        setResult(r);
        return { revision: r.revision };
      },
    }),
    [group],
  );
  const changed = () => {
    setOwn((k) => k + 1);
    onSaved();
  };
  return (
    <>
      <ConfigForms
        source={source}
        scope="group"
        title="Group document"
        readOnly={!canEdit}
        reloadKey={own}
        onSaved={changed}
        advanced={<GroupDocumentEditor group={group} canEdit={canEdit} onSaved={changed} reloadKey={own} />}
      />
      <RefusedMembers result={result} testId="group-forms-refused" />
    </>
  );
}
