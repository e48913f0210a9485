/** What tells a reader that answers from memory which tasks may have changed since it read them. */
export interface TaskChanges {
  /** Moves whenever any task may have changed without being announced: compare two marks. */
  mark(): string;
  /** False while other writers' changes cannot be heard: nothing may be answered from memory then. */
  readonly listening: boolean;
  /** Hears the ID of each task announced as changed; undefined when any task may have changed. Returns how to stop. */
  onChange(listener: (taskId: string | undefined) => void): () => void;
}
