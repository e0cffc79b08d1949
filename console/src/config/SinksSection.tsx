import { isObject, type Json } from './doc-path';
import { SINK_SCHEMA } from './json-schema';
import { ListDetail } from './ListDetail';
import { SchemaField } from './SchemaField';

/** The northbound sinks: where the agent publishes the groups each one subscribes to. */
export function SinksSection({ sinks }: { sinks: readonly Json[] }) {
  return (
    <ListDetail
      path={['northbound']}
      items={sinks}
      itemSchema={SINK_SCHEMA}
      noun="sink"
      describe={(s) => (isObject(s) && typeof s.kind === 'string' ? s.kind : '')}
      empty="No northbound sinks yet. Add one to publish the devices' values: to the fleet broker, an MQTT broker of your own, Sparkplug B, AWS IoT or Azure IoT Hub."
    >
      {(i, sink) => <SchemaField schema={SINK_SCHEMA} path={['northbound', i]} value={sink} label="Sink" required bare />}
    </ListDetail>
  );
}
