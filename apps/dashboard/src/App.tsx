import { useEffect, useState } from 'react';
import { setUnauthorizedHandler, storedToken, storeToken } from './api';
import { Link } from './components/Link';
import { Fleet } from './pages/Fleet';
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
    <>
      <header className="topbar">
        <Link to="/" className="brand">
          qfleet
        </Link>
        <nav>
          <Link to="/">Fleet</Link>
          <Link to="/rollouts" testId="nav-rollouts">
            Rollouts
          </Link>
        </nav>
        <button type="button" className="small-button" onClick={signOut} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <main className="content">
        {route.page === 'fleet' && <Fleet />}
        {route.page === 'host' && <HostPage key={route.id} id={route.id} tab={route.tab} />}
        {route.page === 'rollouts' && <Rollouts />}
        {route.page === 'new-rollout' && <NewRollout />}
        {route.page === 'rollout' && <RolloutPage key={route.id} id={route.id} />}
        {route.page === 'not-found' && (
          <p>
            Nothing at <code>{route.path}</code>. <Link to="/">Back to the fleet</Link>
          </p>
        )}
      </main>
    </>
  );
}
