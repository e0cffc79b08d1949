import { createContext, useContext } from 'react';
import type { Json, Path } from './doc-path';
import { IssueIndex } from './issues';

/** How the generated form changes the document: one call per edit, at a path. */
export interface EditorActions {
  readOnly: boolean;
  /** Sets the value at `path`; `undefined` removes the field (or the list item). */
  set: (path: Path, value: Json | undefined) => void;
  /** The document of the revision being edited, as the API sent it (secrets as `SECRET_MARKER`). */
  base: Json | undefined;
}

export const EditorActionsContext = createContext<EditorActions>({ readOnly: true, set: () => undefined, base: undefined });
/** Kept apart from the actions so an edit that changes no issue does not re-render every field. */
export const IssuesContext = createContext<IssueIndex>(IssueIndex.EMPTY);

export const useEditorActions = () => useContext(EditorActionsContext);
export const useIssues = () => useContext(IssuesContext);
