// How slow work is shown: the CLI passes a spinner (src/cli/terminal.ts withProgress), everyone
// else nothing. No dependencies, so any layer can take one.

/** Runs slow work with a progress line labelled `label` (withProgress, or nothing at all). */
export type Progress = <T>(label: string, work: () => Promise<T>) => Promise<T>;

/** No progress line: for callers that are not a command in a terminal. */
export const noProgress: Progress = (_label, work) => work();
