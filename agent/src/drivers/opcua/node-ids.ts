import { parseOpcUaNodeId } from '@edgefleet/protocol';

export type ResolvedNodeId = { ok: true; text: string } | { ok: false; message: string };

/**
 * A tag address or browse start as the server knows it: `ns=<index>;<kind>=<identifier>`.
 * A namespace given by URI (`nsu=urn:plc;s=Speed`) is looked up in the server's NamespaceArray,
 * which can change when the server restarts, so this runs again for every session.
 */
export function resolveNodeIdText(text: string, namespaces: readonly string[]): ResolvedNodeId {
  const parsed = parseOpcUaNodeId(text);
  if (!parsed.ok) return parsed;
  const { namespace, kind, identifier } = parsed.value;
  let index: number;
  if (typeof namespace === 'string') {
    index = namespaces.indexOf(namespace);
    if (index < 0) return { ok: false, message: `'${text}': the server has no namespace '${namespace}'` };
  } else {
    index = namespace;
  }
  return { ok: true, text: `ns=${index};${kind}=${identifier}` };
}
