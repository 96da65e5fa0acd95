/**
 * Tells a file that is not ONNX from an ONNX file cut short, before ONNX Runtime reads it: ONNX
 * Runtime reports both as "Protobuf parsing failed", which does not tell a person whether they
 * picked the wrong file or a broken copy. An ONNX file is a protobuf `ModelProto`; this walks its
 * top-level fields only (tag, wire type, length), which needs the protobuf wire format and
 * nothing of ONNX's schema, so it is written here rather than pulling in a protobuf library.
 * Everything deeper (the graph, its operators, its types) is ONNX Runtime's to judge.
 */

/** What the walk found. */
export type OnnxFileShape =
  | { readonly kind: 'model'; readonly hasGraph: boolean }
  | { readonly kind: 'not-onnx'; readonly reason: string }
  | { readonly kind: 'truncated'; readonly reason: string };

/** Field numbers of onnx.ModelProto (onnx/onnx.proto), with the wire type each must have. */
const MODEL_PROTO_FIELDS: ReadonlyMap<number, { readonly name: string; readonly wireType: number }> = new Map([
  [1, { name: 'ir_version', wireType: 0 }],
  [2, { name: 'producer_name', wireType: 2 }],
  [3, { name: 'producer_version', wireType: 2 }],
  [4, { name: 'domain', wireType: 2 }],
  [5, { name: 'model_version', wireType: 0 }],
  [6, { name: 'doc_string', wireType: 2 }],
  [7, { name: 'graph', wireType: 2 }],
  [8, { name: 'opset_import', wireType: 2 }],
  [14, { name: 'metadata_props', wireType: 2 }],
  [20, { name: 'training_info', wireType: 2 }],
  [25, { name: 'functions', wireType: 2 }],
  [26, { name: 'configuration', wireType: 2 }],
]);

const GRAPH_FIELD = 7;

/** Reads a varint at `at`; undefined when the bytes end inside it. */
function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let index = at; index < bytes.length && index < at + 10; index += 1) {
    const byte = bytes[index]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return { value, next: index + 1 };
  }
  return undefined;
}

/** Walks the top-level fields of `bytes` as a ModelProto. */
export function inspectOnnxFile(bytes: Uint8Array): OnnxFileShape {
  if (bytes.length === 0) return { kind: 'not-onnx', reason: 'the file is empty' };
  let at = 0;
  let hasGraph = false;
  let fields = 0;
  while (at < bytes.length) {
    const tag = readVarint(bytes, at);
    if (tag === undefined) return { kind: 'truncated', reason: `it ends inside a field tag at byte ${at} of ${bytes.length}` };
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    const known = MODEL_PROTO_FIELDS.get(number);
    if (known === undefined || known.wireType !== wireType) {
      // A field this walk does not know, after valid ones, may be a newer ONNX; as the first field it is another kind of file.
      if (fields === 0) return { kind: 'not-onnx', reason: `it does not start like an ONNX model (first bytes ${hexOf(bytes.subarray(0, 4))})` };
      if (wireType > 5 || wireType === 3 || wireType === 4) return { kind: 'not-onnx', reason: `byte ${at} holds no valid protobuf field (wire type ${wireType})` };
    }
    at = tag.next;
    if (wireType === 0) {
      const value = readVarint(bytes, at);
      if (value === undefined) return { kind: 'truncated', reason: `it ends inside ${known?.name ?? `field ${number}`} at byte ${at} of ${bytes.length}` };
      at = value.next;
    } else if (wireType === 2) {
      const length = readVarint(bytes, at);
      if (length === undefined) return { kind: 'truncated', reason: `it ends inside the length of ${known?.name ?? `field ${number}`} at byte ${at} of ${bytes.length}` };
      const end = length.next + length.value;
      if (end > bytes.length) return { kind: 'truncated', reason: `its ${known?.name ?? `field ${number}`} claims ${length.value} bytes, the file ends ${end - bytes.length} bytes short (${bytes.length} bytes)` };
      if (number === GRAPH_FIELD) hasGraph = true;
      at = end;
    } else {
      const size = wireType === 1 ? 8 : 4;
      if (at + size > bytes.length) return { kind: 'truncated', reason: `it ends inside field ${number} at byte ${at} of ${bytes.length}` };
      at += size;
    }
    fields += 1;
  }
  return { kind: 'model', hasGraph };
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}
