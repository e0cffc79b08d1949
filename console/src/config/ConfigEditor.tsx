import { useEffect, useMemo, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Badge, Button, Group, Loader, Stack, Tabs, Text } from '@mantine/core';
import type { ConfigRevisionView, ValidationIssue } from '@edgefleet/protocol/browser';
import { ApiError, type ApiClient } from '../api/client';
import { agentKey, configKey, getAgentView, previewConfig, putConfig } from './config-api';
import { ConfigStatus } from './ConfigStatus';
import { DevicesSection } from './DevicesSection';
import { getAt, parsePathString, type Json } from './doc-path';
import { EditorActionsContext, IssuesContext } from './editor-context';
import { IssueSummary } from './IssueSummary';
import { AGENT_SCHEMA } from './json-schema';
import { RawEditor } from './RawEditor';
import { issueLines, parseText, toText, type RawFormat, type SyntaxProblem } from './raw-text';
import { focusField, RevealContext, type RevealRequest } from './reveal';
import { ReviewDialog } from './ReviewDialog';
import { RevisionHistory } from './RevisionHistory';
import { SchemaField } from './SchemaField';
import { SinksSection } from './SinksSection';
import { UiMemoryContext } from './ui-memory';
import { useConfigDraft } from './use-config-draft';

export interface ConfigEditorProps {
  client: ApiClient;
  agentId: string;
  /** False: everything is shown read-only; nothing can be changed or saved. */
  canEdit: boolean;
}

type View = 'form' | 'raw' | 'history';
type Section = 'devices' | 'northbound' | 'agent';

interface RawState {
  format: RawFormat;
  text: string;
  problem: SyntaxProblem | null;
  /** The document the text was made from or parsed to; another one means the document changed elsewhere. */
  source: Json | undefined;
}

/**
 * The agent's desired config: a form generated from the protocol's schemas (devices → groups →
 * tags, northbound sinks, agent settings), the same document as YAML or JSON, and the revision
 * history. Validated as the API validates; saved after a review of the changes against the
 * revision the agent runs.
 */
export function ConfigEditor(props: ConfigEditorProps) {
  return <Editor key={props.agentId} {...props} />;
}

