import { useEffect, useState } from 'react';
import { api, setUnauthorizedHandler, storedToken, storeToken, type WhoAmI } from './api';
import { timeZoneLabel } from './format';
import { AuditPage } from './pages/AuditPage';
import { Tokens } from './pages/Tokens';
import { SessionContext } from './session';
import { Link } from './components/Link';
import { Fleet } from './pages/Fleet';
import { GroupPage } from './pages/GroupPage';
import { Groups } from './pages/Groups';
import { HostPage } from './pages/HostPage';
import { NewRollout } from './pages/NewRollout';
import { RolloutPage } from './pages/RolloutPage';
import { Rollouts } from './pages/Rollouts';
import { SignIn } from './pages/SignIn';
import { useRoute } from './router';

export function App() {
  const [token, setToken] = useState(storedToken);
  const [signInMessage, setSignInMessage] = useState<string | undefined>();
  const route = useRoute();
  const [me, setMe] = useState<WhoAmI | undefined>(undefined);

  useEffect(() => {
    setMe(undefined);
    if (!token) return;
    let stale = false;
    // A failure leaves `me` unset: pages then show no change buttons, and a 401 signs out.
    api.whoami().then((w) => !stale && setMe(w), () => undefined);
    return () => {
      stale = true;
    };
  }, [token]);

  useEffect(() => {
    setUnauthorizedHandler((message) => {
      storeToken(null);
      setToken(null);
      setSignInMessage(message || 'The token was refused.');
    });
  }, []);

  if (!token) {
    return (
      <SignIn
        message={signInMessage}
        onSignIn={(t) => {
          storeToken(t);
          setSignInMessage(undefined);
          setToken(t);
        }}
      />
    );
  }

  const signOut = () => {
    storeToken(null);
    setToken(null);
    setSignInMessage(undefined);
  };

  return (
    <SessionContext.Provider value={me}>
      <header className="topbar">
        <Link to="/" className="brand">
          qfleet
        </Link>
        <nav>
          <Link to="/">Fleet</Link>
          <Link to="/groups" testId="nav-groups">
            Groups
          </Link>
          <Link to="/rollouts" testId="nav-rollouts">
            Rollouts
          </Link>
          <Link to="/audit" testId="nav-audit">
            Audit
          </Link>
          {me?.role === 'admin' && (
            <Link to="/tokens" testId="nav-tokens">
              Tokens
            </Link>
          )}
        </nav>
        <span className="muted small topbar-info" title="every time on these pages is in this zone, ISO 8601, 24 h">
          <span data-testid="time-zone">{timeZoneLabel()}</span>
          {me && (
            <span data-testid="signed-in-as" data-role={me.role}>
              {' '}
              · {me.name} ({me.role})
            </span>
          )}
        </span>
        <button type="button" className="small-button" onClick={signOut} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <main className="content">
        {route.page === 'fleet' && <Fleet />}
        {route.page === 'host' && <HostPage key={route.id} id={route.id} tab={route.tab} />}
        {route.page === 'groups' && <Groups />}
        {route.page === 'group' && <GroupPage key={route.name} name={route.name} />}
        {route.page === 'rollouts' && <Rollouts />}
        {route.page === 'new-rollout' && <NewRollout />}
        {route.page === 'rollout' && <RolloutPage key={route.id} id={route.id} />}
        {route.page === 'audit' && <AuditPage />}
        {route.page === 'tokens' && <Tokens />}
        {route.page === 'not-found' && (
          <p>
            Nothing at <code>{route.path}</code>. <Link to="/">Back to the fleet</Link>
          </p>
        )}
      </main>
    </SessionContext.Provider>
  );
}
