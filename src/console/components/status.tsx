/** Small presentational pieces shared by the pages. */

/** Phases grouped by what they mean to an operator; the colour is never the only signal (the text is shown). */
function tone(phase: string): string {
  if (["Success", "Available"].includes(phase)) return "good";
  if (["Failed", "Error", "Unavailable"].includes(phase)) return "bad";
  if (["Pause", "Init", "Queuing"].includes(phase)) return "waiting";
  return "busy";
}

export function PhaseBadge({ phase }: { phase: string }) {
  return <span className={`phase phase-${tone(phase)}`}>{phase}</span>;
}

export function ProgressBar({ progress, label }: { progress: string; label: string }) {
  const value = Math.min(100, Math.max(0, Number.parseFloat(progress) || 0));
  return (
    <div className="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
      >
        <div className="progress-fill" style={{ width: `${value}%` }} />
      </div>
      <span className="progress-text">{value.toFixed(0)} %</span>
    </div>
  );
}

export function ErrorNotice({ error }: { error: Error | undefined }) {
  if (!error) return null;
  return (
    <p className="notice notice-error" role="alert">
      {error.message}
    </p>
  );
}