function Editor({ client, agentId, canEdit }: ConfigEditorProps) {
  const queryClient = useQueryClient();
  const draft = useConfigDraft(client, agentId);
  const [saved, setSaved] = useState<ConfigRevisionView | null>(null);
  const agent = useQuery({
    queryKey: agentKey(agentId),
    queryFn: () => getAgentView(client, agentId),
    // Closer while a saved revision is on its way to the agent.
    refetchInterval: (q) => (saved && (q.state.data?.appliedRevision ?? 0) < saved.revision && q.state.data?.lastError?.revision !== saved.revision ? 1_000 : 3_000),
  });
  const [view, setView] = useState<View>('form');
  const [section, setSection] = useState<Section>('devices');
  const [raw, setRaw] = useState<RawState>({ format: 'yaml', text: '', problem: null, source: undefined });
  const [blocked, setBlocked] = useState<string | null>(null);
  const [reveal, setReveal] = useState<RevealRequest | null>(null);
  const [reviewing, setReviewing] = useState(false);
  const [comment, setComment] = useState('');
  const [rejected, setRejected] = useState<string | null>(null);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const [uiMemory] = useState(() => new Map<string, unknown>());
  const readOnly = !canEdit;
  const doc = draft.view?.doc;

  const preview = useMutation({
    mutationFn: (document: Json) => previewConfig(client, agentId, document),
    onError: (err) => {
      if (err instanceof ApiError && err.status === 400 && err.issues.length > 0) draft.reject(err.issues);
    },
  });
  const save = useMutation({
    mutationFn: (args: { document: Json; comment: string }) => putConfig(client, agentId, args.document, args.comment),
    onSuccess: (revision) => {
      draft.adopt(revision);
      setSaved(revision);
      setReviewing(false);
      setComment('');
      setRejected(null);
      void queryClient.invalidateQueries({ queryKey: agentKey(agentId) });
      void queryClient.invalidateQueries({ queryKey: configKey(agentId) });
      void queryClient.invalidateQueries({ queryKey: ['revisions', agentId] });
    },
    onError: (err) => {
      if (err instanceof ApiError && err.status === 400 && err.issues.length > 0) {
        draft.reject(err.issues);
        setRejected(err.message);
        setReviewing(false);
      }
    },
  });

  // The document changed outside the raw text (a save, a discard, a newer revision): show it.
  useEffect(() => {
    if (view === 'raw' && doc !== raw.source) setRaw((r) => ({ ...r, text: toText(doc, r.format), problem: null, source: doc }));
  }, [view, doc, raw.source]);

  useEffect(() => {
    if (!draft.dirty || readOnly) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [draft.dirty, readOnly]);

  const lines = useMemo(() => (view === 'raw' && !raw.problem ? issueLines(raw.text, draft.issues.all) : undefined), [view, raw.problem, raw.text, draft.issues]);
  const baseDoc = draft.view?.baseDoc;
  const actions = useMemo(() => ({ readOnly, set: draft.set, base: baseDoc }), [readOnly, draft.set, baseDoc]);

  if (draft.config.isPending) return <Loader aria-label="Loading the config" />;
  if (draft.config.isError || !draft.view) {
    return (
      <Alert color="red" role="alert" title="Cannot load the config">
        <Stack gap="xs" align="flex-start">
          <Text size="sm">{draft.config.error?.message ?? 'The config is not available.'}</Text>
          <Button size="xs" variant="light" onClick={() => void draft.config.refetch()}>
            Try again
          </Button>
        </Stack>
      </Alert>
    );
  }
  const current = draft.view;
  const devices = listAt(doc, 'devices');
  const sinks = listAt(doc, 'northbound');
  const agentSettings = getAt(doc, ['agent']);
  const issueCount = draft.issues.size;

  const changeView = (next: string | null) => {
    if (!next || next === view) return;
    if (view === 'raw' && raw.problem) {
      setBlocked(`Fix the syntax error at line ${raw.problem.line} first: the other views show the document only once the text parses.`);
      return;
    }
    setBlocked(null);
    if (next === 'raw') setRaw((r) => ({ ...r, text: toText(doc, r.format), problem: null, source: doc }));
    setView(next as View);
  };

  const onRawText = (text: string) => {
    const parsed = parseText(text, raw.format);
    if (parsed.ok) {
      draft.replace(parsed.value);
      setRaw((r) => ({ ...r, text, problem: null, source: parsed.value }));
      setBlocked(null);
    } else {
      setRaw((r) => ({ ...r, text, problem: parsed.problem }));
    }
  };
  const onRawFormat = (format: RawFormat) => {
    if (raw.problem) {
      setBlocked(`Fix the syntax error at line ${raw.problem.line} before switching to ${format === 'json' ? 'JSON' : 'YAML'}.`);
      return;
    }
    setRaw({ format, text: toText(doc, format), problem: null, source: doc });
  };

  const pick = (issue: ValidationIssue) => {
    if (view === 'raw') {
      const line = lines?.get(issue);
      const area = textareaRef.current;
      if (line === undefined || !area) return;
      const starts = raw.text.split('\n').slice(0, line - 1).join('\n').length + (line > 1 ? 1 : 0);
      const end = raw.text.indexOf('\n', starts);
      area.focus();
      area.setSelectionRange(starts, end < 0 ? raw.text.length : end);
      return;
    }
    const first = parsePathString(issue.path)[0];
    if (first === 'devices' || first === 'northbound' || first === 'agent') setSection(first);
    setView('form');
    setReveal((r) => ({ path: issue.path, seq: (r?.seq ?? 0) + 1 }));
    setTimeout(() => focusField(issue.path), 60);
  };

  const openReview = () => {
    if (doc === undefined) return;
    setRejected(null);
    save.reset();
    preview.reset();
    preview.mutate(doc);
    setReviewing(true);
  };

  const saveBlocker = !draft.dirty
    ? 'No changes to save.'
    : raw.problem && view === 'raw'
      ? 'Fix the syntax error to save.'
      : !draft.settled
        ? 'Checking…'
        : issueCount > 0
          ? `Fix the ${issueCount === 1 ? 'problem' : `${issueCount} problems`} to save.`
          : null;

  const previewRejected = preview.error instanceof ApiError && preview.error.status === 400;
  const sectionProblems = (s: Section) => draft.issues.countWithin(s);

  return (
    <UiMemoryContext.Provider value={uiMemory}>
      <EditorActionsContext.Provider value={actions}>
        <IssuesContext.Provider value={draft.issues}>
          <RevealContext.Provider value={reveal}>
            <Stack gap="sm" data-testid="config-editor">
              <ConfigStatus agent={agent.data} agentError={agent.error?.message} editing={current.base} saved={saved} canEdit={canEdit} />
              {draft.newer && draft.dirty && (
                <Alert color="yellow" title={`Revision ${draft.newer.revision} was saved since you started editing`} data-testid="newer-revision">
                  <Stack gap="xs" align="flex-start">
                    <Text size="sm">
                      {draft.newer.author} saved revision {draft.newer.revision}
                      {draft.newer.comment ? ` (“${draft.newer.comment}”)` : ''} while you were editing revision {current.base?.revision ?? '—'}. Saving now replaces it with your document.
                    </Text>
                    {canEdit && (
                      <Button size="xs" variant="light" onClick={draft.discard}>
                        Load revision {draft.newer.revision} and discard my changes
                      </Button>
                    )}
                  </Stack>
                </Alert>
              )}
              {canEdit && (
                <Group justify="space-between" wrap="wrap">
                  <Group gap="xs">
                    {draft.dirty && (
                      <Badge color="orange" variant="light" data-testid="unsaved">
                        Unsaved changes
                      </Badge>
                    )}
                    {saveBlocker && (
                      <Text size="sm" c="dimmed" data-testid="save-blocker">
                        {saveBlocker}
                      </Text>
                    )}
                  </Group>
                  <Group gap="xs">
                    {draft.dirty &&
                      (confirmDiscard ? (
                        <>
                          <Text size="sm">Discard all changes?</Text>
                          <Button
                            size="xs"
                            color="red"
                            onClick={() => {
                              draft.discard();
                              setConfirmDiscard(false);
                              setRejected(null);
                            }}
                            data-testid="config-discard-confirm"
                          >
                            Discard
                          </Button>
                          <Button size="xs" variant="default" onClick={() => setConfirmDiscard(false)}>
                            Keep editing
                          </Button>
                        </>
                      ) : (
                        <Button size="xs" variant="default" onClick={() => setConfirmDiscard(true)} data-testid="config-discard">
                          Discard changes
                        </Button>
                      ))}
                    <Button size="sm" onClick={openReview} disabled={saveBlocker !== null} data-testid="config-save">
                      Review and save
                    </Button>
                  </Group>
                </Group>
              )}
              {rejected && (
                <Alert color="red" role="alert" title="The control plane rejected the config" withCloseButton onClose={() => setRejected(null)} data-testid="save-rejected">
                  {rejected}
                </Alert>
              )}
              {save.error && !reviewing && !(save.error instanceof ApiError && save.error.status === 400 && save.error.issues.length > 0) && (
                <Alert color="red" role="alert" title="Not saved">
                  {save.error.message}
                </Alert>
              )}
              {view !== 'history' && <IssueSummary issues={draft.issues.all} onPick={pick} lines={lines} />}
              {blocked && (
                <Alert color="orange" role="alert" withCloseButton onClose={() => setBlocked(null)} data-testid="view-blocked">
                  {blocked}
                </Alert>
              )}
              <Tabs value={view} onChange={changeView} keepMounted={false}>
                <Tabs.List>
                  <Tabs.Tab value="form" data-testid="tab-form">
                    Form
                  </Tabs.Tab>
                  <Tabs.Tab value="raw" data-testid="tab-raw">
                    YAML / JSON
                  </Tabs.Tab>
                  <Tabs.Tab value="history" data-testid="tab-history">
                    History
                  </Tabs.Tab>
                </Tabs.List>
                <Tabs.Panel value="form" pt="md">
                  <Tabs value={section} onChange={(s) => s && setSection(s as Section)} variant="pills" keepMounted={false}>
                    <Tabs.List mb="sm">
                      {(
                        [
                          ['devices', `Devices (${devices.length})`],
                          ['northbound', `Northbound (${sinks.length})`],
                          ['agent', 'Agent'],
                        ] as const
                      ).map(([value, label]) => (
                        <Tabs.Tab
                          key={value}
                          value={value}
                          data-testid={`section-tab-${value}`}
                          rightSection={
                            sectionProblems(value) > 0 ? (
                              <Badge color="red" size="xs" variant="filled" circle>
                                {sectionProblems(value)}
                              </Badge>
                            ) : undefined
                          }
                        >
                          {label}
                        </Tabs.Tab>
                      ))}
                    </Tabs.List>
                    <Tabs.Panel value="devices">
                      <DevicesSection devices={devices} />
                    </Tabs.Panel>
                    <Tabs.Panel value="northbound">
                      <SinksSection sinks={sinks} />
                    </Tabs.Panel>
                    <Tabs.Panel value="agent">
                      <SchemaField schema={AGENT_SCHEMA} path={['agent']} value={agentSettings} label="Agent" required />
                    </Tabs.Panel>
                  </Tabs>
                </Tabs.Panel>
                <Tabs.Panel value="raw" pt="md">
                  <RawEditor format={raw.format} text={raw.text} problem={raw.problem} readOnly={readOnly} onFormat={onRawFormat} onText={onRawText} textareaRef={textareaRef} />
                </Tabs.Panel>
                <Tabs.Panel value="history" pt="md">
                  <RevisionHistory client={client} agentId={agentId} canEdit={canEdit} />
                </Tabs.Panel>
              </Tabs>
              <ReviewDialog
                opened={reviewing}
                onClose={() => setReviewing(false)}
                preview={{
                  pending: preview.isPending,
                  data: preview.data,
                  error: preview.error?.message,
                  rejected: previewRejected,
                }}
                comment={comment}
                onComment={setComment}
                onConfirm={() => doc !== undefined && save.mutate({ document: doc, comment })}
                saving={save.isPending}
                saveError={save.error && !(save.error instanceof ApiError && save.error.status === 400 && save.error.issues.length > 0) ? save.error.message : undefined}
              appliedRevision={agent.data?.appliedRevision}
              />
            </Stack>
          </RevealContext.Provider>
        </IssuesContext.Provider>
      </EditorActionsContext.Provider>
    </UiMemoryContext.Provider>
  );
}

/** A list of the document (`devices`, `northbound`), or none while the document has no such list. */
function listAt(doc: Json | undefined, key: string): Json[] {
  const list = getAt(doc, [key]);
  return Array.isArray(list) ? list : [];
}
