/** Decoders for the API's formats, independent of the code under test: CSV (RFC 4180), protobuf (the .proto file). */
import path from 'node:path';
import protobuf from 'protobufjs';

/** RFC 4180: quoted cells with "" escapes, CRLF or LF line ends. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** CSV rows as objects keyed by the header row. */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

let root: protobuf.Root | undefined;

/** Decodes a fleetgate.v1 message with the published .proto (int64 as numbers, defaults filled in). */
export function decodeProto(type: string, body: Buffer): Record<string, any> {
  root ??= protobuf.loadSync(path.resolve('protocols/fleetgate.proto'));
  const t = root.lookupType(`fleetgate.v1.${type}`);
  return t.toObject(t.decode(body), { longs: Number, defaults: true, arrays: true });
}
