import type { MouseEvent, ReactNode } from 'react';
import { navigate } from '../router';

/** An <a> that moves through the History API, so reloads and new tabs still work. */
export function Link({ to, children, className, testId }: { to: string; children: ReactNode; className?: string; testId?: string }) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={click} className={className} data-testid={testId}>
      {children}
    </a>
  );
}
