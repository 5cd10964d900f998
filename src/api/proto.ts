/**
 * protocols/fleetgate.proto, loaded once by path from the package root (protobufjs). Encoders are generated
 * by protobufjs on first use of each type.
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { packageRoot } from './package-root.js';

export const PROTOBUF_TYPE = 'application/x-protobuf';

let root: protobuf.Root | undefined;

export function protoPath(): string {
  return join(packageRoot().dir, 'protocols', 'fleetgate.proto');
}

export function protoType(name: 'Track' | 'Positions' | 'Trips' | 'IgnitionEvents' | 'Position' | 'Trip' | 'IgnitionEvent'): protobuf.Type {
  root ??= protobuf.loadSync(protoPath());
  return root.lookupType(`fleetgate.v1.${name}`);
}

/**
 * Encodes a plain object with camelCase field names (protobufjs's mapping of the .proto's snake_case) and
 * values of the field types already (numbers, booleans, strings): no fromObject conversion pass.
 */
export function encodeProto(name: Parameters<typeof protoType>[0], value: Record<string, unknown>): Buffer {
  const w = protoType(name).encode(value).finish();
  return Buffer.from(w.buffer, w.byteOffset, w.byteLength);
}
