/**
 * Thrift's compact protocol, write side only, for Parquet's page headers and footer. A struct is a
 * list of fields; `undefined` values are left out, as Thrift's optional fields are.
 * @module
 */
import { ByteWriter } from "./bytes.ts";

export type Field =
  | [id: number, kind: "i32" | "i64", value: number | undefined]
  | [id: number, kind: "bool", value: boolean | undefined]
  | [id: number, kind: "binary", value: Uint8Array | string | undefined]
  | [id: number, kind: "struct", value: Field[] | undefined]
  | [id: number, kind: "list<struct>", value: Field[][] | undefined]
  | [id: number, kind: "list<i32>", value: number[] | undefined]
  | [id: number, kind: "list<binary>", value: string[] | undefined];

// Compact protocol type ids.
const BOOL_TRUE = 1, BOOL_FALSE = 2, I32 = 5, I64 = 6, BINARY = 8, LIST = 9, STRUCT = 12;
const TYPE_ID = { i32: I32, i64: I64, binary: BINARY, struct: STRUCT } as const;
const utf8 = new TextEncoder();

function binary(out: ByteWriter, v: Uint8Array | string) {
  const b = typeof v === "string" ? utf8.encode(v) : v;
  out.uvarint(b.length);
  out.bytes(b);
}

function listHeader(out: ByteWriter, size: number, elementType: number) {
  if (size < 15) out.byte((size << 4) | elementType);
  else out.byte(0xf0 | elementType), out.uvarint(size);
}

/** Write one struct (its fields, then the stop byte). */
export function writeStruct(out: ByteWriter, fields: Field[]) {
  let last = 0;
  for (const [id, kind, value] of fields) {
    if (value === undefined) continue;
    const type = kind === "bool"
      ? (value ? BOOL_TRUE : BOOL_FALSE)
      : kind.startsWith("list")
      ? LIST
      : TYPE_ID[kind as keyof typeof TYPE_ID];
    // Field ids are written as a delta from the previous one when it fits in four bits.
    if (id > last && id - last <= 15) out.byte(((id - last) << 4) | type);
    else out.byte(type), out.zigzag(id);
    last = id;
    switch (kind) {
      case "i32":
      case "i64":
        out.zigzag(value as number);
        break;
      case "binary":
        binary(out, value as Uint8Array | string);
        break;
      case "struct":
        writeStruct(out, value as Field[]);
        break;
      case "list<struct>":
        listHeader(out, (value as Field[][]).length, STRUCT);
        for (const s of value as Field[][]) writeStruct(out, s);
        break;
      case "list<i32>":
        listHeader(out, (value as number[]).length, I32);
        for (const v of value as number[]) out.zigzag(v);
        break;
      case "list<binary>":
        listHeader(out, (value as string[]).length, BINARY);
        for (const v of value as string[]) binary(out, v);
        break;
    }
  }
  out.byte(0);
}
