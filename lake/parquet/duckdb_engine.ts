/**
 * {@linkcode ParquetEngine} on native DuckDB (@duckdb/node-api). Columns are appended in bulk
 * chunks into a temp table of plain types, then one `COPY ... TO` casts and encodes them.
 * Native addon: not for Deno Deploy (use the wasm engine there).
 * @module
 */
import {
  DATE,
  DOUBLE,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  VARCHAR,
} from "@duckdb/node-api";
import { join } from "node:path";
import { type Batch, type Column, concatBatches, decimalOf, type TableSpec } from "../schemas/columns.ts";
import { bytesCollector, type ByteSink, type ObjectReader } from "../store.ts";
import { DEFAULT_ROW_GROUP, type EncodeOptions, type EngineSink, type ParquetEngine } from "./engine.ts";
import { DuckDBDateValue } from "@duckdb/node-api";

const CHUNK = 2048;
const APPEND_ROWS = 32 * CHUNK;

function appendType(type: string): DuckDBType {
  return type === "varchar" ? VARCHAR : type === "date" ? DATE : DOUBLE;
}

function sqlOut(name: string, type: string): string {
  const q = `"${name}"`;
  if (type === "timestamp") return `make_timestamp((${q} * 1000)::BIGINT) AS ${q}`;
  if (type === "bigint") return `${q}::BIGINT AS ${q}`;
  const dec = decimalOf(type as never);
  if (dec) return `round(${q}, ${dec[1]})::DECIMAL(${dec[0]},${dec[1]}) AS ${q}`;
  return q;
}

function sqlIn(name: string, type: string): string {
  const q = `"${name}"`;
  if (type === "timestamp") return `epoch_ms(${q})::DOUBLE AS ${q}`;
  if (type === "date") return `(${q} - DATE '1970-01-01')::DOUBLE AS ${q}`;
  if (type === "varchar") return q;
  return `${q}::DOUBLE AS ${q}`;
}

function chunkValues(col: Column, type: string, off: number, n: number) {
  if (!(col instanceof Float64Array)) return col.slice(off, off + n);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = col[off + i];
    out[i] = v !== v ? null : type === "date" ? new DuckDBDateValue(v) : v;
  }
  return out;
}

/** Columns as DuckDB returns them (doubles and strings, see `sqlIn`) -> a batch. */
function toBatch(spec: TableSpec, values: unknown[][], length: number): Batch {
  const columns: Record<string, Column> = {};
  spec.forEach((s, i) => {
    columns[s.name] = s.type === "varchar"
      ? values[i] as (string | null)[]
      : Float64Array.from(values[i], (v) => v === null ? NaN : Number(v));
  });
  return { length, columns };
}

/** Files cross between DuckDB's temp files and the lake in pieces this big. */
const COPY_BYTES = 8 * 2 ** 20;

async function copyReaderTo(source: ObjectReader, path: string): Promise<void> {
  using f = await Deno.open(path, { write: true, createNew: true });
  for (let at = 0; at < source.size; at += COPY_BYTES) {
    const bytes = await source.read(at, at + COPY_BYTES);
    for (let off = 0; off < bytes.length;) off += await f.write(bytes.subarray(off));
  }
}

async function copyFileTo(path: string, out: ByteSink): Promise<void> {
  using f = await Deno.open(path);
  for (;;) {
    const buf = new Uint8Array(COPY_BYTES);
    let n = 0;
    for (let r; n < buf.length && (r = await f.read(buf.subarray(n))) !== null;) n += r;
    if (n > 0) await out.write(buf.subarray(0, n));
    if (n < buf.length) return;
  }
}

/**
 * Create the DuckDB engine over one in-memory database (created lazily, reused).
 *
 * @example Round-trip a date column
 * ```ts
 * import { createDuckDbEngine } from "./duckdb_engine.ts";
 * const e = createDuckDbEngine();
 * const spec = [{ name: "d", type: "date" }] as const;
 * const back = await e.decode(await e.encode({ length: 1, columns: { d: new Float64Array([19000]) } }, spec), spec);
 * if ((back.columns.d as Float64Array)[0] !== 19000) throw new Error();
 * ```
 */
