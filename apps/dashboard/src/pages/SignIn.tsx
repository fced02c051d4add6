import { useState, type FormEvent } from 'react';

/** The dashboard uses the same API tokens as scripts (DESIGN.md "Security"). */
export function SignIn({ message, onSignIn }: { message?: string; onSignIn: (token: string) => void }) {
  const [token, setToken] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) onSignIn(token.trim());
  };
  return (
    <main className="signin">
      <form className="card" onSubmit={submit}>
        <h1>qfleet</h1>
        <p className="muted">Sign in with an API token (viewer, operator or admin).</p>
        {message && (
          <div className="error-box" role="alert" data-testid="signin-message">
            {message}
          </div>
        )}
        <label>
          API token
          <input
            type="password"
            autoComplete="off"
            autoFocus
            value={token}
            onChange={(e) => setToken(e.target.value)}
            data-testid="signin-token"
          />
        </label>
        <button type="submit" className="primary" disabled={!token.trim()} data-testid="signin-submit">
          Sign in
        </button>
      </form>
    </main>
  );
}
