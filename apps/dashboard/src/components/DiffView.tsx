/** A unified diff, monospace, with added and removed lines coloured. */
export function DiffView({ diff, testId = 'diff' }: { diff: string; testId?: string }) {
  // jsdiff starts a patch with a row of '=' (and sometimes 'Index:'): noise for an operator
  const lines = diff.replace(/\n$/, '').split('\n').filter((l) => !/^(={3,}|Index: )/.test(l));
  return (
    <pre className="diff" data-testid={testId}>
      {lines.map((line, i) => (
        <span key={i} className={lineClass(line)}>
          {line}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

function lineClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('===') || line.startsWith('Index:')) return 'diff-file';
  if (line.startsWith('@@')) return 'diff-hunk';
  if (line.startsWith('+')) return 'diff-add';
  if (line.startsWith('-')) return 'diff-del';
  if (line.startsWith('\\')) return 'diff-note';
  return 'diff-ctx';
}