export function createDuckDbEngine(): ParquetEngine {
  let instance: Promise<DuckDBInstance> | undefined;
  let conn: Promise<DuckDBConnection> | undefined;
  const open = () => instance ??= DuckDBInstance.create(":memory:");
  const connect = () => conn ??= open().then((i) => i.connect());
  let seq = 0;

  /**
   * A temp table that rows are appended to, copied to Parquet at the end: DuckDB holds the rows,
   * JS does not. Each sink has its own connection, since several may be filled at once and a
   * DuckDB connection runs one statement at a time.
   */
  const sink = (spec: TableSpec, out: ByteSink, options: EncodeOptions = {}): EngineSink => {
    const table = `enc_${++seq}`;
    const types = spec.map((s) => appendType(s.type));
    const ready = open().then(async (i) => {
      const c = await i.connect();
      await c.run(`CREATE TABLE ${table} (${spec.map((s, i) => `"${s.name}" ${types[i].toString()}`).join(", ")})`);
      return c;
    });
    // Once only: a failed finish() has dropped the table already when its caller discards.
    let dropped: Promise<void> | undefined;
    const drop = () =>
      dropped ??= ready.then(async (c) => {
        await c.run(`DROP TABLE IF EXISTS ${table}`);
        c.closeSync();
      });
    // Small batches (a symbol-year) wait to be appended together: an appender per batch was
    // most of a rebuild's time on this engine.
    let pending: Batch[] = [], pendingRows = 0;
    const flush = async () => {
      if (!pendingRows) return;
      const batch = concatBatches(spec, pending);
      pending = [], pendingRows = 0;
      const appender = await (await ready).createAppender(table);
      for (let off = 0; off < batch.length; off += CHUNK) {
        const n = Math.min(CHUNK, batch.length - off);
        const chunk = DuckDBDataChunk.create(types, n);
        spec.forEach((s, i) => chunk.setColumnValues(i, chunkValues(batch.columns[s.name], s.type, off, n)));
        appender.appendDataChunk(chunk);
      }
      appender.closeSync();
    };
    return {
      async append(batch) {
        pending.push(batch);
        pendingRows += batch.length;
        if (pendingRows >= APPEND_ROWS) await flush();
      },
      async finish() {
        await flush();
        const c = await ready;
        const dir = await Deno.makeTempDir({ prefix: "ticklake-duck-" });
        try {
          const file = join(dir, "out.parquet");
          await c.run(
            `COPY (SELECT ${spec.map((s) => sqlOut(s.name, s.type)).join(", ")} FROM ${table}) TO '${file}'
             (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE ${
              options.rowGroupSize ?? DEFAULT_ROW_GROUP
            })`,
          );
          await copyFileTo(file, out);
        } finally {
          await drop();
          await Deno.remove(dir, { recursive: true });
        }
      },
      discard: drop,
    };
  };

  const selectAll = (spec: TableSpec, file: string) =>
    `SELECT ${spec.map((s) => sqlIn(s.name, s.type)).join(", ")} FROM read_parquet('${file}')`;

  return {
    name: "duckdb",
    async encode(batch, spec, options = {}) {
      const bytes = bytesCollector();
      const out = sink(spec, bytes, options);
      try {
        await out.append(batch);
      } catch (e) {
        await out.discard();
        throw e;
      }
      await out.finish();
      return bytes.bytes();
    },
    async decode(bytes, spec) {
      const c = await connect();
      const dir = await Deno.makeTempDir({ prefix: "ticklake-duck-" });
      try {
        const file = join(dir, "in.parquet");
        await Deno.writeFile(file, bytes);
        const reader = await c.runAndReadAll(selectAll(spec, file));
        return toBatch(spec, reader.getColumnsJS() as unknown[][], reader.currentRowCount);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
    async *decodePieces(source, spec) {
      // Its own connection: any other statement on a connection ends that connection's pending
      // streaming result, and the caller runs statements (a sink's appends) between pieces.
      const c = await (await open()).connect();
      const dir = await Deno.makeTempDir({ prefix: "ticklake-duck-" });
      try {
        const file = join(dir, "in.parquet");
        await copyReaderTo(source, file);
        const [[total]] = (await c.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata('${file}')`)).getRowsJS();
        let rows = 0;
        // A streaming result keeps the file's row order (DuckDB preserves insertion order).
        for await (const chunk of await c.stream(selectAll(spec, file))) {
          rows += chunk.rowCount;
          yield toBatch(spec, chunk.getColumns() as unknown[][], chunk.rowCount);
        }
        // A stream cut short must not pass for the whole file: a merge would drop the rest.
        if (rows !== Number(total)) throw new Error(`Cannot decode Parquet: read ${rows} of ${total} rows`);
      } finally {
        c.closeSync();
        await Deno.remove(dir, { recursive: true });
      }
    },
    sink,
    close() {
      conn?.then((c) => c.closeSync());
      conn = undefined;
      instance = undefined;
    },
  };
}
