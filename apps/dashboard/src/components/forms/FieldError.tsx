import { createContext, useContext } from 'react';

/** The 400's problems placed by `placeProblems`: each element shows those of its own path. */
export const ProblemsContext = createContext<Map<string, string[]>>(new Map());

/** Whether the forms may be edited (false for a viewer: read-only, no buttons). */
export const EditableContext = createContext(true);

/** Whose document the forms edit: a group's says what its members get, under their own documents. */
export type DocumentScope = 'host' | 'group';
export const ScopeContext = createContext<DocumentScope>('host');

export function useScope(): DocumentScope {
  return useContext(ScopeContext);
}

export function useEditable(): boolean {
  return useContext(EditableContext);
}

export function useProblems(path: string): string[] {
  return useContext(ProblemsContext).get(path) ?? [];
}

/** The controller's word on one field, beside it. */
export function FieldError({ path }: { path: string }) {
  const problems = useProblems(path);
  if (!problems.length) return null;
  return (
    <ul className="field-error" role="alert" data-testid="field-error" data-path={path}>
      {problems.map((m, i) => (
        <li key={i}>{m}</li>
      ))}
    </ul>
  );
}
