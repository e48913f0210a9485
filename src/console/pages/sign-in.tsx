import { type FormEvent, useState } from "react";
import { apiClient, type Session, signInWithPassword } from "../api.js";
import { ErrorNotice } from "../components/status.js";

/** Sign in as a project user (IAM password method) or with a token pasted from elsewhere. */
export function SignIn(props: { onSignedIn: (session: Session) => void; notice?: string | undefined }) {
  const { onSignedIn, notice } = props;
  const [method, setMethod] = useState<"password" | "token">("password");
  return (
    <main className="sign-in">
      <h1>Sign in to cce-upgrade</h1>
      {notice && (
        <p className="notice notice-error" role="status">
          {notice}
        </p>
      )}
      <fieldset className="method-switch">
        <legend>Sign in with</legend>
        <label>
          <input type="radio" checked={method === "password"} onChange={() => setMethod("password")} /> User and
          password
        </label>
        <label>
          <input type="radio" checked={method === "token"} onChange={() => setMethod("token")} /> A token
        </label>
      </fieldset>
      {method === "password" ? <PasswordForm onSignedIn={onSignedIn} /> : <TokenForm onSignedIn={onSignedIn} />}
    </main>
  );
}

function PasswordForm({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    try {
      onSignedIn(
        await signInWithPassword(String(form.get("user")), String(form.get("password")), String(form.get("project"))),
      );
    } catch (failure) {
      setError(failure as Error);
      setBusy(false);
    }
  };
  return (
    <form className="card form" onSubmit={submit}>
      <label htmlFor="user">User name</label>
      <input id="user" name="user" autoComplete="username" required />
      <label htmlFor="password">Password</label>
      <input id="password" name="password" type="password" autoComplete="current-password" required />
      <label htmlFor="project">Project name</label>
      <input id="project" name="project" required />
      <ErrorNotice error={error} />
      <button type="submit" className="primary" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}

/** A pasted token is checked by listing the project's clusters before it is kept. */
function TokenForm({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [error, setError] = useState<Error>();
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const session = { token: String(form.get("token")).trim(), projectId: String(form.get("projectId")).trim() };
    try {
      await apiClient(session).listClusters();
      onSignedIn(session);
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <form className="card form" onSubmit={submit}>
      <label htmlFor="token">X-Auth-Token</label>
      <input id="token" name="token" autoComplete="off" required />
      <label htmlFor="projectId">Project ID</label>
      <input id="projectId" name="projectId" pattern="[0-9a-f]{32}" title="32 lowercase hex digits" required />
      <ErrorNotice error={error} />
      <button type="submit" className="primary">
        Use token
      </button>
    </form>
  );
}
