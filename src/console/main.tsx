import { StrictMode, useEffect, useMemo, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import { apiClient, type Session } from "./api.js";
import { ClusterList } from "./pages/cluster-list.js";
import { ClusterPage } from "./pages/cluster-page.js";
import { SignIn } from "./pages/sign-in.js";
import { TaskPage } from "./pages/task-page.js";
import { UpgradeWizard } from "./pages/upgrade-wizard.js";
import { type Route, useRoute } from "./routing.js";
import "./styles.css";

/** The session lives as long as the browser tab: a token must not outlive the tab it was typed into. */
const SESSION_KEY = "cce-upgrade-session";
const REFUSED_NOTICE = "The service no longer accepts this session's token (it expired or was revoked): sign in again.";

/** The tab's session, or none when what is stored is not one (never a crash on a stale or edited value). */
function storedSession(): Session | undefined {
  try {
    const value = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null") as Partial<Session> | null;
    if (typeof value?.token !== "string" || typeof value.projectId !== "string") return undefined;
    return value as Session;
  } catch {
    return undefined;
  }
}

function App() {
  const [session, setSession] = useState(storedSession);
  const [notice, setNotice] = useState<string>();
  const signIn = (next: Session) => {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
    setNotice(undefined);
    setSession(next);
  };
  const signOut = (reason?: string) => {
    sessionStorage.removeItem(SESSION_KEY);
    setNotice(reason);
    setSession(undefined);
  };
  if (!session) return <SignIn onSignedIn={signIn} notice={notice} />;
  return <SignedIn session={session} onSignOut={signOut} />;
}

function SignedIn({ session, onSignOut }: { session: Session; onSignOut: (reason?: string) => void }) {
  // biome-ignore lint/correctness/useExhaustiveDependencies: one client per session; onSignOut only ends it.
  const api = useMemo(() => apiClient(session, () => onSignOut(REFUSED_NOTICE)), [session]);
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  // Screen-reader and keyboard users land on the new page's heading, as after a full page load.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the route change is what moves focus.
  useEffect(() => {
    main.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [route]);
  return (
    <>
      <header className="top-bar">
        <a className="brand" href="#/">
          cce-upgrade
        </a>
        <span className="who">
          {session.userName ?? "token"} · project {session.projectId.slice(0, 8)}…
        </span>
        <button type="button" onClick={() => onSignOut()}>
          Sign out
        </button>
      </header>
      <main ref={main}>
        <Page route={route} api={api} />
      </main>
    </>
  );
}

function Page({ route, api }: { route: Route; api: ReturnType<typeof apiClient> }) {
  switch (route.page) {
    case "clusters":
      return <ClusterList api={api} />;
    case "cluster":
      return <ClusterPage key={route.clusterId} api={api} clusterId={route.clusterId} />;
    case "upgrade":
      return <UpgradeWizard key={route.clusterId} api={api} clusterId={route.clusterId} />;
    case "task":
      return <TaskPage key={route.taskId} api={api} clusterId={route.clusterId} taskId={route.taskId} />;
  }
}

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
