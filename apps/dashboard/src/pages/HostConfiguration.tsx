import { useMemo, useState } from 'react';
import { api } from '../api';
import { ConfigForms, type ConfigFormsSource } from '../components/forms/ConfigForms';
import { useCan } from '../session';
import { ConfigEditor } from './ConfigEditor';
import { ImportFromHost } from './ImportFromHost';

/**
 * A host's own document: the forms, the JSON editor as their Advanced tab, and the import from
 * the host. A save in either reloads both (`reloadKey`), so neither shows a stale revision.
 */
export function HostConfiguration({ hostId, reloadKey, onSaved }: { hostId: string; reloadKey: number; onSaved: () => void }) {
  const [own, setOwn] = useState(0);
  const canImport = useCan('operator');
  const source = useMemo<ConfigFormsSource>(
    () => ({
      load: () => api.getConfig(hostId),
      plan: (doc, revision) => api.planConfig(hostId, doc, revision),
      save: (doc, revision) => api.putConfig(hostId, doc, revision),
    }),
    [hostId],
  );
  const changed = () => {
    setOwn((k) => k + 1);
    onSaved();
  };
  return (
    <>
      <ConfigForms source={source} reloadKey={reloadKey + own} onSaved={changed} advanced={<ConfigEditor hostId={hostId} reloadKey={reloadKey + own} onSaved={changed} />} />
      {canImport && (
        <section className="card">
          <h2>Import from the host</h2>
          <ImportFromHost hostId={hostId} onImported={changed} />
        </section>
      )}
    </>
  );
}
