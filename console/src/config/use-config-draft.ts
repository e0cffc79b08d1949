import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { AgentConfigSchema, emptyAgentConfig, parseWith, type ConfigRevisionView, type ValidationIssue } from '@edgefleet/protocol/browser';
import type { ApiClient } from '../api/client';
import { getDesiredConfig, configKey } from './config-api';
import { isWithin, pathString, setAt, stableStringify, type Json, type Path } from './doc-path';
import { IssueIndex, normalizeIssuePath } from './issues';

/** The document being edited and the revision it started from (null: the agent had no config). */
export interface Draft {
  base: ConfigRevisionView | null;
  baseDoc: Json;
  doc: Json;
}

/**
 * Unsaved edits per agent, kept while the console runs so leaving the Config tab (which unmounts
 * the editor) and coming back does not lose them. Dropped on save and on discard.
 */
const unsaved = new Map<string, Draft>();

function fromRevision(view: ConfigRevisionView | null): Draft {
  const doc = (view ? view.document : emptyAgentConfig()) as Json;
  return { base: view, baseDoc: doc, doc };
}

const revisionOf = (view: ConfigRevisionView | null | undefined) => view?.revision ?? null;

/**
 * The editor's state is plain React state holding the document as JSON, not @mantine/form: the
 * form is generated, so there is no fixed set of fields to register; the raw view and a driver
 * change replace whole subtrees; and validation is one `parseWith` over the whole document, whose
 * paths (`devices[0].groups[1]`) are the API's. Edits copy only the path they touch, so the
 * untouched rows of a large tag table keep their identity and are not rendered again.
 *
 * It holds: the desired config loaded from the API, the user's edits on top of it,
 * their validation by the protocol (the same `parseWith(AgentConfigSchema, …)` the API runs, so
 * the messages are the API's), and the issues the API answered on a rejected save.
 */
export function useConfigDraft(client: ApiClient, agentId: string) {
  const queryClient = useQueryClient();
  const config = useQuery({ queryKey: configKey(agentId), queryFn: () => getDesiredConfig(client, agentId) });
  const [draft, setDraft] = useState<Draft | null>(() => unsaved.get(agentId) ?? null);
  const [serverIssues, setServerIssues] = useState<ValidationIssue[]>([]);
  const loaded = useMemo(() => (config.data !== undefined ? fromRevision(config.data) : null), [config.data]);
  const view = draft ?? loaded;
  const viewRef = useRef(view);
  viewRef.current = view;

  const deferredDoc = useDeferredValue(view?.doc);
  const deferredBase = useDeferredValue(view?.baseDoc);
  const dirty = useMemo(() => deferredDoc !== deferredBase && stableStringify(deferredDoc) !== stableStringify(deferredBase), [deferredDoc, deferredBase]);
  const localIssues = useMemo(() => {
    if (deferredDoc === undefined) return [];
    const result = parseWith(AgentConfigSchema, deferredDoc);
    return result.ok ? [] : result.issues;
  }, [deferredDoc]);
  const issues = useMemo(() => new IssueIndex([...serverIssues, ...localIssues]), [serverIssues, localIssues]);
  /** Validation has caught up with the latest edit (a deferred render may lag a keystroke). */
  const settled = deferredDoc === view?.doc;

  /** A newer desired revision than the one the edits started from (saved elsewhere, or a rollback). */
  const newer = draft !== null && config.data !== undefined && revisionOf(config.data) !== revisionOf(draft.base) ? config.data : null;
  useEffect(() => {
    // Nothing edited: follow the desired config. Checked on the current draft, not the deferred
    // one, so an edit made just as the newer revision arrives is not dropped.
    if (newer === null || draft === null) return;
    if (draft.doc === draft.baseDoc || stableStringify(draft.doc) === stableStringify(draft.baseDoc)) setDraft(null);
  }, [newer, draft]);

  useEffect(() => {
    if (draft && dirty) unsaved.set(agentId, draft);
    else unsaved.delete(agentId);
  }, [agentId, draft, dirty]);

  const set = useCallback((path: Path, value: Json | undefined) => {
    const p = pathString(path);
    setServerIssues((list) => (list.length === 0 ? list : list.filter((i) => !isWithin(i.path, p) && !isWithin(p, i.path))));
    setDraft((d) => {
      const cur = d ?? viewRef.current;
      if (!cur) return d;
      return { ...cur, doc: (setAt(cur.doc, path, value) ?? null) as Json };
    });
  }, []);

  /** Replaces the whole document (from the raw view). */
  const replace = useCallback((doc: Json) => {
    setServerIssues([]);
    setDraft((d) => {
      const cur = d ?? viewRef.current;
      return cur ? { ...cur, doc } : d;
    });
  }, []);

  const discard = useCallback(() => {
    unsaved.delete(agentId);
    setServerIssues([]);
    setDraft(null);
  }, [agentId]);

  /** After a save: the stored revision becomes the base, and the edits are gone. */
  const adopt = useCallback(
    (saved: ConfigRevisionView) => {
      unsaved.delete(agentId);
      setServerIssues([]);
      queryClient.setQueryData(configKey(agentId), saved);
      setDraft(null);
    },
    [agentId, queryClient],
  );

  const reject = useCallback((apiIssues: ReadonlyArray<ValidationIssue>) => {
    setServerIssues(apiIssues.map((i) => ({ path: normalizeIssuePath(i.path), message: i.message })));
  }, []);

  return { config, view, dirty, issues, settled, newer, set, replace, discard, adopt, reject };
}
